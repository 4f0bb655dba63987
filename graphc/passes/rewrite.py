"""The shared rewrite loop: local rules applied to a Program in schedule order, and the
declarative patterns rules are written with.

A rule looks at one node (whose inputs are already rewritten) and returns a replacement: a
new or earlier node, an existing tensor that already holds the value, or None to keep it.
Nodes whose inputs changed are rebuilt; dead nodes are dropped at the end, except what
the run still owes for them (see `owed`). Every new node
keeps, in `origin`, the user nodes it stands for, so errors and renders can name them.
`rewrite` returns the same Program object when no rule fired, so a stage can repeat it
until nothing changes (passes/pipeline.py).
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any


import numpy as np

from graphc.dtypes import as_dtype
from graphc.graph import Node, Tensor, TensorType, toposort
from graphc.ops.core import known_zero, scalar_value
from graphc.passes.symbolic import SymbolicShapes
from graphc.program import Program
from graphc.registry import OPS


class Uses:
    """How the original program uses each tensor: rules must not fuse away a value that is
    fetched, fed, or read by more than one node."""

    def __init__(self, program: Program) -> None:
        self.count = Counter(t for n in program.schedule for t in n.inputs)
        self.fed = frozenset(program.feeds)
        self.kept = set(program.fetches) | self.fed
        self.original: dict[Tensor, Tensor] = {}  # rewritten tensor -> the tensor it replaced
        self.shapes = SymbolicShapes(self.fed)  # which tensors provably have one shape
        self.schedule = program.schedule
        # set by the rewrite loop: the schedule's node the rules look at (rebuilt, if its
        # inputs changed), and the tensors this sweep has replaced so far
        self.current: Node | None = None
        self.replaced: dict[Tensor, Tensor] = {}

    @cached_property
    def readers(self) -> dict[Tensor, list[Node]]:
        """The nodes reading each tensor (made when a rule first asks)."""
        readers: dict[Tensor, list[Node]] = {}
        for n in self.schedule:
            for t in dict.fromkeys(n.inputs):
                readers.setdefault(t, []).append(n)
        return readers

    @cached_property
    def position(self) -> dict[Node, int]:
        """Each node's place in the schedule."""
        return {n: i for i, n in enumerate(self.schedule)}

    def earlier_readers(self, t: Tensor) -> list[Node]:
        """The nodes before the current one that read t and are unchanged in this sweep (a
        rule may build on their results without making a cycle or reading a stale node)."""
        here = self.position.get(self.current, -1)  # type: ignore[arg-type]
        return [n for n in self.readers.get(t, ()) if self.position[n] < here
                and all(o not in self.replaced for o in n.outputs)]

    def folds(self, t: Tensor) -> bool:
        """Whether a rule may take t's value as known: t is not fed (a fed constant is a
        placeholder with a default, so no rule may use the value it was built with) and
        its node waits for no control inputs (a constant made inside control_dependencies
        carries them to its readers, which a rule that drops it would lose)."""
        return t not in self.fed and not t.node.control_inputs

    def constant(self, t: Tensor) -> Any:
        """t's value if t is a constant that folds, else None."""
        node = t.node
        return node.attrs["value"] if node.op == "constant" and self.folds(t) else None

    def scalar(self, t: Tensor) -> float | None:
        """t's value if t is a scalar constant that folds, else None."""
        return scalar_value(t) if self.folds(t) else None

    def is_zero(self, t: Tensor) -> bool:
        """Whether t is a constant or fill of zeros (e.g. gc.zeros(1)) that folds."""
        return self.folds(t) and known_zero(t)

    def only_used_by_one_node(self, t: Tensor) -> bool:
        t = self.original.get(t, t)
        return self.count[t] == 1 and t not in self.kept

    def only_read_by(self, t: Tensor, node: Node) -> bool:
        """Whether node is all that reads t (in as many of its slots as it likes: p * p),
        and t is neither fetched nor fed."""
        original = self.original.get(t, t)
        return original not in self.kept and self.count[original] == node.inputs.count(t)

    def read_downstream(self, t: Tensor) -> bool:
        """Whether a node that depends on the current node's result reads t, so that t's
        value must outlive the current node (no rule may overwrite it there)."""
        t = self.original.get(t, t)
        readers_of_t = set(self.readers.get(t, ()))
        # the schedule is in run order: nothing past t's last reader can lead back to it
        last = max((self.position[r] for r in readers_of_t), default=-1)
        seen: set[Node] = set()
        stack = list(self.current.outputs) if self.current is not None else []
        while stack:
            for reader in self.readers.get(stack.pop(), ()):
                if reader in readers_of_t:
                    return True
                if reader not in seen and self.position[reader] < last:
                    seen.add(reader)
                    stack.extend(reader.outputs)
        return False


