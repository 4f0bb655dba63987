"""Node names follow TensorFlow's rules wherever they are made (op builders, Variables, name
scopes, graph files), and no text of the user's becomes generated source: a name or an
attribute that holds statements is refused, never run."""

import json
import re

import numpy as np
import pytest

import graphc as gc
from graphc import nn
from graphc.serialize import _checksum

BACKENDS = ["numpy", "numba"]
REFUSED = r"invalid (node name|name scope) .*must be a string matching"


def statements(marker):
    """A name that, pasted into Python source, would end the line and write `marker` (then
    open a function, so the generated lines after it still parse)."""
    return (f"y\nimport pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n"
            "def _after():\n    pass")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_name_holding_statements_is_refused_and_never_runs(tmp_path, monkeypatch, backend):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path / "cache"))
    marker = tmp_path / "ran"
    x = gc.placeholder(gc.float64, (2,), name="x")
    with pytest.raises(ValueError, match=REFUSED) as refused:
        y = gc.exp(x, name=statements(marker))
        with gc.Session(backend=backend) as sess:
            sess.run(y, {x: np.ones(2)})
    assert repr(statements(marker)) in str(refused.value)  # quoted, newline and all
    assert not marker.exists()


@pytest.mark.parametrize("build", [
    lambda evil: gc.placeholder(gc.float32, (2,), name=evil),
    lambda evil: gc.Variable(np.ones(2), name=evil),
    lambda evil: gc.constant(np.ones(2), name=evil),
    lambda evil: gc.identity(gc.ones((2,)), name=evil),
    lambda evil: gc.gradients(gc.reduce_sum((v := gc.Variable(np.ones(2))) * v), [v],
                              name=evil),
], ids=["placeholder", "Variable", "constant", "identity", "gradients"])
def test_every_builder_refuses_a_bad_name(tmp_path, build):
    for evil in [statements(tmp_path / "ran"), "x\nimport os; os._exit(3)", "a b", "x:0",
                 "w'", "_hidden", "-x", "/abs", "naïve"]:
        with pytest.raises(ValueError, match=REFUSED):
            build(evil)


def test_name_scopes_follow_tensorflows_rules(tmp_path):
    evil = statements(tmp_path / "ran")
    with pytest.raises(ValueError, match="invalid name scope " + re.escape(repr(evil))):
        with gc.name_scope(evil):
            pass
    with gc.name_scope("outer"):
        with pytest.raises(ValueError, match="invalid name scope"):
            with gc.name_scope(evil):
                pass
        with gc.name_scope("_inner"):  # inside a scope, "_" may start a fragment
            assert gc.ones((1,), name="_z").name == "outer/_inner/_z:0"
        with pytest.raises(ValueError, match=REFUSED):
            gc.ones((1,), name="z\n")
    with pytest.raises(ValueError, match="invalid name scope '_inner'"):
        with gc.name_scope("_inner"):  # but not at the top, where it starts a node name
            pass
    assert all("\n" not in n.name for n in gc.get_default_graph().nodes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_legal_names_build_and_run_and_reach_generated_source_only_quoted(
        tmp_path, monkeypatch, backend):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2, 3), name="x_1")
        with gc.name_scope("layer1"):
            w = gc.Variable(np.arange(12.0).reshape(3, 4) / 10, name="w")
            h = gc.exp(gc.matmul(x, w), name="a.b-c_d")
        with gc.name_scope("layer1/"):  # a trailing "/" is TensorFlow's spelling too
            out = gc.reduce_sum(h * 2.0, name=".out")
        with pytest.raises(ValueError, match=REFUSED):
            gc.reduce_sum(h, name="_out")  # "_" may not start a name at the top
    assert [w.name, h.name, out.name] == ["layer1/w:0", "layer1/a.b-c_d:0", "layer1/.out:0"]
    feed = np.linspace(-1, 1, 6).reshape(2, 3)
    with gc.Session(graph, backend=backend) as sess:
        sess.run(gc.variables_initializer(gc.global_variables(graph)))
        got = sess.run(graph.get_tensor("layer1/.out"), {graph.get_tensor("x_1:0"): feed})
    np.testing.assert_allclose(got, (np.exp(feed @ (np.arange(12.0).reshape(3, 4) / 10))
                                     * 2).sum(), rtol=1e-12)
    if backend == "numba":  # the segment's comments quote each name as its repr
        sources = "".join(p.read_text() for p in (tmp_path / "numba").glob("generated_*.py"))
        assert "# reduce_sum 'layer1/.out'" in sources


