"""Graph export and import: every op round-trips, seed graphs train identically, and a
modified file is refused."""

import json

import numpy as np
import pytest
import static_custom_relu
import static_two_layer

import graphc as gc
from graphc.serialize import _checksum, arrays_path
from tests.ops.op_cases import CASES

MARKER = "__graphc_graph__"


def arrays_of(path):
    """The arrays of the graph file `path`, without the arrays file's marker."""
    with np.load(arrays_path(path)) as data:
        return {k: data[k] for k in data.files if k != MARKER}


def resign(path, body, arrays=None):
    """Write `body` back with a correct checksum, as anyone who read serialize.py can."""
    body.pop("checksum", None)
    body["checksum"] = _checksum(body, arrays_of(path) if arrays is None else arrays)
    path.write_text(json.dumps(body))


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
        h = gc.placeholder(gc.float64, (3,))
        outputs += [v.assign_add(gc.ones((2, 2), gc.float64) * 2), gc.random_normal((3,)),
                    gc.fill((2,), 7), gc.random_uniform_like(h)]
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
    assert [v.name for v in gc.global_variables(copy)] == [
        v.name for v in gc.global_variables(graph)]
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
            sess.run(gc.variables_initializer(gc.global_variables(g)))
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
    data = np.load(tmp_path / "g.graph.npz")
    arrays = {k: data[k].copy() for k in data.files}
    arrays["a0"] = arrays["a0"] + 1
    np.savez(tmp_path / "g.graph.npz", **arrays)
    with pytest.raises(ValueError, match="was modified or corrupted"):
        gc.import_graph(path)
    (tmp_path / "g.graph.npz").unlink()
    with pytest.raises(FileNotFoundError, match="g.graph.npz is missing"):
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
    body["nodes"][-1]["types"][0][1] = [2, 5]  # a lie about matmul's output shape
    resign(path, body)
    with pytest.raises(ValueError, match=r"node 'm' \(matmul\) records types"):
        gc.import_graph(path)
    body["nodes"][-1]["types"][0][1] = [2, 4]
    body["nodes"][-1]["op"] = "frobnicate"
    resign(path, body)
    with pytest.raises(ValueError, match="node 'm' has unknown op 'frobnicate'"):
        gc.import_graph(path)


def small_graph():
    """x @ w + c, with a Variable, a constant and an index array; returns (x, output)."""
    x = gc.placeholder(gc.float64, (2, 3), name="x")
    w = gc.Variable(np.arange(6.0).reshape(3, 2), name="w")
    c = gc.constant(np.array([1, 2], np.int32), name="c")
    y = gc.add(gc.matmul(x, w), gc.cast(c, gc.float64), name="y")
    return x, y[np.array([1, 0])]


def run_graph(graph, x_name, y_name):
    with gc.Session(graph) as sess:
        sess.run(gc.variables_initializer(gc.global_variables(graph)))
        return sess.run(y_name, {x_name: np.ones((2, 3))})


def test_a_graph_file_and_a_checkpoint_of_the_same_name_coexist(tmp_path):
    x, y = small_graph()
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        checkpoint = gc.Saver().save(sess, tmp_path / "model.npz", write_meta_graph=False)
        saved = (tmp_path / "model.npz").read_bytes()
        gc.export_graph(gc.get_default_graph(), tmp_path / "model.json")
        assert (tmp_path / "model.npz").read_bytes() == saved  # untouched
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "checkpoint", "model.graph.npz", "model.json", "model.npz"]
        gc.Saver().restore(sess, checkpoint)
    copy = gc.import_graph(tmp_path / "model.json")
    np.testing.assert_array_equal(run_graph(copy, x.name, y.name),
                                  run_graph(gc.get_default_graph(), x, y))


def test_neither_writer_replaces_a_file_of_the_other_kind(tmp_path):
    small_graph()
    graph = gc.get_default_graph()
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        saver = gc.Saver()
        saver.save(sess, tmp_path / "ck.npz")
        saver.save(sess, tmp_path / "other.graph.npz")  # a checkpoint named as graph arrays
        gc.export_graph(graph, tmp_path / "g.json")
        files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        refusals = [
            (lambda: gc.export_graph(graph, tmp_path / "ck.npz"), "ck.npz", "checkpoint"),
            (lambda: gc.export_graph(graph, tmp_path / "other.json"), "other.graph.npz",
             "checkpoint"),
            (lambda: saver.save(sess, tmp_path / "g.json"), "g.json", "graph file"),
            (lambda: saver.save(sess, tmp_path / "g.graph.npz"), "g.graph.npz",
             "graph's arrays file"),
        ]
        for write, name, kind in refusals:
            with pytest.raises(ValueError, match=f"is a graphc {kind}; refusing to replace"
                               ) as err:
                write()
            assert str(tmp_path / name) in str(err.value)
            assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
        saver.save(sess, tmp_path / "ck.npz")  # each writer still replaces its own kind
        gc.export_graph(graph, tmp_path / "g.json")
    gc.import_graph(tmp_path / "g.json")


