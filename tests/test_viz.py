"""Drawings: the right nodes, kinds, labels, clusters and edges, and real rendering by dot."""

import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import static_custom_relu

import graphc as gc
from graphc import demo

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def seed():
    return demo.two_layer_graph((4, 6, 5, 3), gc.float32, 1e-3)


def statements(dot, kind):
    return re.findall(rf'(n\d+) \[label="([^"]*)"[^\]]*class="{kind}"', dot)


def test_forward_drawing_kinds_labels_and_edges(seed):
    dot = gc.viz.to_dot(seed["loss"])
    assert [label for _, label in statements(dot, "placeholder")] == ["x\\n(None, 6)",
                                                                       "y\\n(None, 3)"]
    assert [label for _, label in statements(dot, "variable")] == ["w1\\n(6, 5)", "w2\\n(5, 3)"]
    ops = [label for _, label in statements(dot, "op")]
    assert ops == ["matmul", "relu", "matmul_1", "sub\\nsubtract", "square",
                   "loss\\nreduce_sum"]
    assert statements(dot, "gradient") == [] and statements(dot, "update") == []
    assert 'subgraph "cluster_forward"' in dot
    assert 'shape="invhouse"' in dot and 'shape="cylinder"' in dot


def edge_labels(dot):
    return re.findall(r'-> n\d+ \[label="([^"]*)"\]', dot)


def test_edges_are_labelled_only_where_the_shape_changes(seed):
    dot = gc.viz.to_dot(seed["loss"])
    # matmul (None, 6) x (6, 5) -> (None, 5); matmul_1 -> (None, 3); reduce_sum -> ()
    assert sorted(edge_labels(dot)) == ["(None, 3)", "(None, 5)"]  # the loss is fetched
    assert "float32" not in dot.split("cluster_legend")[0]  # the usual dtype goes unsaid
    dot = gc.viz.to_dot([seed["loss"], seed["train"]], collapse_gradients=False)
    assert "bool (None, 5)" in edge_labels(dot)  # relu's mask: a dtype change is said
    assert edge_labels(gc.viz.to_dot(seed["loss"], show_shapes=False)) == []


def test_legend_lists_the_kinds_drawn(seed):
    dot = gc.viz.to_dot([seed["loss"], seed["train"]])
    legend = dot.split('subgraph "cluster_legend"')[1]
    kinds = re.findall(r'legend_(\w+) \[label="([^"]*)"', legend)
    assert [k for k, _ in kinds] == ["placeholder", "variable", "constant", "op", "gradient",
                                     "update", "control"]
    assert ("update", "assign") in kinds and ("gradient", "gradient (∂ op)") in kinds
    optimized = gc.viz.to_dot([seed["loss"], seed["train"]], optimized=True)
    assert 'legend_fused [label="fused kernel"' in optimized
    assert "cluster_legend" not in gc.viz.to_dot(seed["loss"], legend=False)


def test_initializers_are_hidden_unless_asked(seed):
    graph = seed["graph"]
    dot = gc.viz.to_dot(graph)
    assert "initializer" not in dot and "random_normal" not in dot
    assert 'label="init\\nno_op"' not in dot
    assert 'label="w1\\n(6, 5)"' in dot  # the variables stay
    shown = gc.viz.to_dot(graph, show_initializers=True)
    assert shown.count("w1/initializer (assign)") == 1 and "random_normal" in shown
    assert 'label="init\\nno_op"' in shown
    # a drawing of nothing but an initializer shows it
    assert "w1/initializer" in gc.viz.to_dot(seed["w1"].initializer)


