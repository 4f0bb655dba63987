"""Drawings: the right nodes, kinds, labels, clusters and edges, and real rendering by dot."""

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
    assert ops == ["matmul", "relu", "matmul", "subtract", "square", "loss\\nreduce_sum"]
    assert statements(dot, "gradient") == [] and statements(dot, "update") == []
    assert 'label="float32 (None, 5)"' in dot  # the hidden layer's edge
    assert 'subgraph "cluster_forward"' in dot
    assert 'shape="invhouse"' in dot and 'shape="cylinder"' in dot


def test_training_drawing_shows_gradients_updates_and_control(seed):
    dot = gc.viz.to_dot([seed["loss"], seed["train"]])
    assert 'label="gradients (backward pass)"' in dot
    gradient_ops = [label for _, label in statements(dot, "gradient")]
    assert gradient_ops.count("matmul") == 3 and "where" in gradient_ops
    assert len(statements(dot, "update")) == 2
    assert [label for _, label in statements(dot, "control")] == ["train\\nno_op"]
    assert dot.count('label="writes"') == 2 and dot.count("arrowhead=odot") == 2
    assert statements(dot, "fused") == []


def test_optimized_drawing_shows_the_fused_node(seed):
    step = [seed["loss"], seed["train"]]
    fused = statements(gc.viz.to_dot(step, optimized=True), "fused")
    assert sorted(label for _, label in fused) == [
        "matmul+greater+where\\nwhere", "matmul+multiply+subtract\\nsubtract",
        "matmul+multiply+subtract\\nsubtract_1", "matmul+relu\\nrelu",
        "multiply+multiply\\nmultiply_1"]
    assert statements(gc.viz.to_dot(step), "fused") == []
    with seed["graph"].as_default():
        assert statements(gc.viz.to_dot(seed["graph"], optimized=True), "fused")


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
    path = gc.viz.render(step, tmp_path / "step.svg")
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
    g = seed["graph"].to_networkx()
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