def test_a_version_1_pair_still_imports(tmp_path):
    x, y = small_graph()
    path = tmp_path / "old.json"
    gc.export_graph(gc.get_default_graph(), path)
    arrays = arrays_of(path)
    arrays_path(path).unlink()
    np.savez(tmp_path / "old.npz", **arrays)  # version 1: model.npz, no marker
    body = json.loads(path.read_text())
    body["format"] = "graphc-graph-v1"
    resign(path, body, arrays)
    np.testing.assert_array_equal(run_graph(gc.import_graph(path), x.name, y.name),
                                  run_graph(gc.get_default_graph(), x, y))


def test_deep_json_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "graphc-graph-v2", "nodes": ' + "[" * 100_000
                    + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="its JSON is nested too deeply") as err:
        gc.import_graph(path)
    assert str(path) in str(err.value)
    small_graph()
    gc.export_graph(gc.get_default_graph(), path)
    body = json.loads(path.read_text())
    body["nodes"][-1]["attrs"]["extra"] = json.loads("[" * 300 + "]" * 300)
    resign(path, body)
    with pytest.raises(ValueError, match="is nested more than 200 deep") as err:
        gc.import_graph(path)
    assert str(path) in str(err.value)


def exported(tmp_path):
    small_graph()
    path = tmp_path / "g.json"
    gc.export_graph(gc.get_default_graph(), path)
    return path, json.loads(path.read_text())


def node(body, name):
    return next(n for n in body["nodes"] if n["name"] == name)


def test_a_crafted_variable_list_is_refused(tmp_path):
    """A variable list naming a placeholder, initialized by an add, made the numba
    backend generate a host program that did not parse (SyntaxError at the first run)."""
    path, good = exported(tmp_path)
    crafted = [
        ({"node": "x", "initializer": "y", "trainable": True},
         "its variable list names placeholder node 'x', which is not a variable"),
        ({"node": "w", "initializer": "y", "trainable": True},
         "the initializer of variable 'w' is add node 'y', not an assign to it"),
        ({"node": "w", "initializer": "w/initializer", "trainable": True},
         "variable 'w' is listed twice"),
        ({"node": "w", "initializer": "w/initializer", "trainable": "yes"},
         "'trainable' is \"yes\""),
        ({"node": "nowhere", "initializer": "w/initializer", "trainable": True},
         "its variable list refers to .*no node named 'nowhere'"),
        (["w"], "an entry of its variable list is not an object"),
    ]
    for entry, message in crafted:
        body = json.loads(json.dumps(good))
        body["variables"].append(entry)
        resign(path, body)
        with pytest.raises(ValueError, match=message) as err:
            gc.import_graph(path)
        assert str(path) in str(err.value)


def test_a_constant_whose_data_lies_about_its_dtype_is_refused(tmp_path):
    path, body = exported(tmp_path)
    constant = node(body, "c")
    assert constant["attrs"]["dtype"] == {"$dtype": "int32"}
    arrays = arrays_of(path)
    key = constant["attrs"]["value"]["$array"]
    arrays[key] = arrays[key].astype(np.float64)  # float64 data, int32 declared
    with np.load(arrays_path(path)) as data:
        marker = data[MARKER]
    np.savez(arrays_path(path), **arrays, **{MARKER: marker})
    resign(path, body, arrays)
    with pytest.raises(ValueError, match=r"node 'c' \(constant\) declares dtype int32 but its "
                       "value holds float64 data") as err:
        gc.import_graph(path)
    assert str(path) in str(err.value)


