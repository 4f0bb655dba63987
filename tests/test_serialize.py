"""Graph export and import: every op round-trips, seed graphs train identically, and a
modified file is refused."""

import json

import numpy as np
import pytest
import static_custom_relu
import static_two_layer

import graphc as gc
from graphc.serialize import _checksum
from tests.ops.op_cases import CASES


def all_ops_graph():
    """One graph holding every case of the op table plus the state and random ops."""
    graph = gc.Graph()
    feeds, outputs = {}, []
    with graph.as_default():
        gc.set_random_seed(5)
        for k, case in enumerate(CASES):
            with gc.name_scope(f"case{k}"):
                inputs = [gc.placeholder(gc.as_dtype(a.dtype), a.shape) for a in case.inputs]
                feeds.update(zip(inputs, case.inputs))
                outputs.append(case.build(*inputs))
        v = gc.Variable(gc.random_uniform((2, 2), dtype=gc.float64), name="v")
        outputs += [v.assign_add(gc.ones((2, 2), gc.float64) * 2), gc.random_normal((3,)),
                    gc.fill((2,), 7)]
        h = gc.placeholder(gc.float64, (3,))
        feeds[h] = np.array([0.1, 0.2, 0.3])
        _, looped = gc.while_loop(lambda i, x: i < 2, lambda i, x: (i + 1, gc.tanh(x) * 2),
                                  [0, h])
        outputs += gc.gradients(gc.reduce_sum(looped), [h])
        step = gc.group(gc.no_op(), v.initializer)
    return graph, feeds, outputs, step


def run_twice(graph, feeds, outputs, step):
    with gc.Session(graph) as sess:
        sess.run(step)
        return [sess.run(outputs, feeds) for _ in range(2)]


def test_every_registered_op_round_trips(tmp_path):
    graph, feeds, outputs, step = all_ops_graph()
    gc.export_graph(graph, tmp_path / "g.json")
    copy = gc.import_graph(tmp_path / "g.json")
    assert [n.name for n in copy.nodes] == [n.name for n in graph.nodes]
    assert [n.op for n in copy.nodes] == [n.op for n in graph.nodes]
    assert [n.site for n in copy.nodes] == [n.site for n in graph.nodes]
    assert [v.name for v in copy.variables] == [v.name for v in graph.variables]
    mapped = {copy.get_tensor(t.name): value for t, value in feeds.items()}
    want = run_twice(graph, feeds, outputs, step)
    got = run_twice(copy, mapped, [copy.get_tensor(t.name) for t in outputs],
                    copy.get_node(step.name))
    for want_run, got_run in zip(want, got):
        for a, b in zip(want_run, got_run):
            np.testing.assert_array_equal(a, b)


def test_the_graph_covers_every_registered_op():
    graph, *_ = all_ops_graph()
    assert set(gc.registry.OPS) - {n.op for n in graph.nodes} == set()


def test_seed_graph_trains_identically_after_import(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 20)), rng.standard_normal((8, 3))
    w1, w2 = rng.standard_normal((20, 6)), rng.standard_normal((6, 3))
    graph = gc.Graph()
    with graph.as_default():
        static_two_layer.build(20, 6, 3, w1, w2, dtype=gc.float64)
    gc.export_graph(graph, tmp_path / "seed.json")
    copy = gc.import_graph(tmp_path / "seed.json")

    def train(g):
        with gc.Session(g) as sess:
            sess.run(gc.variables_initializer(g.variables))
            return [sess.run(["loss", "w1/assign", "w2/assign"], {"x": x, "y": y})[0]
                    for _ in range(20)]

    assert train(copy) == train(graph)


def test_custom_gradient_graph_runs_after_import_but_cannot_grow_new_gradients(tmp_path):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 3), name="x")
        y = static_custom_relu.my_relu(x)
        (g,) = gc.gradients(gc.reduce_sum(y * y), [x])
    gc.export_graph(graph, tmp_path / "c.json")
    copy = gc.import_graph(tmp_path / "c.json")
    value = np.array([[-1.0, 2.0, 3.0]])
    with gc.Session(graph) as s1, gc.Session(copy) as s2:
        np.testing.assert_array_equal(s1.run(g, {x: value}), s2.run(g.name, {"x": value}))
    with pytest.raises(LookupError, match="my_relu.<locals>.grad of an imported graph was not"):
        gc.gradients(copy.get_tensor(y.name), [copy.get_tensor("x")])


def test_tampered_files_are_refused(tmp_path):
    graph, *_ = all_ops_graph()
    path = tmp_path / "g.json"
    gc.export_graph(graph, path)
    original = path.read_text()
    path.write_text(original.replace('"matmul"', '"add"', 1))
    with pytest.raises(ValueError, match="was modified or corrupted"):
        gc.import_graph(path)
    path.write_text(original)
    data = np.load(tmp_path / "g.npz")
    arrays = {k: data[k].copy() for k in data.files}
    arrays["a0"] = arrays["a0"] + 1
    np.savez(tmp_path / "g.npz", **arrays)
    with pytest.raises(ValueError, match="was modified or corrupted"):
        gc.import_graph(path)
    (tmp_path / "g.npz").unlink()
    with pytest.raises(FileNotFoundError, match="g.npz is missing"):
        gc.import_graph(path)
    path.write_text("{ not json")
    with pytest.raises(ValueError, match="cannot import graph"):
        gc.import_graph(path)


def test_a_consistently_resigned_but_wrong_graph_is_still_checked(tmp_path):
    x = gc.placeholder(gc.float32, (2, 3), name="x")
    gc.matmul(x, gc.ones((3, 4)), name="m")
    path = tmp_path / "g.json"
    gc.export_graph(gc.get_default_graph(), path)
    body = json.loads(path.read_text())
    body.pop("checksum")
    body["nodes"][-1]["types"][0][1] = [2, 5]  # a lie about matmul's output shape
    arrays = dict(np.load(tmp_path / "g.npz"))
    body["checksum"] = _checksum(body, arrays)
    path.write_text(json.dumps(body))
    with pytest.raises(ValueError, match=r"node 'm' \(matmul\) records types"):
        gc.import_graph(path)
    body["nodes"][-1]["types"][0][1] = [2, 4]
    body["nodes"][-1]["op"] = "frobnicate"
    body.pop("checksum")
    body["checksum"] = _checksum(body, arrays)
    path.write_text(json.dumps(body))
    with pytest.raises(ValueError, match="node 'm' has unknown op 'frobnicate'"):
        gc.import_graph(path)
