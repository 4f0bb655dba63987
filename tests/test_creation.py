"""Ops with no inputs: constant, fill/zeros/ones, and seeded random tensors."""

import numpy as np
import pytest

import graphc as gc


def run(fetches, graph=None):
    with gc.Session(graph) as sess:
        return sess.run(fetches)


def test_constant_dtypes_follow_tensorflow():
    assert gc.constant(1.5).dtype == gc.float32
    assert gc.constant(3).dtype == gc.int32
    assert gc.constant(True).dtype == gc.bool
    assert gc.constant(np.zeros(2)).dtype == gc.float64
    assert gc.constant([1, 2], dtype=np.float64).dtype == gc.float64
    np.testing.assert_array_equal(run(gc.constant([[1, 2], [3, 4]])), [[1, 2], [3, 4]])


def test_constant_rejects_non_numbers():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        gc.constant("hello")


def test_fill_zeros_ones():
    a, b, c = run([gc.zeros((2, 3)), gc.ones(4, dtype=gc.float64), gc.fill((2,), 7.5)])
    np.testing.assert_array_equal(a, np.zeros((2, 3), np.float32))
    assert a.dtype == np.float32 and b.dtype == np.float64 and c.dtype == np.float32
    np.testing.assert_array_equal(b, np.ones(4))
    np.testing.assert_array_equal(c, [7.5, 7.5])


def test_zeros_like_follows_runtime_shape():
    x = gc.placeholder(gc.float64, (None, 2))
    with gc.Session() as sess:
        out = sess.run(gc.ones_like(x), {x: np.zeros((5, 2))})
    np.testing.assert_array_equal(out, np.ones((5, 2)))


def test_random_normal_statistics():
    values = run(gc.random_normal((200, 200), mean=3.0, stddev=2.0, dtype=gc.float64))
    # 40,000 samples: the standard error of the mean is 2/200 = 0.01, so 0.05 is 5 sigma.
    assert abs(values.mean() - 3.0) < 0.05
    assert abs(values.std() - 2.0) < 0.05


def test_random_uniform_range_and_dtype():
    values = run(gc.random_uniform((1000,), minval=-2, maxval=5))
    assert values.dtype == np.float32
    assert values.min() >= -2 and values.max() < 5
    assert values.max() - values.min() > 6.5  # 1000 draws cover the range


def test_graph_seed_makes_sessions_repeat_and_runs_differ():
    gc.set_random_seed(42)
    r = gc.random_normal((3,))
    with gc.Session() as s1, gc.Session() as s2:
        first, second = s1.run(r), s1.run(r)
        np.testing.assert_array_equal(first, s2.run(r))
    assert not np.array_equal(first, second)


def test_op_seeds_distinguish_ops():
    a = gc.random_normal((3,), seed=1)
    b = gc.random_normal((3,), seed=2)
    c = gc.random_normal((3,), seed=1)
    va, vb, vc = run([a, b, c])
    assert not np.array_equal(va, vb)
    np.testing.assert_array_equal(va, vc)


def test_random_shape_must_be_known():
    with pytest.raises(ValueError, match="must be fully known"):
        gc.random_normal((None, 3))
