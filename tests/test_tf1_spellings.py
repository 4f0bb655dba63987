"""TensorFlow 1 spellings that its tutorials use, each against the value TensorFlow gives
(written out by hand from TensorFlow 1's documented behaviour): constant's shape argument,
softmax's old dim argument, integer random_uniform, assign's validate_shape, and the error
a feed_dict key of the wrong type gets."""

import numpy as np
import pytest

import graphc as tf


def run(fetches, feeds=None):
    with tf.Session() as sess:
        return sess.run(fetches, feeds)


@pytest.mark.parametrize("value,dtype,shape,expected", [
    (0.1, None, [3], np.full(3, 0.1, np.float32)),  # the tutorials' bias_variable
    ([1, 2, 3, 4, 5, 6], None, [2, 3], np.arange(1, 7, dtype=np.int32).reshape(2, 3)),
    ([1.0, 2.0], tf.float64, [2, 2], np.array([[1.0, 2.0], [2.0, 2.0]])),  # padded, last value
    (-1.0, tf.float64, (2, 1, 2), np.full((2, 1, 2), -1.0)),
    (np.eye(2), tf.float32, [4], np.eye(2, dtype=np.float32).reshape(4)),
])
def test_constant_lays_its_value_out_in_the_shape(value, dtype, shape, expected):
    with tf.Graph().as_default():
        t = tf.constant(value, dtype, shape)
        assert t.shape == expected.shape and t.dtype.np == expected.dtype
        got = run(t)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype


@pytest.mark.parametrize("call,error,words", [
    (lambda: tf.constant([1, 2, 3], shape=[2]), ValueError, "3 values do not fit shape"),
    (lambda: tf.constant([1.0, 2.0], shape=[2, 2], verify_shape=True), TypeError,
     r"value's shape \(2,\) is not the shape \(2, 2\)"),
    (lambda: tf.constant(1.0, shape=[None, 2]), ValueError, "must be fully known"),
])
def test_constant_refuses_a_value_its_shape_cannot_hold(call, error, words):
    with tf.Graph().as_default(), pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
def test_softmax_takes_tensorflow_1s_dim(function):
    logits = np.array([[1.0, 2.0, 0.5], [3.0, 5.0, -1.0]])
    e = np.exp(logits - logits.max(0))
    expected = e / e.sum(0) if function == "softmax" else np.log(e / e.sum(0))
    with tf.Graph().as_default():
        got = run(getattr(tf.nn, function)(tf.constant(logits), dim=0))
    np.testing.assert_allclose(got, expected, rtol=1e-12)  # float64: rounding only


@pytest.mark.parametrize("dtype,low,high", [(tf.int32, 0, 10), (tf.int64, -3, 2)])
def test_random_uniform_draws_ints_for_an_integer_dtype(dtype, low, high):
    with tf.Graph().as_default():
        draw = tf.random_uniform([20000], low, high, dtype=dtype, seed=1)
        got = run(draw)
    assert got.dtype == dtype.np and draw.shape == (20000,)
    assert got.min() == low and got.max() == high - 1
    # each of the k values has frequency 1/k; 20000 draws give a standard error of
    # sqrt(p (1 - p) / 20000) < 0.0036, so 0.02 is more than 5 of them
    np.testing.assert_allclose(np.bincount(got - low) / got.size, 1 / (high - low), atol=0.02)


@pytest.mark.parametrize("call,error,words", [
    (lambda: tf.random_uniform([3], dtype=tf.int32), ValueError, "maxval must be given"),
    (lambda: tf.random_uniform([3], 0.5, 3, dtype=tf.int32), TypeError, "minval is 0.5"),
    (lambda: tf.random_uniform([3], 3, 3, dtype=tf.int32), ValueError, "must be at least one"),
    (lambda: tf.random_uniform([3], 0, 2**40, dtype=tf.int32), ValueError, "int32's range"),
])
def test_an_integer_draw_refuses_bounds_it_cannot_use(call, error, words):
    with tf.Graph().as_default(), pytest.raises(error, match=words):
        call()


def test_assign_with_validate_shape_false_needs_the_variables_own_shape():
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0, 3.0])
        same = tf.assign(v, [4.0, 5.0, 6.0], validate_shape=False)
        with pytest.raises(ValueError, match=r"keep the static shape they were made with, "
                                             r"\(3,\) .* the value's is \(None,\)"):
            tf.assign(v, tf.placeholder(tf.float32, [None]), validate_shape=False)
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(same), [4.0, 5.0, 6.0])


def test_a_feed_key_of_the_wrong_type_is_named_as_a_feed_key():
    with tf.Graph().as_default():
        c = tf.constant(1.0)
        with pytest.raises(TypeError, match="feed_dict key 1.0 has invalid type float"):
            run(c, {1.0: 2})
