"""Booleans count, dtype names mean what TensorFlow means, and eager tensors compare
elementwise: the silent wrong numbers a user's first classifier would hit."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge

FLAGS = np.array([[True, False, True], [True, True, False]])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_reductions_of_booleans_count(backend):
    x = gc.placeholder(gc.bool, (None, 3))
    total, mean, per_column = gc.reduce_sum(x), gc.reduce_mean(x), gc.reduce_mean(x, axis=0)
    assert total.dtype == gc.int64 and mean.dtype == gc.float32
    with gc.Session(backend=backend) as sess:
        t, m, c = sess.run([total, mean, per_column], {x: FLAGS})
    assert t == 4 and t.dtype == np.int64
    assert m == np.float32(4 / 6) and m.dtype == np.float32
    np.testing.assert_array_equal(c, np.float32([1.0, 0.5, 0.5]))


def test_an_accuracy_as_users_write_it():
    labels = gc.placeholder(gc.int64, (None,))
    predicted = gc.placeholder(gc.int64, (None,))
    accuracy = gc.reduce_mean(gc.equal(predicted, labels))
    with gc.Session() as sess:
        assert sess.run(accuracy, {labels: [1, 2, 3, 4], predicted: [1, 0, 3, 4]}) == 0.75


def test_eager_tensors_compare_elementwise():
    a, b = ge.tensor([1.0, 2.0, 3.0]), ge.tensor([1.0, 0.0, 3.0])
    np.testing.assert_array_equal((a == b).numpy(), [True, False, True])
    np.testing.assert_array_equal((a != b).numpy(), [False, True, False])
    assert (a == b).sum().item() == 2 and (a == b).sum().dtype == gc.int64
    assert float(np.mean(a == b)) == pytest.approx(2 / 3, rel=1e-7)  # float32: 2/3 to 1e-7
    assert {a: 1}[a] == 1 and a in {a}  # still hashed by identity


def test_graph_tensors_keep_identity_equality():
    x = gc.placeholder(gc.float32, (2,))
    assert (x == x) is True and (x == gc.identity(x)) is False
    assert {x: 1}[x] == 1


def test_dtype_names_follow_tensorflow():
    assert gc.placeholder("float").dtype == gc.float32
    assert gc.placeholder("double").dtype == gc.float64
    assert gc.as_dtype(np.float64) == gc.float64 and gc.as_dtype("float32") == gc.float32
    for name in ("half", "float16"):
        with pytest.raises(TypeError, match=f"dtype {name} is not supported: graphc computes "
                                            r"in float32 and float64 \(cast half data to "
                                            r"float32\); use one of float32, float64, int32, "
                                            "int64, bool, int8, int16, uint8, uint16"):
            gc.placeholder(name)
    with pytest.raises(TypeError, match="dtype string is not supported; use one of float32"):
        gc.placeholder("string")
    assert [gc.placeholder(n).dtype for n in ("int8", "int16", "uint8", "uint16")] == [
        gc.int8, gc.int16, gc.uint8, gc.uint16]
