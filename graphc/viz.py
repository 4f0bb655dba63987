"""Drawing graphs: DOT text for a Graph, a fetch list, or the optimized program, and files
rendered from it by graphviz's `dot`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphc import shapes
from graphc.graph import Graph, Node, Tensor
from graphc.passes.pipeline import build_program
from graphc.passes.prune import prune
from graphc.registry import OPS

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


def nodes_to_draw(target: Any, optimized: bool = False) -> list[Node]:
    """The nodes a drawing of `target` shows, in dependency order."""
    if isinstance(target, Graph):
        if not optimized:
            return list(target.nodes)
        used = {t.node for n in target.nodes for t in n.inputs}
        used |= {c for n in target.nodes for c in n.control_inputs}
        target = [n for n in target.nodes if n not in used]
    items = list(target) if isinstance(target, list | tuple) else [target]
    fetches = [t for t in items if isinstance(t, Tensor)]
    ops = [n for n in items if isinstance(n, Node)]
    if len(fetches) + len(ops) != len(items):
        raise TypeError("draw a Graph, a tensor, an op, or a list of tensors and ops")
    program = build_program(fetches, ops) if optimized else prune(fetches, ops, ())
    return list(program.schedule)


def to_dot(target: Any, *, optimized: bool = False, show_shapes: bool = True,
           title: str | None = None) -> str:
    """DOT source drawing `target`: a Graph, a tensor or op, or a list of them (the subgraph
    they need); with optimized=True, the program the runtime's passes make of it."""
    nodes = nodes_to_draw(target, optimized)
    inside = _inside_custom_functions(nodes)
    nodes = [n for n in nodes if n not in inside]
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    ids.update({n: ids[owner] for n, owner in inside.items()})
    lines = ["digraph graphc {",
             '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.3, '
             'ranksep=0.35, labelloc=t];',
             '  node [fontname="Helvetica", fontsize=11, style=filled, penwidth=1.2];',
             '  edge [fontname="Helvetica", fontsize=9, color="#7a7a7a", '
             'fontcolor="#555555", arrowsize=0.7];']
    if title:
        lines.append(f'  label="{_escape(title)}";')
    lines += _clusters(nodes, ids)
    edges = [e for node in nodes for e in _edges(node, ids, show_shapes)]
    lines += [e for e in dict.fromkeys(edges) if not _is_self_loop(e)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _inside_custom_functions(nodes: list[Node]) -> dict[Node, Node]:
    """Nodes built inside a @custom_gradient function, mapped to the node that stands for the
    whole function: a custom-gradient function draws as one node."""
    owners = {f"{n.name}/": n for n in nodes if n.op == "custom_gradient"}
    return {n: owner for n in nodes for prefix, owner in owners.items()
            if n.name.startswith(prefix)}


def _is_self_loop(edge: str) -> bool:
    source, _, rest = edge.strip().partition(" -> ")
    return rest.split(" ", 1)[0].rstrip(";") == source


def _clusters(nodes: list[Node], ids: dict[Node, str]) -> list[str]:
    """Node statements, nested in one cluster per name scope."""
    tree: dict[str, Any] = {}
    for node in nodes:
        branch = tree
        for scope in node.name.split("/")[:-1]:
            branch = branch.setdefault(scope, {})
        branch.setdefault("", []).append(node)
    return _emit(tree, ids, "", 1)


def _emit(tree: dict[str, Any], ids: dict[Node, str], path: str, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [pad + _node_statement(n, ids[n]) for n in tree.get("", [])]
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
        lines += _emit(branch, ids, full, depth + 1)
        lines.append(pad + "}")
    return lines


def _node_statement(node: Node, node_id: str) -> str:
    kind = kind_of(node)
    style = {"style": "filled", **STYLES[kind]}
    attrs = ", ".join(f'{k}="{v}"' for k, v in style.items())
    tooltip = f"{node.name} ({node.op}) at {node.site}"
    return (f'{node_id} [label="{_escape(_label(node, kind))}", tooltip="{_escape(tooltip)}", '
            f'class="{kind}", {attrs}];')


def _label(node: Node, kind: str) -> str:
    short = node.name.rsplit("/", 1)[-1]
    shape = shapes.fmt(node.types[0].shape) if node.types else ""
    if kind == "fused":
        parts = [n.op for n in node.origin] or OPS[node.op].fused_from  # the ops it replaced
        return "+".join(parts) + f"\\n{short}"
    if kind in ("placeholder", "variable"):
        return f"{short}\\n{shape}"
    if node.op == "constant" and node.attrs["value"].size == 1:
        return f"{node.attrs['value'].item():g}"
    if node.op == "fill":
        return f"fill {node.attrs['value']:g}\\n{shape}"
    base = short.split("_")[0] if short.rsplit("_", 1)[-1].isdigit() else short
    return node.op if base == node.op else f"{short}\\n{node.op}"


def _edges(node: Node, ids: dict[Node, str], show_shapes: bool) -> list[str]:
    lines = []
    for t in node.inputs:
        if t.node not in ids:
            continue
        label = f' [label="{t.dtype.name} {shapes.fmt(t.shape)}"]' if show_shapes else ""
        lines.append(f"  {ids[t.node]} -> {ids[node]}{label};")
    for c in node.control_inputs:
        if c in ids:
            lines.append(f'  {ids[c]} -> {ids[node]} [style=dashed, color="#5a3e9b", '
                         'arrowhead=odot];')
    var = node.attrs.get("var") if node.op == "assign" else None
    if var in ids:
        lines.append(f'  {ids[node]} -> {ids[var]} [style=dashed, color="#d2600f", '
                     'label="writes", fontcolor="#d2600f", constraint=false];')
    return lines


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")


# -- rendering -------------------------------------------------------------------------------
class GraphvizNotFoundError(RuntimeError):
    """graphviz's `dot` program is not installed."""


INSTALL_HINT = ("install graphviz: `apt-get install graphviz` (Debian, Ubuntu), "
                "`brew install graphviz` (macOS), or see https://graphviz.org/download/")


def render(target: Any, filename: str | os.PathLike[str], *, format: str = "svg",  # noqa: A002
           optimized: bool = False, show_shapes: bool = True,
           title: str | None = None) -> Path:
    """Draw `target` into `filename` (svg, png, pdf, ...) with graphviz's `dot`.

    If `dot` is missing, the DOT source is written beside the file (.dot) and
    GraphvizNotFoundError says how to install graphviz.
    """
    import graphviz

    source = to_dot(target, optimized=optimized, show_shapes=show_shapes, title=title)
    path = Path(filename)
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


def to_svg(target: Any, optimized: bool = False) -> str | None:
    """SVG text of a drawing, or None when graphviz's `dot` is not installed."""
    import graphviz

    try:
        return graphviz.Source(to_dot(target, optimized=optimized)).pipe(format="svg").decode()
    except graphviz.ExecutableNotFound:
        return None


class Drawing:
    """A drawing a notebook shows inline (e.g. `gc.viz.show([loss, train_op])`)."""

    def __init__(self, target: Any, optimized: bool = False) -> None:
        self.target, self.optimized = target, optimized

    def _repr_svg_(self) -> str | None:
        return to_svg(self.target, self.optimized)

    def __str__(self) -> str:
        return to_dot(self.target, optimized=self.optimized)


def show(target: Any, optimized: bool = False) -> Drawing:
    """Something a notebook displays as the drawing of `target`."""
    return Drawing(target, optimized)


def to_networkx(nodes: Iterable[Node]) -> Any:
    """A networkx MultiDiGraph of the nodes: node attributes op, kind, types and site; data
    edges carry the tensor's name, dtype and shape, control edges kind="control"."""
    import networkx as nx

    g = nx.MultiDiGraph()
    nodes = list(nodes)
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
