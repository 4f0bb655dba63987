"""The graph IR: frozen Nodes in an append-only Graph, and Tensor handles on their outputs."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from graphc import shapes
from graphc.dtypes import DType
from graphc.shapes import Shape, TensorShape
from graphc.site import Site, user_site


# TensorFlow's rules. A node name (with its scopes) starts with a letter, a digit or a dot;
# a name scope opened inside another may also start with "_", "-" or "/". No other character
# (no space, quote, colon, newline) is allowed: names reach generated code, files and renders.
NODE_NAME_RULE = r"[A-Za-z0-9.][A-Za-z0-9_.\-/]*"
SCOPE_NAME_RULE = r"[A-Za-z0-9_.\-/]*"
_NODE_NAME = re.compile(NODE_NAME_RULE)
_SCOPE_NAME = re.compile(SCOPE_NAME_RULE)


def check_name(name: Any, what: str = "node name", rule: str = NODE_NAME_RULE) -> str:
    """`name` if it follows `rule` (a node name's, else a name scope's); a ValueError that
    quotes it and states the rule if not."""
    pattern = _NODE_NAME if rule == NODE_NAME_RULE else _SCOPE_NAME
    if not isinstance(name, str) or pattern.fullmatch(name) is None:
        raise ValueError(f"invalid {what} {name!r}: it must be a string matching {rule} "
                         "(ASCII letters, digits, '.', '_', '-' and '/'; a node name "
                         "starts with a letter, a digit or '.'), as in TensorFlow")
    return name


def legal_name(text: str, default: str) -> str:
    """A legal name made from Python text such as a class or function name ('<lambda>',
    '_Block'): other characters become '_', leading '_' and '-' are dropped."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_-")
    return name or default


@dataclass(frozen=True, slots=True)
class TensorType:
    """The static type of a tensor: element dtype and (partially known) shape."""

    dtype: DType
    shape: Shape

    def __str__(self) -> str:
        return f"{self.dtype.name}{shapes.fmt(self.shape)}"


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One operation in a graph. Immutable: rewrites make new nodes. Equality is identity."""

    op: str
    inputs: tuple[Tensor, ...]
    attrs: Mapping[str, Any]
    types: tuple[TensorType, ...]
    name: str
    site: Site
    graph: Graph | None = None
    control_inputs: tuple[Node, ...] = ()
    origin: tuple[Node, ...] = field(default=())  # user nodes a rewritten node stands for

    @property
    def outputs(self) -> tuple[Tensor, ...]:
        return tuple(Tensor(self, i) for i in range(len(self.types)))

    @property
    def type(self) -> str:
        """The op's name, as TensorFlow's `op.type` ("matmul", graphc's spelling)."""
        return self.op

    def values(self) -> tuple[Tensor, ...]:
        """The outputs (TensorFlow's `op.values()`)."""
        return self.outputs

    @property
    def output(self) -> Tensor:
        """The single output of a one-output node."""
        if len(self.types) != 1:
            raise ValueError(f"node '{self.name}' ({self.op}) has {len(self.types)} outputs")
        return Tensor(self, 0)

    def describe(self) -> str:
        """How errors name this node: op, name and the user's file:line (for a node made by
        a pass, the user nodes it stands for)."""
        if self.origin and (len(self.origin) > 1 or self.origin[0].op != self.op):
            parts = ", ".join(f"{n.op} '{n.name}' at {n.site}" for n in self.origin)
            return f"{self.op} (fusing {parts})"
        return f"{self.op} '{self.name}' (created at {self.site})"

    def __repr__(self) -> str:
        return f"<Node {self.name} op={self.op}>"


class Tensor:
    """A symbolic handle on output `index` of `node`; its value exists only inside a run."""

    __slots__ = ("node", "index")
    __array_ufunc__ = None  # make numpy defer to our reflected operators

    def __init__(self, node: Node, index: int = 0) -> None:
        self.node = node
        self.index = index

    @property
    def type(self) -> TensorType:
        return self.node.types[self.index]

    @property
    def dtype(self) -> DType:
        return self.type.dtype

    @property
    def shape(self) -> Shape:
        """Static shape: a tuple with None for unknown dims (a shapes.TensorShape, with
        TensorFlow's as_list()), or None if the rank is unknown."""
        shape = self.type.shape
        return shape if shape is None else TensorShape(shape)

    def get_shape(self) -> Shape:
        return self.shape

    @property
    def name(self) -> str:
        return f"{self.node.name}:{self.index}"

    @property
    def op(self) -> Node:
        return self.node

    @property
    def graph(self) -> Graph | None:
        return self.node.graph

    def __eq__(self, other: object) -> bool:
        # Identity of the output, as in TensorFlow 1: tensors are dict keys in feed_dict.
        return (isinstance(other, Tensor) and self.node is other.node
                and self.index == other.index)

    def __hash__(self) -> int:
        return hash((id(self.node), self.index))

    def __bool__(self) -> bool:
        raise TypeError(f"the truth value of graph tensor '{self.name}' is not known while "
                        "the graph is built; compare values after Session.run")

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"graph tensor '{self.name}' is not iterable")

    if TYPE_CHECKING:  # installed by graphc.ops.operators, declared here for type checkers
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...

    def __repr__(self) -> str:
        return f"<gc.Tensor '{self.name}' shape={shapes.fmt(self.shape)} dtype={self.dtype.name}>"


