"""Padding as TensorFlow 1 spells it, tf.pad (graphc/ops/pad.py): values against np.pad in
every mode, graph and eager, on the numpy and numba backends; gradients against finite
differences; the errors for paddings and pads that do not fit. (F.pad and the nn padding
modules: tests/nn/test_pad_layers.py; the op records: tests/ops/op_cases.py.)"""

import numpy as np
import pytest

import graphc as tf
import graphc.eager as ge
from graphc.errors import InvalidArgumentError

rng = np.random.default_rng(11)
EXACT = dict(rtol=1e-12, atol=0)
# np.pad's name for each of tf.pad's modes
NUMPY = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}
PADS = [[1, 2], [0, 0], [2, 1]]


def run(fetches, feeds=None, backend="numpy"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feeds)


def numpy_pad(x, pads, mode, value=0):
    if mode == "CONSTANT":
        return np.pad(x, pads, constant_values=value)
    return np.pad(x, pads, mode=NUMPY[mode])


# -- values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
def test_tf_pad_matches_numpy_in_each_mode(mode, backend):
    x = rng.standard_normal((3, 2, 4))
    static = tf.placeholder(tf.float64, (3, 2, 4))
    dynamic = tf.placeholder(tf.float64, (None, 2, None))
    outs = [tf.pad(static, PADS, mode), tf.pad(dynamic, PADS, mode.lower(), name="padded")]
    assert outs[0].shape == (6, 2, 7)
    assert outs[1].shape == (None, 2, None) and outs[1].name == "padded:0"
    for got in run(outs, {static: x, dynamic: x}, backend):
        np.testing.assert_allclose(got, numpy_pad(x, PADS, mode), **EXACT)


def test_tf_pad_takes_tensorflows_spellings_of_paddings_and_values():
    x = rng.standard_normal((2, 3)).astype(np.float32)
    xp = tf.placeholder(tf.float32, (None, 3))
    pads = np.array([[0, 1], [2, 0]], np.int32)
    outs = [tf.pad(xp, tf.constant(pads)), tf.pad(xp, pads, constant_values=-2.5),
            tf.pad(xp, [[0, 1], [2, 0]], "Reflect"),
            tf.pad(xp, pads, constant_values=tf.constant(7.0)),
            tf.pad(x, ((1, 1), (1, 1)), mode="symmetric")]
    got = run(outs, {xp: x})
    assert all(g.dtype == np.float32 for g in got)
    np.testing.assert_array_equal(got[0], np.pad(x, pads))
    np.testing.assert_array_equal(got[1], np.pad(x, pads, constant_values=-2.5))
    np.testing.assert_array_equal(got[2], np.pad(x, pads, mode="reflect"))
    np.testing.assert_array_equal(got[3], np.pad(x, pads, constant_values=7))
    np.testing.assert_array_equal(got[4], np.pad(x, 1, mode="symmetric"))


def test_tf_pad_keeps_integer_and_bool_dtypes():
    ints = tf.placeholder(tf.int32, (None,))
    flags = tf.constant([True, False])
    outs = [tf.pad(ints, [[2, 1]], constant_values=9), tf.pad(ints, [[1, 1]], "REFLECT"),
            tf.pad(flags, [[1, 0]])]
    got = run(outs, {ints: np.array([1, 2, 3], np.int32)})
    assert got[0].dtype == np.int32 and got[2].dtype == np.bool_
    np.testing.assert_array_equal(got[0], [9, 9, 1, 2, 3, 9])
    np.testing.assert_array_equal(got[1], [2, 1, 2, 3, 2])
    np.testing.assert_array_equal(got[2], [False, True, False])


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
def test_tf_pad_on_eager_tensors(mode):
    x = rng.standard_normal((3, 4))
    got = tf.pad(ge.tensor(x), [[1, 1], [3, 2]], mode, constant_values=0.5)
    expected = numpy_pad(x, [[1, 1], [3, 2]], mode, 0.5)
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(np.asarray(got), expected, **EXACT)


def test_zero_pads_and_empty_dims():
    x = tf.placeholder(tf.float64, (2, 0))
    y = tf.pad(x, [[0, 0], [1, 2]], constant_values=3.0)
    assert y.shape == (2, 3)
    np.testing.assert_array_equal(run(y, {x: np.zeros((2, 0))}), np.full((2, 3), 3.0))
    z = tf.placeholder(tf.float64, (None, 3))
    same = tf.pad(z, [[0, 0], [0, 0]], "REFLECT")
    value = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(run(same, {z: value}), value)


# -- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
@pytest.mark.parametrize("how", ["graph", "eager"])
def test_gradients_match_finite_differences(mode, how):
    # pads as large as each mode allows, so a pad element copies an edge or wraps twice
    pads = {"CONSTANT": [[2, 1], [0, 3]], "REFLECT": [[2, 1], [1, 2]],
            "SYMMETRIC": [[3, 1], [3, 3]]}[mode]
    x = rng.standard_normal((3, 3))
    report = tf.test.check_gradients(lambda t: tf.pad(t, pads, mode, constant_values=1.0),
                                     [x], mode=how)
    assert report.checked == 9


def test_gradient_in_float64_against_the_summed_copies():
    # reflect along one dim of 3 by (2, 2): positions 2 1 | 0 1 2 | 1 0, so element 1
    # receives its own gradient and three copies', elements 0 and 2 their own and one
    x = tf.placeholder(tf.float64, (None,))
    w = tf.constant(np.arange(1.0, 8.0))
    (dx,) = tf.gradients(tf.reduce_sum(tf.pad(x, [[2, 2]], "REFLECT") * w), [x])
    np.testing.assert_allclose(run(dx, {x: np.zeros(3)}),
                               [3 + 7, 2 + 4 + 6, 1 + 5], **EXACT)