def test_training_drawing_collapses_each_gradient_into_one_node(seed):
    dot = gc.viz.to_dot([seed["loss"], seed["train"]])
    assert 'label="gradients (backward pass)"' in dot
    gradients = sorted(label for _, label in statements(dot, "gradient"))
    # one node per user op on the path from the loss to the weights
    assert gradients == ["∂ loss", "∂ matmul", "∂ matmul_1", "∂ relu", "∂ square",
                         "∂ sub"]
    assert "sum_to" not in dot.split("tooltip")[0] and 'label="broadcast_like"' not in dot
    assert "gradient of forward/matmul_1 (matmul) at " in dot
    assert [label for _, label in statements(dot, "update")] == ["assign → w1", "assign → w2"]
    assert [label for _, label in statements(dot, "control")] == ["train\\nno_op"]
    assert dot.count("arrowhead=odot") == 2
    assert "writes" not in dot and "constraint=false" not in dot  # no edge loops back up
    assert statements(dot, "fused") == []


def test_training_drawing_expands_gradients_on_request(seed):
    dot = gc.viz.to_dot([seed["loss"], seed["train"]], collapse_gradients=False)
    gradient_ops = [label for _, label in statements(dot, "gradient")]
    assert gradient_ops.count("matmul") == 1 and "where" in gradient_ops
    assert "broadcast_like" in gradient_ops and "sum_to" in gradient_ops
    assert not any(label.startswith("∂") for label in gradient_ops)


def test_optimized_drawing_names_the_user_ops_fused(seed):
    step = [seed["loss"], seed["train"]]
    fused = statements(gc.viz.to_dot(step, optimized=True), "fused")
    assert sorted(label for _, label in fused) == [
        "matmul + relu", "square + loss", "∂ matmul + mul + sub",
        "∂ matmul_1 + mul_1 + sub_1", "∂ matmul_1 + ∂ relu"]
    assert statements(gc.viz.to_dot(step), "fused") == []
    with seed["graph"].as_default():
        assert statements(gc.viz.to_dot(seed["graph"], optimized=True), "fused")


def test_sites_are_the_users_lines(seed):
    """Nodes the demo builds point at demo.py, the program that built them."""
    dot = gc.viz.to_dot([seed["loss"], seed["train"]])
    sites = re.findall(r' at ([^"]*?):(\d+)', dot)
    assert sites and {pathlib.Path(f).name for f, _ in sites} == {"demo.py"}


def test_show_shapes_off_and_title():
    x = gc.placeholder(gc.float32, (2,), name="x")
    dot = gc.viz.to_dot(gc.exp(x), show_shapes=False, title='a "quoted" title')
    assert "float32" not in dot and 'label="a \\"quoted\\" title"' in dot


def test_custom_gradient_function_draws_as_one_node():
    x = gc.placeholder(gc.float64, (None, 3), name="x")
    y = static_custom_relu.my_relu(x)
    gc.gradients(gc.reduce_sum(y), [x])
    dot = gc.viz.to_dot(gc.get_default_graph())
    assert [label for _, label in statements(dot, "custom")] == ["my_relu\\ncustom_gradient"]
    assert "maximum" not in dot and "cluster_my_relu" not in dot


def test_real_rendering_has_one_svg_node_per_graph_node(seed, tmp_path):
    step = [seed["loss"], seed["train"]]
    path = gc.viz.render(step, tmp_path / "step.svg", collapse_gradients=False, legend=False)
    root = ET.parse(path).getroot()
    drawn = [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]
    assert len(drawn) == len(gc.viz.nodes_to_draw(step))
    titles = {g.find(f"{SVG}title").text for g in drawn}
    assert len(titles) == len(drawn)