Rule = Callable[[Node, Uses], "Node | Tensor | None"]


def user_nodes(node: Node) -> tuple[Node, ...]:
    """The user's nodes a (possibly rewritten) node stands for."""
    return node.origin or (node,)


def remade(node: Node, op: str, inputs: tuple[Tensor, ...],
           attrs: Mapping[str, Any] | None = None, *absorbed: Node) -> Node:
    """`node` as another op on other inputs, with the same result type, standing for the
    user nodes of `node` and of the `absorbed` nodes it replaces too."""
    return dataclasses.replace(
        node, op=op, inputs=inputs, attrs=MappingProxyType(dict(attrs or {})),
        control_inputs=sum((n.control_inputs for n in (*absorbed, node)), ()),
        origin=sum((user_nodes(n) for n in (*absorbed, node)), ()))


def constant_for(node: Node, value: np.ndarray, name: str | None = None) -> Node:
    """A constant node holding a read-only `value`, made by a rule for `node`: it stands for
    node's user nodes and takes its name (or `name`), site and graph."""
    value = np.asarray(value)
    value.setflags(write=False)
    dtype = as_dtype(value.dtype)
    return Node("constant", (), {"value": value, "dtype": dtype},
                (TensorType(dtype, value.shape),), name or node.name, node.site, node.graph,
                (), user_nodes(node))


