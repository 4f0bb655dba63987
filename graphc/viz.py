"""Drawing graphs: DOT text for a Graph, a fetch list, or the optimized program, and files
rendered from it by graphviz's `dot`."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphc import shapes
from graphc.graph import Graph, Node, Tensor
from graphc.passes.pipeline import build_program
from graphc.passes.rewrite import user_nodes
from graphc.passes.prune import prune
from graphc.registry import OPS
from graphc.variables import global_variables

# How each kind of node looks: a reader tells inputs, state, the forward pass, the backward
# pass, updates and fused kernels apart at a glance.
STYLES: dict[str, dict[str, str]] = {
    "placeholder": dict(shape="invhouse", fillcolor="#d6e8fa", color="#2f6db5"),
    "variable": dict(shape="cylinder", fillcolor="#ffe9a8", color="#a87b00"),
    "constant": dict(shape="box", style="filled,rounded", fillcolor="#f0f0f0",
                     color="#9a9a9a", fontsize="10"),
    "random": dict(shape="box", style="filled,rounded", fillcolor="#e3f2df", color="#3f8f3f"),
    "op": dict(shape="ellipse", fillcolor="#ffffff", color="#3a3a3a"),
    "gradient": dict(shape="ellipse", fillcolor="#fde2e4", color="#b8336a"),
    "update": dict(shape="box", style="filled,bold", fillcolor="#ffd8b1", color="#d2600f"),
    "control": dict(shape="octagon", fillcolor="#e8e4f6", color="#5a3e9b"),
    "flow": dict(shape="hexagon", style="filled,bold", fillcolor="#dcd3f2", color="#4b2a91"),
    "custom": dict(shape="component", fillcolor="#e4f1f6", color="#2a7b9b"),
    "fused": dict(shape="box", style="filled,bold", fillcolor="#bfe6c3", color="#1b7a34",
                  penwidth="2.5"),
}
CONSTANT_OPS = {"constant", "fill", "fill_like"}


def kind_of(node: Node) -> str:
    """The drawing category of a node."""
    if OPS[node.op].fused_from:
        return "fused"
    fixed = {"placeholder": "placeholder", "variable": "variable", "assign": "update",
             "no_op": "control", "custom_gradient": "custom", "cond": "flow",
             "while_loop": "flow", "while_grad": "flow"}
    if node.op in fixed:
        return fixed[node.op]
    if node.op in CONSTANT_OPS:
        return "constant"
    if OPS[node.op].effect == "random":
        return "random"
    if is_gradient(node):
        return "gradient"
    return "op"


def is_gradient(node: Node) -> bool:
    """Whether gradients() built the node (it lives in a `gradients` name scope)."""
    return any(part.startswith("gradients") for part in node.name.split("/")[:-1])


def nodes_to_draw(target: Any, optimized: bool | str = False) -> list[Node]:
    """The nodes a drawing of `target` shows, in dependency order."""
    if isinstance(target, Graph):
        if not optimized:
            return list(target.nodes)
        used = {t.node for n in target.nodes for t in n.inputs}
        used |= {c for n in target.nodes for c in n.control_inputs}
        target = [n for n in target.nodes if n not in used]
    items = _flatten(target)
    fetches = [t for t in items if isinstance(t, Tensor)]
    ops = [n for n in items if isinstance(n, Node)]
    if len(fetches) + len(ops) != len(items):
        raise TypeError("draw a Graph, a tensor, an op, or a list of tensors and ops")
    if not optimized:
        return list(prune(fetches, ops, ()).schedule)
    until = optimized if isinstance(optimized, str) else None  # a stage's name
    return list(build_program(fetches, ops, until=until).schedule)


def _flatten(target: Any) -> list[Any]:
    """The tensors and ops of a fetch structure: nested lists and tuples, as Session.run
    takes them."""
    if isinstance(target, list | tuple):
        return [item for part in target for item in _flatten(part)]
    return [target]


def to_dot(target: Any, *, optimized: bool | str = False, show_shapes: bool = True,
           title: str | None = None, show_initializers: bool = False,
           collapse_gradients: bool = True, legend: bool = True) -> str:
    """DOT source drawing `target`: a Graph, a tensor or op, or a list of them (the subgraph
    they need); with optimized=True, the program the runtime's passes make of it, and with
    optimized set to a stage's name (passes/pipeline.STAGES), the program after that stage.

    Variable initializers are left out unless `show_initializers`. The nodes gradients()
    built for one user op draw as one gradient node ("∂ matmul") unless
    `collapse_gradients=False`. Edges are labelled with their shape only where the shape
    changes (and with their dtype where it is not the drawing's usual one); `legend` adds a
    key to the node kinds drawn.
    """
    nodes = nodes_to_draw(target, optimized)
    if not show_initializers:
        hidden = _initializer_nodes(nodes)
        if len(hidden) < len(nodes):  # a drawing of nothing but initializers shows them
            nodes = [n for n in nodes if n not in hidden]
    boxes = _boxes(nodes, collapse_gradients)
    lines = ["digraph graphc {",
             '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.3, '
             'ranksep=0.35, labelloc=t];',
             '  node [fontname="Helvetica", fontsize=11, style=filled, penwidth=1.2];',
             '  edge [fontname="Helvetica", fontsize=9, color="#7a7a7a", '
             'fontcolor="#555555", arrowsize=0.7];']
    if title:
        lines.append(f'  label="{_escape(title)}";')
    unique = list(dict.fromkeys(boxes.values()))
    lines += _clusters(unique)
    lines += _edges(nodes, boxes, show_shapes)
    if legend:
        lines += _legend(unique)
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(eq=False)
class _Box:
    """One drawn node: a graph node, or every node of one user op's gradient."""

    id: str
    kind: str
    label: str
    tooltip: str
    scope: tuple[str, ...]  # the name scopes it is drawn inside
    members: list[Node] = field(default_factory=list)


def _initializer_nodes(nodes: list[Node]) -> set[Node]:
    """The drawn nodes that only initialize variables: their initializers, what only they
    use, and groups of them (global_variables_initializer)."""
    graphs = {n.graph for n in nodes if n.graph is not None}
    inits = {v.initializer for g in graphs for v in global_variables(g)}
    hidden = {n for n in nodes if set(user_nodes(n)) <= inits}
    for n in nodes:  # groups of initializers, in dependency order
        if n.op == "no_op" and n.control_inputs and set(n.control_inputs) <= hidden:
            hidden.add(n)
    consumers: dict[Node, list[Node]] = {n: [] for n in nodes}
    for n in nodes:
        for used in [t.node for t in n.inputs] + list(n.control_inputs):
            if used in consumers:
                consumers[used].append(n)
    for n in reversed(nodes):  # what only hidden nodes use
        if (n not in hidden and n.op not in ("placeholder", "variable") and consumers[n]
                and all(c in hidden for c in consumers[n])):
            hidden.add(n)
    return hidden


def _gradient_source(node: Node) -> Node | None:
    """The user node whose gradient `node` (or every user node it stands for) is part of."""
    sources = {u.graph.gradient_sources.get(u) if u.graph is not None else None
               for u in user_nodes(node)}
    return sources.pop() if len(sources) == 1 else None


def _boxes(nodes: list[Node], collapse_gradients: bool) -> dict[Node, _Box]:
    """The drawn node standing for each node."""
    names = _display_names(nodes)
    inside = _inside_custom_functions(nodes)
    variables = {n.name for n in nodes if n.op == "variable"}
    boxes: dict[Node, _Box] = {}
    groups: dict[Node, _Box] = {}
    for node in nodes:
        if node in inside:
            continue
        kind = kind_of(node)
        source = _gradient_source(node) if kind != "fused" else None
        scope = tuple(node.name.split("/")[:-1])
        if scope and scope[-1] in variables and node.op in ("assign", "no_op"):
            scope = scope[:-1]  # no box around a variable's lone update
        if collapse_gradients and source is not None and kind not in (
                "placeholder", "variable", "update", "control", "flow", "custom"):
            box = groups.get(source)
            if box is None:
                label = f"∂ {names.get(source) or _short(source)}"
                box = groups[source] = _Box(f"n{len(boxes)}", "gradient", label, "", scope)
            box.members.append(node)
        else:
            box = _Box(f"n{len(boxes)}", kind, _label(node, kind, names),
                       _tooltip(node), scope, [node])
        boxes[node] = box
    for source, box in list(groups.items()):
        if all(kind_of(n) == "constant" for n in box.members):  # all else was fused away
            _expand(box, boxes, names)
            del groups[source]
    for box in _groups_on_cycles(boxes, set(groups.values())):
        _expand(box, boxes, names)  # a fusion took nodes from the middle of a gradient
        groups = {s: b for s, b in groups.items() if b is not box}
    for source, box in groups.items():
        ops = ", ".join(dict.fromkeys(n.op for n in box.members))
        count = f"{len(box.members)} node" + ("s" if len(box.members) > 1 else "")
        box.tooltip = (f"gradient of {source.name} ({source.op}) at {source.site}: {count} "
                       f"({ops}); collapse_gradients=False shows them")
    for node, owner in inside.items():
        boxes[node] = boxes[owner]
    return boxes


def _expand(group: _Box, boxes: dict[Node, _Box], names: dict[Node, str]) -> None:
    """Draw the members of a gradient group one by one."""
    for i, n in enumerate(group.members):
        kind = kind_of(n)
        boxes[n] = _Box(f"{group.id}_{i}", kind, _label(n, kind, names), _tooltip(n),
                        group.scope, [n])


def _groups_on_cycles(boxes: dict[Node, _Box], groups: set[_Box]) -> list[_Box]:
    """The gradient groups that would draw as a cycle (in an optimized program, a fused
    node can read from one part of a gradient and feed another)."""
    import networkx as nx

    g = nx.DiGraph()
    for node, box in boxes.items():
        for used in [t.node for t in node.inputs] + list(node.control_inputs):
            if used in boxes and boxes[used] is not box:
                g.add_edge(boxes[used].id, box.id)
    on_cycles = {i for part in nx.strongly_connected_components(g) if len(part) > 1
                 for i in part}
    return [b for b in groups if b.id in on_cycles]


def _display_names(nodes: list[Node]) -> dict[Node, str]:
    """How a drawing names the user nodes behind `nodes`: the name without its scopes."""
    users = dict.fromkeys(u for n in nodes for u in user_nodes(n))
    return {u: _short(u) for u in users}


def _short(node: Node) -> str:
    return node.name.rsplit("/", 1)[-1]


def _tooltip(node: Node) -> str:
    if node.origin and (len(node.origin) > 1 or node.origin[0].op != node.op):
        made = "; ".join(f"{u.name} ({u.op}) at {u.site}" for u in node.origin)
        return f"{node.name} ({node.op}), made from {made}"
    return f"{node.name} ({node.op}) at {user_nodes(node)[0].site}"


def _inside_custom_functions(nodes: list[Node]) -> dict[Node, Node]:
    """Nodes built inside a @custom_gradient function, mapped to the node that stands for the
    whole function: a custom-gradient function draws as one node."""
    owners = {f"{n.name}/": n for n in nodes if n.op == "custom_gradient"}
    return {n: owner for n in nodes for prefix, owner in owners.items()
            if n.name.startswith(prefix)}


def _clusters(boxes: list[_Box]) -> list[str]:
    """Node statements, nested in one cluster per name scope."""
    tree: dict[str, Any] = {}
    for box in boxes:
        branch = tree
        for scope in box.scope:
            branch = branch.setdefault(scope, {})
        branch.setdefault("", []).append(box)
    return _emit(tree, "", 1)


def _emit(tree: dict[str, Any], path: str, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [pad + _node_statement(box) for box in tree.get("", [])]
    for scope, branch in tree.items():
        if not scope:
            continue
        full = f"{path}/{scope}" if path else scope
        backward = scope.startswith("gradients")
        label = f"{scope} (backward pass)" if backward else scope
        fill = "#fff3f5" if backward else "#f7f9fc"
        lines.append(f'{pad}subgraph "cluster_{_escape(full)}" {{')
        lines.append(f'{pad}  label="{_escape(label)}"; style="rounded,filled"; '
                     f'fillcolor="{fill}"; color="#c8c8c8"; fontcolor="#555555";')
        lines += _emit(branch, full, depth + 1)
        lines.append(pad + "}")
    return lines


def _node_statement(box: _Box, node_id: str | None = None) -> str:
    style = {"style": "filled", **STYLES[box.kind]}
    attrs = ", ".join(f'{k}="{v}"' for k, v in style.items())
    return (f'{node_id or box.id} [label="{_escape(box.label)}", '
            f'tooltip="{_escape(box.tooltip)}", class="{box.kind}", {attrs}];')


def _label(node: Node, kind: str, names: dict[Node, str]) -> str:
    short = _short(node)
    shape = shapes.fmt(node.types[0].shape) if node.types else ""
    if kind == "fused":  # the user ops it replaced: "matmul + relu", "∂ matmul_1 + ∂ relu"
        parts = []
        for user in user_nodes(node):
            source = _gradient_source(user)
            parts.append(f"∂ {names.get(source) or _short(source)}" if source is not None
                         else names.get(user, _short(user)))
        parts = list(dict.fromkeys(parts)) or list(OPS[node.op].fused_from)
        lines = [" + ".join(parts[i:i + 3]) for i in range(0, len(parts), 3)]
        return "\\n".join(lines)
    if kind in ("placeholder", "variable"):
        return f"{short}\\n{shape}"
    if node.op == "assign":
        var = node.attrs.get("var")
        return f"assign → {_short(var)}" if isinstance(var, Node) else "assign"
    if node.op == "constant" and node.attrs["value"].size == 1:
        return f"{node.attrs['value'].item():g}"
    if node.op == "fill":
        return f"fill {node.attrs['value']:g}\\n{shape}"
    base = short.rsplit("_", 1)[0] if short.rsplit("_", 1)[-1].isdigit() else short
    return short if base == node.op else f"{short}\\n{node.op}"


def _shows_shape(box: _Box) -> bool:
    """Whether the box's own label already says the shape of what it makes."""
    node = box.members[0]
    return box.kind in ("placeholder", "variable") or node.op == "fill" or (
        node.op == "constant" and node.attrs["value"].size == 1)


def _edges(nodes: list[Node], boxes: dict[Node, _Box], show_shapes: bool) -> list[str]:
    """Data edges (labelled where the shape changes), control edges (dashed)."""
    data: dict[tuple[str, str], Tensor] = {}
    control: dict[tuple[str, str], None] = {}
    inputs: dict[_Box, set[tuple[str, Any]]] = {}
    for node in nodes:
        if node not in boxes:
            continue
        box = boxes[node]
        for t in node.inputs:
            source = boxes.get(t.node)
            if source is box:
                continue
            inputs.setdefault(box, set()).add((t.dtype.name, t.shape))
            if source is not None:
                data.setdefault((source.id, box.id), t)
        for c in node.control_inputs:
            if c in boxes and boxes[c] is not box:
                control[(boxes[c].id, box.id)] = None
    by_id = {b.id: b for b in boxes.values()}
    usual = Counter(t.dtype.name for t in data.values()).most_common(1)
    usual_dtype = usual[0][0] if usual else None
    lines = []
    for (src, dst), t in data.items():
        made_from = inputs.get(by_id[src])
        same = (t.dtype.name, t.shape) in made_from if made_from else _shows_shape(by_id[src])
        label = ""
        if show_shapes and not same:
            text = shapes.fmt(t.shape)
            if t.dtype.name != usual_dtype:
                text = f"{t.dtype.name} {text}"
            label = f' [label="{_escape(text)}"]'
        elif show_shapes and t.dtype.name != usual_dtype:
            label = f' [label="{t.dtype.name}"]'
        lines.append(f"  {src} -> {dst}{label};")
    for src, dst in control:
        lines.append(f'  {src} -> {dst} [style=dashed, color="#5a3e9b", arrowhead=odot];')
    return lines


LEGEND = {"placeholder": "placeholder (fed)", "variable": "variable", "constant": "constant",
          "random": "random", "op": "op", "gradient": "gradient (∂ op)",
          "fused": "fused kernel", "update": "assign", "control": "group",
          "flow": "control flow", "custom": "custom gradient"}


def _legend(boxes: list[_Box]) -> list[str]:
    """A key to the node kinds in the drawing, in one column."""
    kinds = [k for k in LEGEND if any(b.kind == k for b in boxes)]
    if not kinds:
        return []
    lines = ['  subgraph "cluster_legend" {',
             '    label="legend"; style="rounded"; color="#c8c8c8"; fontcolor="#555555"; '
             'fontsize=10;',
             '    node [fontsize=9, height=0.3, margin="0.05,0.02"];']
    ids = [f"legend_{k}" for k in kinds]
    for k, node_id in zip(kinds, ids):
        key = _Box(node_id, k, LEGEND[k], f"legend: {LEGEND[k]}", ())
        lines.append("    " + _node_statement(key))
    lines += [f"    {a} -> {b} [style=invis];" for a, b in zip(ids, ids[1:])]
    lines.append("  }")
    return lines


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")


# -- rendering -------------------------------------------------------------------------------
class GraphvizNotFoundError(RuntimeError):
    """graphviz's `dot` program is not installed."""


INSTALL_HINT = ("install graphviz: `apt-get install graphviz` (Debian, Ubuntu), "
                "`brew install graphviz` (macOS), or see https://graphviz.org/download/")


def formats() -> frozenset[str]:
    """The output formats graphviz's `dot` can write here (graphviz's list of formats when
    `dot` is not installed)."""
    global _formats
    if _formats is None:
        import subprocess

        import graphviz

        try:
            said = subprocess.run(["dot", "-T?"], capture_output=True, text=True,
                                  timeout=30).stderr
            found = said.partition("Use one of:")[2].split()
        except (OSError, subprocess.SubprocessError):
            found = []
        _formats = frozenset(f.split(":")[0] for f in found) or frozenset(graphviz.FORMATS)
    return _formats


_formats: frozenset[str] | None = None


def check_format(format: str) -> str:  # noqa: A002
    """`format`, if graphviz writes it; ValueError listing the formats otherwise."""
    known = formats()
    if format not in known:
        raise ValueError(f"unknown format {format!r}: graphviz writes "
                         + ", ".join(sorted(known)))
    return format


def output_path(filename: str | os.PathLike[str], format: str) -> Path:  # noqa: A002
    """Where render() writes: `filename` with the format's extension appended unless it
    already ends with it (graphviz's convention)."""
    path = Path(filename)
    return path if path.suffix.lower() == f".{format}" else path.with_name(
        f"{path.name}.{format}")


def render(target: Any, filename: str | os.PathLike[str], *,
           format: str | None = None, optimized: bool | str = False,  # noqa: A002
           show_shapes: bool = True, title: str | None = None,
           show_initializers: bool = False, collapse_gradients: bool = True,
           legend: bool = True) -> Path:
    """Draw `target` (see to_dot) into a file with graphviz's `dot` and return its path.

    `format` is svg, png, pdf or any other format `dot` writes (formats()); by default the
    extension of `filename` if it names one, else svg. As graphviz does, the format's
    extension is appended unless `filename` already has it ("out/train" -> "out/train.svg"),
    and missing folders are created. If `dot` is missing, the DOT source is written beside
    the file (.dot) and GraphvizNotFoundError says how to install graphviz.
    """
    import graphviz

    if format is None:
        suffix = Path(filename).suffix.lower().lstrip(".")
        format = suffix if suffix and suffix in formats() else "svg"  # noqa: A001
    check_format(format)
    source = to_dot(target, optimized=optimized, show_shapes=show_shapes, title=title,
                    show_initializers=show_initializers,
                    collapse_gradients=collapse_gradients, legend=legend)
    path = output_path(filename, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = graphviz.Source(source).pipe(format=format)
    except graphviz.ExecutableNotFound:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(source)
        raise GraphvizNotFoundError(f"graphviz's `dot` program was not found, so {path} was "
                                    f"not drawn; its DOT source is in {dot_path}. To draw "
                                    f"it, {INSTALL_HINT}") from None
    path.write_bytes(data)
    return path


def to_svg(target: Any, optimized: bool | str = False) -> str | None:
    """SVG text of a drawing, or None when graphviz's `dot` is not installed."""
    import graphviz

    try:
        return graphviz.Source(to_dot(target, optimized=optimized)).pipe(format="svg").decode()
    except graphviz.ExecutableNotFound:
        return None


class Drawing:
    """A drawing a notebook shows inline (e.g. `gc.viz.show([loss, train_op])`)."""

    def __init__(self, target: Any, optimized: bool | str = False) -> None:
        self.target, self.optimized = target, optimized

    def _repr_svg_(self) -> str | None:
        return to_svg(self.target, self.optimized)

    def __str__(self) -> str:
        return to_dot(self.target, optimized=self.optimized)


def show(target: Any, optimized: bool | str = False) -> Drawing:
    """Something a notebook displays as the drawing of `target`."""
    return Drawing(target, optimized)


def to_networkx(target: Graph | Iterable[Node]) -> Any:
    """A networkx MultiDiGraph of a Graph's nodes (or of the given nodes): node attributes
    op, kind, types and site; data edges carry the tensor's name, dtype and shape, control
    edges kind="control". `graph.to_networkx()` is the same."""
    import networkx as nx

    g = nx.MultiDiGraph()
    nodes = list(target.nodes if isinstance(target, Graph) else target)
    for n in nodes:
        g.add_node(n.name, op=n.op, kind=kind_of(n), site=str(n.site),
                   dtypes=[t.dtype.name for t in n.types], shapes=[t.shape for t in n.types])
    for n in nodes:
        for i, t in enumerate(n.inputs):
            g.add_edge(t.node.name, n.name, kind="data", tensor=t.name, input=i,
                       dtype=t.dtype.name, shape=t.shape)
        for c in n.control_inputs:
            g.add_edge(c.name, n.name, kind="control")
    return g


def install_drawing(cls: type[Graph]) -> None:
    """Give graphs their drawings: `graph.to_networkx()`, and `_repr_svg_`, which notebooks
    call to show a graph inline (it returns None, so the notebook shows the repr, when
    graphviz's `dot` is missing). graph.py, the bottom layer, draws nothing and never imports
    this module; `import graphc` imports it, so every graph has them."""
    for name, fn in {"to_networkx": to_networkx, "_repr_svg_": to_svg}.items():
        setattr(cls, name, fn)


install_drawing(Graph)
