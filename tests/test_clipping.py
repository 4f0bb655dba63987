"""TensorFlow 1's clipping by norm (graphc/clipping.py) against numpy, and tf.device."""

import numpy as np
import pytest

import graphc as tf


def run(*fetches):
    with tf.Session() as sess:
        return sess.run(list(fetches))


def test_global_norm_and_clip_by_global_norm_scale_every_tensor_by_one_factor():
    a, b = np.array([3.0, 4.0]), np.array([[12.0]])
    clipped, norm = tf.clip_by_global_norm([tf.constant(a), None, tf.constant(b)], 6.5)
    assert clipped[1] is None
    got_a, got_b, got_norm = run(clipped[0], clipped[2], norm)
    assert got_norm == 13.0  # sqrt(9 + 16 + 144)
    np.testing.assert_allclose(got_a, a * 0.5, rtol=1e-15)
    np.testing.assert_allclose(got_b, b * 0.5, rtol=1e-15)
    unchanged, _ = tf.clip_by_global_norm([tf.constant(a)], 10.0)
    np.testing.assert_array_equal(run(unchanged[0])[0], a)


def test_an_infinite_global_norm_makes_every_value_nan_as_tensorflows():
    clipped, norm = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    values, total = run(clipped[0], norm)
    assert np.isinf(total) and np.isnan(values).all()


def test_clip_by_norm_over_axes_and_its_gradient_at_zero():
    x = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    t = tf.constant(x)
    rows = tf.clip_by_norm(t, 1.0, axes=[1])
    whole = tf.clip_by_norm(t, 1.0)
    (grad,) = tf.gradients(tf.reduce_sum(tf.clip_by_norm(t[2], 1.0)), [t])
    got_rows, got_whole, got_grad = run(rows, whole, grad)
    np.testing.assert_allclose(got_rows, [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(got_whole, x / np.sqrt((x * x).sum()), rtol=1e-15)
    assert np.isfinite(got_grad).all()  # (no 0/0 where the norm is 0)


def test_a_list_is_required_and_device_is_a_scope():
    with pytest.raises(TypeError, match="t_list must be a list of tensors, got Tensor"):
        tf.clip_by_global_norm(tf.constant([1.0]), 1.0)
    with tf.device("/cpu:0"):
        v = tf.Variable(tf.zeros([3]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(v), np.zeros(3))
    with pytest.raises(TypeError, match="expected a device string"):
        with tf.device(3):
            pass