def test_structurally_crafted_records_are_refused_naming_the_file(tmp_path):
    path, good = exported(tmp_path)

    def craft(change):
        body = json.loads(json.dumps(good))
        change(body)
        return body

    cases = [
        (lambda b: node(b, "y").pop("site"), "a node record is not an object with exactly"),
        (lambda b: node(b, "y").__setitem__("inputs", [["x", -1]]), r'has input \["x", -1\]'),
        (lambda b: node(b, "y").__setitem__("types", [["float16", [2]]]),
         '"float16" is not one of graphc\'s dtypes'),
        (lambda b: node(b, "y").__setitem__("site", ["f.py"]), r'has site \["f.py"\]'),
        (lambda b: node(b, "c")["attrs"]["value"].__setitem__("shape", [2]),
         "which no attribute is encoded as"),
        (lambda b: node(b, "c")["attrs"].__setitem__("dtype", {"$tuple": 1}),
         "which no attribute is encoded as"),
        (lambda b: node(b, "c")["attrs"].__setitem__("dtype", {"$scalar": 2 ** 40,
                                                               "dtype": "int32"}),
         "1099511627776 is not a int32 value"),
        (lambda b: node(b, "y")["attrs"].__setitem__("junk", {"$node": "nowhere"}),
         "an attribute refers to .*no node named 'nowhere'"),
        (lambda b: node(b, "w")["attrs"].__setitem__("shape", {"$tuple": ["3", 2]}),
         r"node 'w' \(variable\) records types"),
        (lambda b: b.__setitem__("seed", "7"), "'seed' is \"7\""),
        (lambda b: b.__setitem__("variables", {}), "'variables' is {}"),
        (lambda b: b["nodes"].append(7), "a node record is not an object"),
    ]
    for change, message in cases:
        resign(path, craft(change))
        with pytest.raises(ValueError, match=message) as err:
            gc.import_graph(path)
        assert str(path) in str(err.value)


def test_the_arrays_file_holds_only_what_the_graph_uses(tmp_path):
    path, body = exported(tmp_path)
    side = arrays_path(path)
    with np.load(side) as data:
        good = {k: data[k] for k in data.files}
    variants = [
        ({**good, "a9": np.zeros(3)}, "its member 'a9.npy' is not an array the graph uses"),
        ({k: v for k, v in good.items() if k != "a0"}, "it lacks the array 'a0'"),
        ({k: v for k, v in good.items() if k != MARKER},
         "it is not the arrays file of a graphc-graph-v2 graph"),
        ({**good, "a0": good["a0"].astype(np.float16)}, "it holds a float16 array"),
        ({**good, "a0": np.array([{"code": "runs"}], dtype=object)}, "Python objects"),
    ]
    for arrays, message in variants:
        np.savez(side, **arrays)
        with pytest.raises(ValueError, match=message) as err:
            gc.import_graph(path)
        assert str(path) in str(err.value) and str(side) in str(err.value)
    np.savez_compressed(side, **good)  # graphc writes them uncompressed; nothing inflates
    with pytest.raises(ValueError, match="compressed .method 8., which is not read"):
        gc.import_graph(path)
    np.savez(side, **good)
    gc.import_graph(path)


def _in(i):
    return ("input", i)


@pytest.mark.parametrize("dtype, expression, words", [
    # float32 labels over int32 data: a float loop (or BLAS's saxpy) on int32 buffers
    (np.int32, ("subtract", "float32", _in(0), ("multiply", "float32", _in(1), _in(2))),
     r"labels its multiply 'float32', but on its operands \(int32\(4, 4\), int32\(\)\) "
     r"multiply makes int32"),
    # a name the backends read otherwise: numpy's "float" is float64, graphc's float32
    (np.float32, ("subtract", "float", _in(0), ("multiply", "float32", _in(1), _in(2))),
     "labels its subtract 'float', but .* subtract makes float32"),
    (np.float32, ("subtract", None, _in(0), ("multiply", "float32", _in(1), _in(2))),
     "labels its subtract None"),
    # an input the node does not have (-1 would read the last one)
    (np.float32, ("subtract", "float32", _in(0), ("multiply", "float32", _in(-1), _in(2))),
     "reads input -1 of a node with 3"),
    (np.float32, ("subtract", "float32", _in(0), ("multiply", "float32", _in(3), _in(2))),
     "reads input 3 of a node with 3"),
    # an op that is not elementwise, or needs attributes the expression cannot hold
    (np.float32, ("subtract", "float32", _in(0), ("identity", "float32", _in(1), _in(2))),
     "holds 'identity', not an elementwise op"),
    (np.float32, ("cast", "float32", _in(0)), "holds 'cast', not an elementwise op"),
], ids=["int32 labelled float32", "an alias", "no label", "input -1", "input 3", "identity",
        "cast"])
def test_a_fused_expression_a_backend_would_misread_is_refused(tmp_path, dtype, expression,
                                                               words):
    # backends write a fused op's loop from its expression
    graph = gc.Graph()
    with graph.as_default():
        w = gc.Variable(np.full((4, 4), 7, dtype), name="w")
        x = gc.Variable(np.full((4, 4), 2, dtype), name="x")
        s = gc.Variable(dtype(3), name="s")
        fused = graph.create_node("fused_elementwise", [w, x, s], {"expression": expression},
                                  (w.type,), "fused")
        w.assign(fused.outputs[0], name="update")
    path = tmp_path / "crafted.json"
    gc.export_graph(graph, path)
    with pytest.raises(ValueError, match=r"node 'fused' \(fused_elementwise\) does not fit its "
                       r"op: .*" + words) as err:
        gc.import_graph(path)
    assert str(path) in str(err.value)
