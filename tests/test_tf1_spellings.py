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
    ([[1], [2]], None, [3], np.array([1, 2, 2], np.int32)),
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
    (lambda: tf.random_uniform([3], -2**63, 2**63 - 1, dtype=tf.int64), ValueError,
     "at most 2\\*\\*53 values"),
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


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_shape_size_and_rank_are_read_at_run_time(backend):
    rows = np.arange(15, dtype=np.float32).reshape(5, 3)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        batch = tf.shape(x)[0]
        mean = tf.reduce_sum(x, 0) / tf.cast(batch, tf.float32)  # a mean over the batch
        fetches = [tf.shape(x), batch, tf.size(x), tf.rank(x), mean,
                   tf.zeros(tf.shape(x)), tf.fill(tf.shape(x), 7), tf.shape(x, out_type=tf.int64)]
        assert [t.shape for t in fetches[:4]] == [(2,), (), (), ()]
        assert fetches[5].shape == (None, 3) and fetches[6].dtype == tf.int32
        with tf.Session(backend=backend) as sess:
            got = sess.run(fetches, {x: rows})
    np.testing.assert_array_equal(got[0], np.array([5, 3], np.int32))
    assert got[0].dtype == np.int32 and got[7].dtype == np.int64
    assert (got[1], got[2], got[3]) == (5, 15, 2)
    np.testing.assert_allclose(got[4], rows.mean(0), rtol=1e-6)  # float32 sums of 5 rows
    np.testing.assert_array_equal(got[5], np.zeros((5, 3), np.float32))
    np.testing.assert_array_equal(got[6], np.full((5, 3), 7, np.int32))


def test_shape_is_a_constant_when_known_and_a_shape_argument_when_not():
    with tf.Graph().as_default():
        known = tf.shape(tf.zeros([2, 4]))
        assert known.node.op == "constant"  # folded while building
        x = tf.placeholder(tf.float64, [None])
        like = tf.placeholder(tf.float64, [None, 2])
        reshaped = tf.reshape(x, tf.shape(like))
        assert reshaped.shape == (None, 2)
        unknown_rank = tf.placeholder(tf.float64)
        got = run([known, reshaped, tf.rank(unknown_rank), tf.size(unknown_rank)],
                  {x: np.arange(6.0), like: np.zeros((3, 2)), unknown_rank: np.ones((2, 3, 4))})
    np.testing.assert_array_equal(got[0], [2, 4])
    np.testing.assert_array_equal(got[1], np.arange(6.0).reshape(3, 2))
    assert (got[2], got[3]) == (3, 24)


@pytest.mark.parametrize("call,words", [
    (lambda x: tf.reshape(x, [tf.shape(x)[0], -1]), r"holds a tensor; its dims must be ints"),
    (lambda x: tf.reshape(x, tf.shape(x) * 1), "is computed at run time"),
    (lambda x: tf.random_normal(tf.shape(x)), "random_uniform_like"),
    (lambda x: tf.shape(x, out_type=tf.float32), "out_type must be int32 or int64"),
    (lambda x: tf.shape(x, out_type=tf.int8), "out_type must be int32 or int64"),
    (lambda x: tf.zeros(tf.constant([2.5, 3.0])), "is not a vector of ints"),
    (lambda x: tf.zeros(tf.constant([True, True])), "is not a vector of ints"),
    (lambda x: tf.constant(1.0, shape=tf.shape(x)), "use tf.fill"),
])
def test_a_shape_known_only_at_run_time_is_refused_where_it_cannot_be_used(call, words):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        with pytest.raises(TypeError, match=words):
            call(x)


def test_an_integer_draw_covers_a_range_wider_than_the_dtypes_positive_half():
    with tf.Graph().as_default():
        got = run(tf.random_uniform([100000], -2**31, 2**31 - 1, dtype=tf.int32, seed=3))
    # 100000 draws over 2**32 values: below 0 about half of them (standard error 0.0016),
    # and about n**2 / (2 * 2**32) = 1.2 repeated pairs expected (the old cast to int32
    # overflowed: half the draws were 0)
    assert 0.49 < np.mean(got < 0) < 0.51 and got.min() < -2**30 and got.max() > 2**30
    assert len(np.unique(got)) > 99990
