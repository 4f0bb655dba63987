"""gc.nn.in_top_k against a numpy reference of TensorFlow's InTopK kernel: ties at the k-th
place all count as in (fewer than k strictly greater predictions), an out-of-range target or
a row with inf or NaN gives False; TensorFlow's documented example; errors."""

import numpy as np
import pytest

import graphc as gc


def in_top_k_reference(predictions, targets, k):
    out = []
    for row, target in zip(predictions, targets):
        if not 0 <= target < len(row) or not np.all(np.isfinite(row)):
            out.append(False)
        else:
            out.append(int(np.sum(row > row[target])) < k)
    return np.array(out)


def run(t, feeds=None):
    with gc.Session() as sess:
        return sess.run(t, feeds)


def test_tensorflows_documented_example():
    target = gc.constant([0, 1, 3])
    pred = gc.constant([[1.2, -0.3, 2.8, 5.2], [0.1, 0.0, 0.0, 0.0], [0.0, 0.5, 0.3, 0.3]],
                       dtype=gc.float32)
    result = gc.nn.in_top_k(pred, target, 2)
    assert result.dtype == gc.bool and result.shape == (3,)
    np.testing.assert_array_equal(run(result), [False, True, True])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("k", [0, 1, 2, 4, 6])
def test_matches_the_kernel_with_ties_and_bad_rows(backend, k):
    rng = np.random.default_rng(k)
    predictions = rng.integers(0, 4, (40, 6)).astype(np.float32)  # many ties
    predictions[3, 2], predictions[7, 0], predictions[9, 5] = np.inf, -np.inf, np.nan
    targets = rng.integers(0, 6, 40)
    targets[[1, 2]] = [-1, 6]  # out of range
    p = gc.placeholder(gc.float32, (None, 6))
    t = gc.placeholder(gc.int64, (None,))
    with gc.Session(backend=backend) as sess:
        got = sess.run(gc.nn.in_top_k(p, t, k), {p: predictions, t: targets})
    np.testing.assert_array_equal(got, in_top_k_reference(predictions, targets, k))


def test_k_may_be_a_tensor():
    k = gc.placeholder(gc.int32, ())
    pred = np.array([[3.0, 2.0, 1.0]] * 3)
    result = gc.nn.in_top_k(pred, np.array([0, 1, 2]), k)
    np.testing.assert_array_equal(run(result, {k: 2}), [True, True, False])


def test_errors():
    with pytest.raises(ValueError, match=r"in_top_k: predictions must be a matrix \[batch, "
                                         r"classes\]; got shape \(3,\)"):
        gc.nn.in_top_k(gc.constant([1.0, 2.0, 3.0]), [0], 1)
    with pytest.raises(TypeError, match="in_top_k: targets must be integer class ids"):
        gc.nn.in_top_k(gc.constant([[1.0, 2.0]]), gc.constant([0.5]), 1)
    with pytest.raises(ValueError, match=r"in_top_k: targets must be a vector \[batch\] "
                                         r"matching predictions \(2, 2\); got shape \(3,\)"):
        gc.nn.in_top_k(gc.constant([[1.0, 2.0]] * 2), gc.constant([0, 1, 1]), 1)
    with pytest.raises(TypeError, match="in_top_k: k must be an integer, got 1.5"):
        gc.nn.in_top_k(gc.constant([[1.0, 2.0]]), gc.constant([0]), 1.5)
    with pytest.raises(ValueError, match=r"in_top_k: the number of classes .* must be known"):
        gc.nn.in_top_k(gc.placeholder(gc.float32, (None, None)), gc.constant([0]), 1)