def test_second_derivative_of_reflect_padding():
    # d/dx sum(pad(x)^3 * w) = P^T (3 pad(x)^2 w): its own gradient goes through pad_grad's
    def first(t):
        y = tf.pad(t, [[1, 2], [2, 1]], "REFLECT")
        w = tf.constant(rng.standard_normal((6, 6)))
        return tf.gradients(tf.reduce_sum(y * y * y * w), [t])[0]
    tf.test.check_gradients(first, [rng.standard_normal((3, 3))])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_training_step_through_padding_agrees_on_both_backends(backend):
    x = rng.standard_normal((4, 5))
    xp = tf.placeholder(tf.float64, (None, 5))
    w = tf.constant(rng.standard_normal((9, 3)))
    h = tf.pad(tf.tanh(xp), [[0, 0], [2, 2]], "SYMMETRIC")
    loss = tf.reduce_sum(tf.square(tf.matmul(tf.pad(h, [[1, 0], [0, 0]], "REFLECT"), w)))
    (dx,) = tf.gradients(loss, [xp])
    got = run([loss, dx], {xp: x}, backend)
    want = run([loss, dx], {xp: x}, "numpy")
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=0)
    hn = np.pad(np.tanh(x), [[0, 0], [2, 2]], mode="symmetric")
    np.testing.assert_allclose(got[0], np.sum(np.square(np.pad(hn, [[1, 0], [0, 0]],
                                                                mode="reflect") @
                                                         run(w))), rtol=1e-10)


# -- errors ------------------------------------------------------------------------------------
def test_paddings_of_the_wrong_shape_get_tensorflows_words():
    x = tf.placeholder(tf.float32, (2, 3))
    with pytest.raises(ValueError, match=r"Shape must be rank 2 but is rank 1 for 'Pad' with "
                                         r"input shapes: \[2,3\], \[2\]"):
        tf.pad(x, [1, 1])
    with pytest.raises(ValueError, match=r"Dimension must be 2 but is 3 .*\[2,3\], \[2,3\]"):
        tf.pad(x, [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"Shape must be rank 3 but is rank 2 .*"
                                         r"one \[before, after\] pair per dimension"):
        tf.pad(x, [[1, 1], [0, 0], [2, 2]])
    with pytest.raises(ValueError, match="paddings must be a .rank, 2. matrix of ints"):
        tf.pad(x, [[1, 1], [0]])
    with pytest.raises(TypeError, match="paddings must be ints, got float64"):
        tf.pad(x, [[1.5, 1], [0, 0]])


def test_wrong_modes_and_negative_paddings_are_refused():
    x = tf.placeholder(tf.float32, (2, 3))
    with pytest.raises(ValueError, match="Unknown padding mode: EDGE"):
        tf.pad(x, [[1, 1], [0, 0]], "EDGE")
    with pytest.raises(ValueError, match=r"Paddings must be non-negative: \[\[1, -1\], "
                                         r"\[0, 0\]\]"):
        tf.pad(x, [[1, -1], [0, 0]])


def test_paddings_computed_at_run_time_are_refused():
    x = tf.placeholder(tf.float32, (2, 3))
    p = tf.placeholder(tf.int32, (2, 2))
    with pytest.raises(TypeError, match="paddings must be known when the graph is built"):
        tf.pad(x, p)
    with pytest.raises(TypeError, match="constant_values must be a number known when the "
                                        "graph is built"):
        tf.pad(x, [[1, 1], [0, 0]], constant_values=tf.placeholder(tf.float32, ()))


def test_a_constant_value_must_fit_the_dtype():
    with pytest.raises(TypeError, match="cannot use float64 value 0.5 as a int32 operand"):
        tf.pad(tf.placeholder(tf.int32, (3,)), [[1, 1]], constant_values=0.5)
    with pytest.raises(ValueError, match="constant_values must be a scalar"):
        tf.pad(tf.placeholder(tf.float32, (3,)), [[1, 1]], constant_values=[1.0, 2.0])


def test_pads_too_large_for_the_mode_name_the_dim_while_building():
    x = tf.placeholder(tf.float64, (None, 3))
    with pytest.raises(ValueError, match=r"pad \(at .*test_pad.py:\d+\): mode 'reflect' pads "
                                         r"dimension 1 \(size 3\) of shape \(None, 3\) by "
                                         r"\(3, 0\): each pad must be less than the dimension"):
        tf.pad(x, [[0, 0], [3, 0]], "REFLECT")
    with pytest.raises(ValueError, match="mode 'symmetric' pads dimension 1 .* by \\(1, 4\\): "
                                         "each pad must be no greater than the dimension"):
        tf.pad(x, [[0, 0], [1, 4]], "SYMMETRIC")
    tf.pad(x, [[0, 0], [3, 3]], "SYMMETRIC")  # (at most the size: fine)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_pads_too_large_for_a_size_fed_at_run_time_fail_the_run(backend):
    x = tf.placeholder(tf.float64, (None, 3))
    y = tf.pad(x, [[2, 0], [0, 0]], "REFLECT", name="mirror")
    with pytest.raises(InvalidArgumentError, match="mirror.*mode 'reflect' pads dimension 0 "
                                                   r"\(size 2\) of shape \(2, 3\) by \(2, 0\)"):
        run(y, {x: np.zeros((2, 3))}, backend)
    np.testing.assert_array_equal(run(y, {x: np.ones((3, 3))}, backend), np.ones((5, 3)))


def test_a_scalar_pads_to_itself():
    assert run(tf.pad(tf.constant(3.0), np.zeros((0, 2), np.int32))) == 3.0
    assert float(ge.nn.functional.pad(ge.tensor(3.0), ()).item()) == 3.0
