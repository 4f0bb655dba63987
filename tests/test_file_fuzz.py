"""Damaged checkpoints and graph files: a valid one with bytes flipped at many positions, or
cut at many lengths, either loads with exactly the saved values or raises ValueError naming
the file, and a failed restore changes no variable. A graph file rewritten at random with a
correct checksum (as anyone can write one) likewise imports or raises ValueError."""

import json

import numpy as np
import pytest

import graphc as gc
from graphc.serialize import _checksum, arrays_path

SEED = 20240611


def damaged(data, rng, flips=200, cuts=60):
    """(label, bytes): `data` with one byte changed at random positions (half of them one
    flipped bit), then cut at random lengths."""
    for k in range(flips):
        position = int(rng.integers(len(data)))
        mask = 1 << int(rng.integers(8)) if k % 2 else int(rng.integers(1, 256))
        changed = bytearray(data)
        changed[position] ^= mask
        yield f"byte {position} ^= {mask:#x}", bytes(changed)
    for length in sorted({int(n) for n in rng.integers(0, len(data), cuts)} | {0, 1}):
        yield f"cut to {length} bytes", data[:length]


@pytest.fixture
def model():
    values = {"f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
              "i64": np.array([2 ** 40, -3, 0, 7, 1], np.int64),
              "flag": np.array([[True, False], [False, True]]),
              "layer1/w": np.array([1e-300, -2.5])}
    variables = {name: gc.Variable(value, name=name) for name, value in values.items()}
    sess = gc.Session()
    sess.run(gc.global_variables_initializer())
    yield values, variables, sess
    sess.close()


def test_a_damaged_checkpoint_restores_exactly_or_raises_value_error(model, tmp_path):
    values, variables, sess = model
    good = gc.Saver().save(sess, tmp_path / "good.npz")
    data = open(good, "rb").read()
    scrambled = {v.node: np.zeros(v.shape, v.dtype.np) for v in variables.values()}
    saver, path = gc.Saver(), tmp_path / "damaged.npz"
    outcomes = {"restored": 0, "refused": 0}
    for label, variant in damaged(data, np.random.default_rng(SEED)):
        sess.load_variables(scrambled)
        path.write_bytes(variant)
        try:
            saver.restore(sess, path)
        except ValueError as err:
            assert str(path) in str(err), label
            want, outcomes["refused"] = {v.node.name: scrambled[v.node]
                                         for v in variables.values()}, outcomes["refused"] + 1
        except Exception as err:  # noqa: BLE001 - any other type is the failure looked for
            pytest.fail(f"{label}: {type(err).__name__}: {err}")
        else:
            want, outcomes["restored"] = values, outcomes["restored"] + 1
        got = sess.run({name: v for name, v in variables.items()})
        for name, value in got.items():
            np.testing.assert_array_equal(value, want[name], err_msg=label)
            assert value.dtype == values[name].dtype
    assert outcomes["refused"] > 200  # (most damage is caught; some hits unused bytes)


def small_graph():
    x = gc.placeholder(gc.float64, (2, 3), name="x")
    w = gc.Variable(np.arange(6.0).reshape(3, 2), name="w")
    c = gc.constant(np.array([1, 2], np.int32), name="c")
    y = gc.relu(gc.matmul(x, w) + gc.cast(c, gc.float64))[np.array([1, 0])]
    _, z = gc.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, a * 2.0), [0, y])
    return gc.get_default_graph(), z


def same_graph(copy, tmp_path, original):
    """Whether `copy` exports to exactly the files `original` (paths) holds."""
    again = tmp_path / "again.json"
    gc.export_graph(copy, again)
    return again.read_bytes() == original.read_bytes() and \
        arrays_path(again).read_bytes() == arrays_path(original).read_bytes()


def test_a_damaged_graph_file_imports_exactly_or_raises_value_error(tmp_path):
    graph, _ = small_graph()
    good = tmp_path / "good.json"
    gc.export_graph(graph, good)
    path = tmp_path / "damaged.json"
    side = arrays_path(path)
    rng = np.random.default_rng(SEED)
    text, arrays = good.read_bytes(), arrays_path(good).read_bytes()
    cases = [(label, variant, arrays) for label, variant in damaged(text, rng, 150, 40)]
    cases += [(f"arrays file: {label}", text, variant)
              for label, variant in damaged(arrays, rng, 150, 40)]
    refused = 0
    for label, json_bytes, array_bytes in cases:
        path.write_bytes(json_bytes)
        side.write_bytes(array_bytes)
        try:
            copy = gc.import_graph(path)
        except ValueError as err:
            assert str(path) in str(err), label
            if array_bytes is not arrays:
                assert side.name in str(err), label
            refused += 1
        except Exception as err:  # noqa: BLE001 - any other type is the failure looked for
            pytest.fail(f"{label}: {type(err).__name__}: {err}")
        else:
            assert same_graph(copy, tmp_path, good), label
    assert refused > 300


JUNK = [None, True, False, -1, 0, 1, 2 ** 70, 1.5, float("nan"), "", "x", "x:0", "float16",
        "int32", [], {}, [0], [None], ["x", 0], {"$array": "a0"}, {"$node": "x"},
        {"$tuple": 1}, {"$dtype": "bool"}, {"$scalar": 1, "dtype": "int64"},
        {"$type": ["float64", [2, 3]]}, {"$slice": [None, 1, None]}, {"$ellipsis": True},
        {"$function": "f"}, {"$function_graph": {}}]


def places(value, where=()):
    """Every (path of keys, value) in a JSON value."""
    yield where, value
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from places(item, (*where, key))


def test_a_rewritten_and_resigned_graph_file_imports_or_raises_value_error(tmp_path):
    """The checksum is not a signature: these files pass it, and must still be refused with
    a ValueError (or import, where the change makes another valid graph)."""
    graph, _ = small_graph()
    path = tmp_path / "g.json"
    gc.export_graph(graph, path)
    good = json.loads(path.read_text())
    good.pop("checksum")
    with np.load(arrays_path(path)) as data:
        arrays = {k: data[k] for k in data.files if k != "__graphc_graph__"}
    spots = [where for where, _ in places(good) if where]
    rng = np.random.default_rng(SEED)
    outcomes = {"imported": 0, "refused": 0}
    for _ in range(300):
        body = json.loads(json.dumps(good))
        where = spots[int(rng.integers(len(spots)))]
        parent = body
        for key in where[:-1]:
            parent = parent[key]
        if rng.random() < 0.15 and isinstance(parent, dict):
            del parent[where[-1]]
            label = f"deleted {where}"
        else:
            junk = JUNK[int(rng.integers(len(JUNK)))]
            parent[where[-1]] = json.loads(json.dumps(junk))
            label = f"{where} = {junk!r}"
        body["checksum"] = _checksum(body, arrays)
        path.write_text(json.dumps(body))
        try:
            gc.import_graph(path)
        except ValueError as err:
            assert str(path) in str(err), label
            outcomes["refused"] += 1
        except Exception as err:  # noqa: BLE001 - any other type is the failure looked for
            pytest.fail(f"{label}: {type(err).__name__}: {err}")
        else:
            outcomes["imported"] += 1
    assert outcomes["refused"] > 200