def test_missing_dot_writes_the_source_and_says_how_to_install(seed, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on the PATH
    with pytest.raises(gc.viz.GraphvizNotFoundError) as err:
        gc.viz.render(seed["loss"], tmp_path / "forward.svg")
    assert "apt-get install graphviz" in str(err.value) and "brew install graphviz" in str(
        err.value)
    assert (tmp_path / "forward.dot").read_text().startswith("digraph graphc {")
    assert not (tmp_path / "forward.svg").exists()
    assert seed["graph"]._repr_svg_() is None


def test_notebook_display(seed):
    svg = seed["graph"]._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<svg" in gc.viz.show([seed["loss"]], optimized=True)._repr_svg_()


def test_to_networkx(seed):
    g = gc.viz.to_networkx(seed["graph"])
    for same in (seed["graph"].to_networkx(), gc.viz.to_networkx(seed["graph"].nodes)):
        assert list(same.nodes(data=True)) == list(g.nodes(data=True))
        assert list(same.edges(data=True)) == list(g.edges(data=True))
    assert g.number_of_nodes() == len(seed["graph"].nodes)
    assert g.nodes["w1"]["kind"] == "variable" and g.nodes["x"]["shapes"] == [(None, 6)]
    edge_kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert edge_kinds == {"data", "control"}
    data_edges = sum(len(n.inputs) for n in seed["graph"].nodes)
    control_edges = sum(len(n.control_inputs) for n in seed["graph"].nodes)
    assert g.number_of_edges() == data_edges + control_edges
    import networkx as nx
    assert nx.is_directed_acyclic_graph(g)


def test_drawing_bad_targets():
    with pytest.raises(TypeError, match="draw a Graph, a tensor, an op"):
        gc.viz.to_dot([np.zeros(2)])


def test_render_appends_the_extension_and_makes_folders(seed, tmp_path):
    path = gc.viz.render(seed["loss"], tmp_path / "out" / "deep" / "train", format="svg")
    assert path == tmp_path / "out" / "deep" / "train.svg" and path.is_file()
    assert path.read_text().lstrip().startswith("<?xml")
    path = gc.viz.render(seed["loss"], tmp_path / "train.svg", format="svg")
    assert path == tmp_path / "train.svg"  # not train.svg.svg
    path = gc.viz.render(seed["loss"], tmp_path / "train.png")  # the format from the name
    assert path == tmp_path / "train.png" and path.read_bytes()[:4] == b"\x89PNG"
    path = gc.viz.render(seed["loss"], tmp_path / "model.v2")
    assert path == tmp_path / "model.v2.svg"


def test_render_refuses_an_unknown_format_before_drawing(seed, tmp_path):
    with pytest.raises(ValueError, match="unknown format 'jpeg2': graphviz writes .*png"):
        gc.viz.render(seed["loss"], tmp_path / "x", format="jpeg2")
    assert list(tmp_path.iterdir()) == []
    assert {"svg", "png", "pdf"} <= gc.viz.formats()


def test_optimized_drawing_of_the_example_has_no_cycles():
    """A fusion can take nodes from the middle of one op's gradient (maximum's, here): that
    gradient is then drawn node by node rather than as a group feeding back into itself."""
    import networkx as nx
    import static_two_layer

    with gc.Graph().as_default():
        g = static_two_layer.build(6, 5, 3)
        dot = gc.viz.to_dot([g["loss"], g["updates"]], optimized=True)
    edges = re.findall(r"(n[\w]+) -> (n[\w]+)", dot)
    assert edges and nx.is_directed_acyclic_graph(nx.DiGraph(edges))
    assert "∂ matmul + mul + sub_1" in dot  # nested fetches are drawn too


def test_the_program_after_any_stage_can_be_drawn():
    x = gc.placeholder(gc.float32, (None, 3), name="x")
    w = gc.Variable(np.ones((3, 2), np.float32), name="w")
    y = gc.maximum(0.0, x @ w)
    canonical = gc.viz.to_dot(y, optimized="canonicalize", legend=False)
    fused = gc.viz.to_dot(y, optimized=True, legend=False)
    assert 'label="maximum\\nrelu"' in canonical  # the user's maximum(0, h), as a ReLU
    assert 'label="matmul + maximum"' in fused  # one node, named by the user ops it replaced
    with pytest.raises(ValueError, match="unknown passes"):
        gc.viz.to_dot(y, optimized="fuse_everything")