class Graph:
    """An append-only collection of nodes, with unique names and name scopes.

    This module is graphc's bottom layer: of graphc it imports only dtypes, shapes, site and
    errors (tests/test_layers.py checks). What a layer above keeps per graph lives in
    `collections` (graphc.variables keeps the graph's Variables there), and the methods it
    adds to every graph it installs itself (declared under TYPE_CHECKING below).
    """

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.seed: int | None = None
        self._names: dict[str, Node] = {}
        self._name_counts: dict[str, int] = {}
        self._scopes: list[str] = []
        # the open control_dependencies contexts: the nodes each waits for, and the nodes
        # created inside it so far
        self._control_stack: list[tuple[tuple[Node, ...], set[Node]]] = []
        # lists the layers above keep with this graph, by name (graphc.variables keeps the
        # Variables under "variables"); they die with the graph, and graph.py never reads them
        self.collections: dict[str, list[Any]] = {}
        self.gradient_overrides: dict[str, Callable[..., Any]] = {}  # op name -> gradient rule
        # a node gradients() built -> the node whose gradient rule built it (for drawings)
        self.gradient_sources: dict[Node, Node] = {}
        for made in _trackers:
            made.append(self)
        self._lock = threading.Lock()

    # -- building -------------------------------------------------------------------------
    def create_node(self, op: str, inputs: Iterable[Tensor], attrs: Mapping[str, Any],
                    types: Iterable[TensorType], name: str | None = None,
                    control_inputs: Iterable[Node] = (), site: Site | None = None) -> Node:
        """Append a node; its name is made unique within the current name scope."""
        inputs = tuple(t if t.graph is self else self.capture(t, op) for t in inputs)
        controls = tuple(control_inputs) + self._waits_for(inputs)
        for foreign in (n for n in controls if n.graph is not self):
            self.capture_control(foreign, op)
        controls = tuple(n for n in controls if n.graph is self)
        with self._lock:
            node = Node(op, inputs, MappingProxyType(dict(attrs)), tuple(types),
                        self._unique_name(name or op), site or user_site(), self,
                        tuple(dict.fromkeys(controls)))
            self.nodes.append(node)
            self._names[node.name] = node
        for _, inside in self._control_stack:
            inside.add(node)
        return node

    def _waits_for(self, inputs: tuple[Tensor, ...]) -> tuple[Node, ...]:
        """The control inputs the open control_dependencies contexts give a node reading
        `inputs`: each context's nodes, unless an input was made inside that context, so
        the node already waits for them through it (as TensorFlow decides, and so a
        gradient built under control_dependencies waits through its first ops alone and
        the rest stays free for the compiler to rewrite)."""
        waits: list[Node] = []
        for nodes, inside in self._control_stack:
            if not any(t.node in inside for t in inputs):
                waits += nodes
        return tuple(waits)

    def _unique_name(self, base: str) -> str:
        if not isinstance(base, str):
            check_name(base)
        full = check_name("/".join([s for s in self._scopes if s] + [base]))
        count = self._name_counts.get(full, 0)
        name = full if count == 0 else f"{full}_{count}"
        while name in self._names:
            count += 1
            name = f"{full}_{count}"
        self._name_counts[full] = count + 1
        return name

    def capture(self, t: Tensor, op: str) -> Tensor:
        """How this graph uses a tensor of another graph: a plain graph refuses."""
        raise ValueError(f"{op}: input '{t.name}' belongs to another graph; "
                         "build every op of a computation in one graph")

    def capture_control(self, node: Node, op: str) -> None:
        """How this graph waits for a node of another graph: a plain graph refuses."""
        raise ValueError(f"{op}: control dependency '{node.name}' belongs to another graph; "
                         "build every op of a computation in one graph")

    def lineage(self) -> list[Graph]:
        """This graph, then the graphs enclosing it (a function graph's parents)."""
        return [self]

    @property
    def scope_prefix(self) -> str:
        """The open name scopes as the prefix they give a name ("a/b/"; "" outside any)."""
        return "".join(f"{s}/" for s in self._scopes if s)

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[str]:
        """Prefix the names of nodes created inside with `name/` (an empty name adds no
        prefix). Names follow TensorFlow's rules: see check_name."""
        if any(self._scopes):
            check_name(name, "name scope", SCOPE_NAME_RULE)
        elif name != "":
            check_name(name, "name scope")
        self._scopes.append(name.rstrip("/"))
        try:
            yield "/".join(self._scopes) + "/"
        finally:
            self._scopes.pop()

    @contextlib.contextmanager
    def control_dependencies(self, ops: Iterable[Node | Tensor] | None) -> Iterator[None]:
        """Nodes created inside run only after `ops` have run (None clears outer ones)."""
        saved = self._control_stack
        nodes = tuple(o.node if isinstance(o, Tensor) else o for o in (ops or ()))
        self._control_stack = [] if ops is None else saved + [(nodes, set())]
        try:
            yield
        finally:
            self._control_stack = saved

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Make this graph the one that op functions build into."""
        _stack().append(self)
        try:
            yield self
        finally:
            _stack().pop()

    # -- lookup ---------------------------------------------------------------------------
    def get_node(self, name: str) -> Node:
        try:
            return self._names[name]
        except KeyError:
            raise KeyError(f"the graph has no node named '{name}'") from None

    def get_tensor(self, name: str) -> Tensor:
        """Look up "node:index" (TensorFlow style) or a bare node name meaning output 0."""
        node_name, _, index = name.partition(":")
        node = self.get_node(node_name)
        i = int(index) if index else 0
        if not 0 <= i < len(node.types):
            raise KeyError(f"node '{node_name}' has no output {i}")
        return Tensor(node, i)

    # TensorFlow's names for lookups, with its errors
    def get_operations(self) -> list[Node]:
        """Every node, in the order they were made."""
        return list(self.nodes)

    def as_graph_def(self) -> GraphDef:
        """TensorFlow 1's GraphDef as far as programs read it: `.node`, one record per node
        (`name`, `op`: graphc's op name, `input`: the names of the tensors it reads, then
        '^name' for each node it waits for). graphc writes graphs with gc.export_graph."""
        return GraphDef(tuple(NodeDef(n.name, n.op, tuple(
            [t.name for t in n.inputs] + [f"^{c.name}" for c in n.control_inputs]))
            for n in self.nodes))

    def get_operation_by_name(self, name: str) -> Node:
        """The node named `name` (an op's name, no ":0")."""
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor named `name`, "<op_name>:<output_index>"."""
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj: Any, allow_tensor: bool = True,
                         allow_operation: bool = True) -> Any:
        """The Tensor or node `obj` names ("x:0" a tensor, "x" a node) or is, as TensorFlow's
        Graph.as_graph_element finds it, with its errors."""
        kinds = " or ".join(k for k, ok in (("Tensor", allow_tensor),
                                             ("Operation", allow_operation)) if ok)
        if isinstance(obj, Tensor | Node):
            if not (allow_tensor if isinstance(obj, Tensor) else allow_operation):
                given = "Tensor" if isinstance(obj, Tensor) else "Operation"
                raise TypeError(f"Can not convert a {given} into a {kinds}.")
            if obj.graph is not self:
                raise ValueError(f"{obj} is not an element of this graph.")
            return obj
        if not isinstance(obj, str):
            what = "Tensor" if allow_tensor and not allow_operation else "Operation" \
                if allow_operation and not allow_tensor else "Graph element"
            raise TypeError(f"{what} names are strings (or similar), not "
                            f"{type(obj).__name__}.")
        if allow_tensor and ":" in obj:
            op_name, _, index = obj.partition(":")
            try:
                out_n = int(index)
            except ValueError:
                raise ValueError(f"The name {obj!r} looks a like a Tensor name, but is not a "
                                 "valid one. Tensor names must be of the form "
                                 "\"<op_name>:<output_index>\".") from None
            if op_name not in self._names:
                raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                               f"The operation, {op_name!r}, does not exist in the graph.")
            node = self._names[op_name]
            if not 0 <= out_n < len(node.types):
                raise KeyError(f"The name {obj!r} refers to a Tensor which does not exist. "
                               f"The operation, {op_name!r}, exists but only has "
                               f"{len(node.types)} outputs.")
            return Tensor(node, out_n)
        if allow_operation and ":" not in obj:
            if obj not in self._names:
                raise KeyError(f"The name {obj!r} refers to an Operation not in the graph.")
            return self._names[obj]
        if ":" in obj:  # (a tensor's name where only an op will do)
            raise ValueError(f"Name {obj!r} appears to refer to a Tensor, not a {kinds}.")
        raise ValueError(("The name {!r} refers to an Operation, not a {}." if obj in self._names
                          else "The name {!r} looks like an (invalid) Operation name, not a "
                          "{}.").format(obj, kinds) + " Tensor names must be of the form "
                         "\"<op_name>:<output_index>\".")

    if TYPE_CHECKING:  # installed by the layers above, declared here for type checkers
        @property
        def variables(self) -> list[Any]:  # graphc.variables: global_variables(graph)
            ...

        def to_networkx(self) -> Any: ...  # graphc.viz: to_networkx(graph)
        def _repr_svg_(self) -> str | None: ...  # graphc.viz: notebooks draw graphs inline

    def __repr__(self) -> str:
        return f"<gc.Graph with {len(self.nodes)} nodes>"


@dataclass(frozen=True)
class NodeDef:
    """One node of Graph.as_graph_def()."""

    name: str
    op: str
    input: tuple[str, ...]


@dataclass(frozen=True)
class GraphDef:
    """What Graph.as_graph_def() gives: the nodes, in the order they were made."""

    node: tuple[NodeDef, ...]


class FuncGraph(Graph):
    """The graph of a function traced for control flow (a cond branch, a loop body).

    Its `inputs` are placeholders for the function's arguments; a tensor of an enclosing
    graph used inside is captured: it becomes a placeholder here, fed at run time with the
    outer value (`captures` pairs each outer tensor with its placeholder). A control
    dependency inside on a node of an enclosing graph is kept in `control_captures`: the
    control-flow node waits for it, so it runs whichever branch runs, as in TensorFlow
    ("ops created outside the branch functions run regardless of the branch taken").
    """

    def __init__(self, parent: Graph, name: str) -> None:
        super().__init__()
        self.parent = parent
        self.name = check_name(name, "function graph name")
        self.seed = parent.seed
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: dict[Tensor, Tensor] = {}
        self.control_captures: dict[Node, None] = {}  # (an ordered set)
        # a cond branch makes its random ops in the enclosing graph and captures their
        # values (ops/core.apply)
        self.hoists_random = False

    def outer(self, t: Tensor) -> Tensor | None:
        """The enclosing graph's tensor that placeholder `t` captures (None: no capture)."""
        return next((source for source, inner in self.captures.items() if inner is t), None)

    def capture_control(self, node: Node, op: str) -> None:
        if node.graph not in self.parent.lineage():
            return super().capture_control(node, op)
        self.control_captures[node] = None

    def capture(self, t: Tensor, op: str) -> Tensor:
        if t.graph not in self.parent.lineage():
            return super().capture(t, op)
        if t.graph is not self.parent:
            t = self.parent.capture(t, op)
        if t not in self.captures:
            # (outside any open control_dependencies, as TensorFlow makes it: a fed capture
            # never runs, so its readers must wait for those nodes themselves)
            with self.control_dependencies(None):
                node = self.create_node("placeholder", (), {"shape": t.shape,
                                                            "dtype": t.dtype},
                                        (t.type,), "capture")
            self.captures[t] = node.outputs[0]
        return self.captures[t]

    def lineage(self) -> list[Graph]:
        return [self, *self.parent.lineage()]

    @property
    def root(self) -> Graph:
        """The user's graph this function graph is nested in."""
        return self.parent.lineage()[-1]


N = TypeVar("N")
_trackers: list[list[Graph]] = []  # lists collecting new Graphs, see track_graphs()


def toposort(roots: Iterable[N], deps: Callable[[N], Iterable[N]]) -> list[N]:
    """Nodes reachable from `roots` through `deps`, each after its deps; explicit stack, so
    deep graphs do not hit Python's recursion limit."""
    order: list[N] = []
    done: set[N] = set()
    on_path: set[N] = set()
    stack: list[tuple[N, Iterator[N]]] = []
    for root in roots:
        if root in done:
            continue
        stack.append((root, iter(deps(root))))
        on_path.add(root)
        while stack:
            node, pending = stack[-1]
            child = next((c for c in pending if c not in done), None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                order.append(node)
            elif child in on_path:
                raise ValueError(f"the graph has a cycle through {child!r}")
            else:
                on_path.add(child)
                stack.append((child, iter(deps(child))))
    return order


_local = threading.local()


@contextlib.contextmanager
def track_graphs() -> Iterator[list[Graph]]:
    """Collect the Graphs created inside the block (`graphc render` uses it)."""
    made: list[Graph] = []
    _trackers.append(made)
    try:
        yield made
    finally:
        _trackers.remove(made)


_default = Graph()


def _stack() -> list[Graph]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def get_default_graph() -> Graph:
    """The graph that op functions build into: the innermost `as_default()`, else the global one."""
    stack = _stack()
    return stack[-1] if stack else _default


def reset_default_graph() -> None:
    """Replace the global default graph by an empty one."""
    global _default
    if _stack():
        raise RuntimeError("reset_default_graph() called inside a `with graph.as_default()` block")
    _default = Graph()


def name_scope(name: str) -> contextlib.AbstractContextManager[str]:
    """Context manager prefixing new node names in the default graph with `name/`."""
    return get_default_graph().name_scope(name)


def control_dependencies(ops: Iterable[Node | Tensor] | None) -> contextlib.AbstractContextManager:
    """Context manager: ops created inside run after `ops` (in the default graph)."""
    return get_default_graph().control_dependencies(ops)