# -- patterns ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    """What a tensor must be to match: made by one of `ops` (any op when None), passing
    `test` (which an op pattern runs once the op is known), from operands matching
    `operands` (in either order when `commutative`), and with some operand matching `some`
    (an op of any arity: a fused group's inputs). `bind` names the tensor in the match; a
    name bound twice must be the same tensor. An op pattern never matches a fed tensor (its
    value is the feed), nor a node with control inputs unless `absorbed`: the rule's
    replacement absorbs the node (`remade(..., *absorbed)`), which takes its control inputs
    over. A tensor may match in more than one way (x * x against a commutative pattern,
    a group reading two products): `matches` gives each."""

    ops: Collection[str] | None = None
    operands: tuple[Pattern, ...] | None = None
    bind: str | None = None
    commutative: bool = False
    test: Callable[[Tensor, Uses], bool] | None = None
    absorbed: bool = False
    some: Pattern | None = None

    def match(self, t: Tensor, uses: Uses, found: dict[str, Tensor] | None = None
              ) -> dict[str, Tensor] | None:
        """The first bindings with which t matches (extending `found`), else None."""
        return next(self.matches(t, uses, found or {}), None)

    def matches(self, t: Tensor, uses: Uses, found: dict[str, Tensor]
                ) -> Iterator[dict[str, Tensor]]:
        """Every way t matches, as bindings extending `found`."""
        if self.bind is not None:
            if found.get(self.bind, t) is not t:
                return
            found = {**found, self.bind: t}
        if self.ops is not None:
            node = t.node
            # a fed tensor's value is the feed, not its node's; a node ordered by control
            # dependencies must run as it is
            if node.op not in self.ops or len(node.types) != 1 or t in uses.fed or \
                    (node.control_inputs and not self.absorbed):
                return
        if self.test is not None and not self.test(t, uses):
            return
        if self.ops is None or (self.operands is None and self.some is None):
            yield found
            return
        inputs = t.node.inputs
        if self.operands is not None:
            if len(self.operands) != len(inputs):
                return
            for order in [inputs] + ([inputs[::-1]] if self.commutative else []):
                yield from _each(self.operands, order, uses, found)
        if self.some is not None:
            for operand in dict.fromkeys(inputs):
                yield from self.some.matches(operand, uses, found)


def _each(patterns: Sequence[Pattern], tensors: Sequence[Tensor], uses: Uses,
          found: dict[str, Tensor]) -> Iterator[dict[str, Tensor]]:
    """Every way the tensors match the patterns, one to one."""
    if not patterns:
        yield found
        return
    for bindings in patterns[0].matches(tensors[0], uses, found):
        yield from _each(patterns[1:], tensors[1:], uses, bindings)


def op(ops: str | Collection[str], *operands: Pattern, bind: str | None = None,
       commutative: bool | None = None, test: Callable[[Tensor, Uses], bool] | None = None,
       absorbed: bool = False, some: Pattern | None = None) -> Pattern:
    """A pattern for a tensor one of `ops` makes from `operands` (from any, if none given),
    in either order when `commutative`; by default, when every op named is commutative
    (OpDef.commutative). With `some`, one of its operands (any of them) matches that."""
    names = (ops,) if isinstance(ops, str) else ops
    if commutative is None:
        commutative = all(name in OPS and OPS[name].commutative for name in names)
    return Pattern(names, operands or None, bind, commutative, test, absorbed, some)


def value(bind: str | None = None, test: Callable[[Tensor, Uses], bool] | None = None
          ) -> Pattern:
    """A pattern for any tensor (passing `test`)."""
    return Pattern(None, None, bind, False, test)


def zero(bind: str | None = None) -> Pattern:
    """An unfed constant (or fill) of zeros, any shape."""
    return value(bind, lambda t, uses: uses.is_zero(t))


def scalar(number: float, bind: str | None = None) -> Pattern:
    """An unfed constant scalar equal to `number`."""
    return value(bind, lambda t, uses: uses.scalar(t) == number)


def constant(bind: str | None = None) -> Pattern:
    """Any unfed constant."""
    return value(bind, lambda t, uses: uses.constant(t) is not None)


def computed(bind: str | None = None) -> Pattern:
    """Any tensor that is not an unfed constant."""
    return value(bind, lambda t, uses: uses.constant(t) is None)


# build(bindings, node, uses) -> a replacement (node or tensor) or None to keep the node
Build = Callable[[dict[str, Tensor], Node, Uses], "Node | Tensor | None"]


def pattern_rules(table: Sequence[tuple[Pattern, Build]]) -> Rule:
    """One rule applying a table of (pattern, build): the first match of a pattern (in
    table order, then in the order `Pattern.matches` gives them) for which its build gives
    a replacement wins. A replacement tensor must have the node's type (x * 1 is not x
    where 1 would widen x). A node ordered by control dependencies matches only a pattern
    that absorbs it."""
    def rule(node: Node, uses: Uses) -> Node | Tensor | None:
        if len(node.types) != 1:
            return None
        for pattern, build in table:
            for found in pattern.matches(node.outputs[0], uses, {}):
                replacement = build(found, node, uses)
                if isinstance(replacement, Tensor) and replacement.type != node.types[0]:
                    continue
                if replacement is not None:
                    return replacement
        return None
    return rule


def rewrite(program: Program, rules: Sequence[Rule]) -> Program:
    """Apply `rules` once to each node, in schedule order; return the pruned result (the
    same Program if no rule fired)."""
    uses = Uses(program)
    mapping: dict[Tensor, Tensor] = {}
    replaced: dict[Node, Node] = {}
    uses.replaced = mapping
    for node in program.schedule:
        uses.current = node
        inputs = tuple(mapping.get(t, t) for t in node.inputs)
        controls = tuple(replaced.get(c, c) for c in node.control_inputs)
        new = node
        if inputs != node.inputs or controls != node.control_inputs:
            new = dataclasses.replace(node, inputs=inputs, control_inputs=controls,
                                      origin=user_nodes(node))
        replacement: Node | Tensor = new
        for rule in rules:
            found = rule(new, uses)
            if found is not None:
                replacement = found
                break
        if isinstance(replacement, Tensor):  # the value already exists elsewhere
            mapping[node.outputs[0]] = replacement
            replaced[node] = replacement.node
        elif replacement is not node:
            replaced[node] = replacement
            for old_t, new_t in zip(node.outputs, replacement.outputs):
                mapping[old_t] = new_t
                uses.original.setdefault(new_t, old_t)
    if not mapping and not replaced:
        return program
    fetches = tuple(mapping.get(t, t) for t in program.fetches)
    fed = set(program.feeds)
    targets = tuple(replaced.get(n, n) for n in program.targets)

    def deps(n: Node) -> list[Node]:
        return [t.node for t in n.inputs if t not in fed] + list(n.control_inputs)

    roots = [t.node for t in fetches if t not in fed] + list(targets)
    schedule = toposort(roots, deps)
    kept = owed(program.schedule, set(schedule), replaced)
    if kept:
        targets += tuple(kept)
        schedule = in_old_order(toposort(roots + kept, deps), deps, program.schedule, replaced)
    return Program(tuple(schedule), fetches, program.feeds, targets)


def owed(old: Sequence[Node], live: set[Node], replaced: Mapping[Node, Node]) -> list[Node]:
    """What a rewrite that left nodes of `old` unread must still run, so that the optimized
    program does what the unoptimized one does: a rule that drops a read of a value (a
    fill_like of a shape it proves, a broadcast to a provably equal shape) drops the
    value's producers with it. Each dropped assignment, collective or check (in its
    rewritten form, if a rule rebuilt it), and each control input of a dropped node (y
    made under control_dependencies), become targets."""
    owing: list[Node] = []
    for node in old:
        current = replaced.get(node, node)
        if current in live:
            continue
        opdef = OPS[current.op]
        if opdef.effect in ("write", "collective") or opdef.check:
            owing.append(current)
        owing += [replaced.get(c, c) for c in current.control_inputs]
    return [n for n in dict.fromkeys(owing) if n not in live]


def in_old_order(nodes: Sequence[Node], deps: Callable[[Node], Iterable[Node]],
                 old: Sequence[Node], replaced: Mapping[Node, Node]) -> list[Node]:
    """`nodes` (a schedule) reordered, each still after its deps, to follow the schedule
    `old` they were rewritten from: a node where the old node it replaces stood, a node no
    rule made from an old one as soon as it can run. So an assignment kept by `owed`
    keeps its place among the others, and where two assign one variable, the later one
    still wins."""
    place: dict[Node, int] = {}
    for i, node in enumerate(old):
        place.setdefault(replaced.get(node, node), i)
    given = {n: k for k, n in enumerate(nodes)}
    needs = {n: {d for d in deps(n) if d in given} for n in nodes}
    waiting = {n: len(ds) for n, ds in needs.items()}
    readers: dict[Node, list[Node]] = {}
    for n, ds in needs.items():
        for d in ds:
            readers.setdefault(d, []).append(n)
    ready = [(place.get(n, -1), given[n], n) for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    order: list[Node] = []
    while ready:
        *_, node = heapq.heappop(ready)
        order.append(node)
        for r in readers.get(node, []):
            waiting[r] -= 1
            if not waiting[r]:
                heapq.heappush(ready, (place.get(r, -1), given[r], r))
    return order