def test_module_and_custom_gradient_names_made_from_python_names_are_legal():
    class _Hidden(nn.Module):  # a class name may start with "_"; a node name may not
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.full(2, 3.0))

        def forward(self, x):
            return x * self.scale

    triple = gc.custom_gradient(lambda t: (t * 3, lambda g: g * 3))  # named '<lambda>'
    x = gc.placeholder(gc.float64, (2,), name="x")
    y = triple(_Hidden()(x))
    assert y.name == "lambda:0"
    assert {n.name.split("/")[0] for n in gc.get_default_graph().nodes} >= {"Hidden"}
    (dx,) = gc.gradients(gc.reduce_sum(y), [x])
    with gc.Session() as sess:
        got_y, got_dx = sess.run([y, dx], {x: np.array([1.0, 2.0])})
    np.testing.assert_allclose(got_y, [9.0, 18.0])
    np.testing.assert_allclose(got_dx, [9.0, 9.0])


def _resign(path, body):
    """Write `body` back with a correct checksum, as an attacker who read serialize.py would
    (the graphs here hold no arrays: the checksum covers the JSON alone)."""
    body.pop("checksum", None)
    body["checksum"] = _checksum(body, {})
    path.write_text(json.dumps(body))


def test_a_graph_file_with_a_crafted_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path / "cache"))
    marker = tmp_path / "ran"
    x = gc.placeholder(gc.float64, (2,), name="x")
    gc.exp(x, name="y")
    path = tmp_path / "g.json"
    gc.export_graph(gc.get_default_graph(), path)
    gc.import_graph(path)  # intact: imports
    body = json.loads(path.read_text())
    assert body["nodes"][-1]["name"] == "y"
    body["nodes"][-1]["name"] = statements(marker)
    _resign(path, body)
    with pytest.raises(ValueError, match=REFUSED):
        graph = gc.import_graph(path)
        with gc.Session(graph, backend="numba") as sess:
            sess.run(graph.nodes[-1].outputs[0], {graph.get_tensor("x"): np.ones(2)})
    assert not marker.exists()


def test_a_crafted_attribute_in_a_graph_file_never_becomes_source(tmp_path, monkeypatch):
    """A fused expression names the dtype of each step, and the numba backend writes that
    dtype into the loop it generates: from a file it is checked, never pasted; one that is
    not the name of the dtype the step makes is refused at import."""
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path / "cache"))
    marker = tmp_path / "ran"
    x = gc.placeholder(gc.float32, (), name="x")
    gc.relu(x, name="r")
    path = tmp_path / "g.json"
    gc.export_graph(gc.get_default_graph(), path)
    body = json.loads(path.read_text())
    relu = body["nodes"][-1]
    assert relu["op"] == "relu"
    dtype = (f"float32(0))\nimport pathlib; pathlib.Path({str(marker)!r}).write_text('ran')"
             "\nif 0: (np.float32")
    relu["op"] = "fused_elementwise"
    relu["attrs"] = {"expression": {"$tuple": ["relu", dtype, {"$tuple": ["input", 0]}]}}
    _resign(path, body)
    with pytest.raises(ValueError, match=r"node 'r' \(fused_elementwise\) does not fit its op: "
                       r"ValueError: the expression labels its relu \"float32\(0\)\).* relu "
                       r"makes float32"):
        gc.import_graph(path)
    assert not marker.exists()
    sources = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.py"))
    assert "pathlib" not in sources


def test_python_operators_name_nodes_as_tensorflow_1():
    x = gc.placeholder(gc.float32, (None, 2), name="x")
    y = gc.placeholder(gc.float32, (None, 2), name="y")
    with gc.name_scope("loss"):
        made = [x - y, 1 - x, x * y, 2 * x, x / y, 1 / x, x + y, x ** 2, x @ gc.ones((2, 2))]
    assert [t.op.name for t in made] == [
        "loss/sub", "loss/sub_1", "loss/mul", "loss/mul_1", "loss/truediv", "loss/truediv_1",
        "loss/add", "loss/pow", "loss/matmul"]
    assert [t.op.op for t in made[:6:2]] == ["subtract", "multiply", "divide"]
    # the functions keep the op's name
    assert [gc.subtract(x, y).op.name, gc.multiply(x, y).op.name,
            gc.divide(x, y).op.name] == ["subtract", "multiply", "divide"]
