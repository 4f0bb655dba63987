"""TensorFlow 1 names a test corpus found missing, each against numpy (float64: to 1e-12),
its gradient against finite differences, and its errors: clip_by_value, add_n,
squared_difference, placeholder_with_default, Session(config=...), the initializers, graph
collections, tf.nn's leaky_relu, relu6, elu and moments, tf.layers' flatten and dropout,
// and %, and the small math functions (floor, round, log1p, rsqrt, logical ops, is_nan,
count_nonzero). The new elementwise ops' special values on every backend are in
tests/runtime/test_special_values.py, their op records in tests/ops/op_cases.py."""

import numpy as np
import pytest

import graphc as tf

TOL = dict(rtol=1e-12, atol=1e-12)
rng = np.random.default_rng(5)


def run(fetches, feeds=None, backend="numpy"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feeds)


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def gradient(y, x, feeds, grad_ys=None):
    (g,) = tf.gradients(y, [x], grad_ys=grad_ys)
    return None if g is None else run(g, feeds)


# -- clip_by_value, add_n, squared_difference ---------------------------------------------
def test_clip_by_value_matches_numpy_and_passes_the_gradient_at_its_bounds():
    t = np.array([-2.0, -1.0, -0.5, 0.0, 1.0, 1.5, np.nan, -np.inf, np.inf])
    x = tf.placeholder(tf.float64, [None])
    y = tf.clip_by_value(x, -1.0, 1.0)
    got = run(y, {x: t})
    np.testing.assert_array_equal(got, np.clip(t, -1.0, 1.0))  # NaN stays NaN
    # TensorFlow: 1 where min <= t <= max, bounds included (ties go to t)
    finite = t[:6]
    np.testing.assert_array_equal(gradient(y, x, {x: finite}), [0, 1, 1, 1, 1, 0])
    tf.test.check_gradients(lambda v: tf.clip_by_value(v, -0.7, 0.9),
                            [np.array([-1.3, -0.2, 0.4, 1.2])])


def test_clip_by_value_takes_tensor_bounds_and_gives_them_the_clipped_gradient():
    t, low, high = rng.standard_normal((3, 4)), -0.3 * np.ones(4), 0.4 * np.ones((3, 1))
    tf.test.check_gradients(tf.clip_by_value, [t, low, high])
    x, a, b = (tf.placeholder(tf.float64, v.shape) for v in (t, low, high))
    got = run(tf.clip_by_value(x, a, b), {x: t, a: low, b: high})
    np.testing.assert_allclose(got, np.minimum(np.maximum(t, low), high), **TOL)


def test_clip_by_value_where_min_exceeds_max_gives_min_as_tensorflow_1():
    got = run(tf.clip_by_value(tf.constant([-5, 0, 5]), 3, 1))
    np.testing.assert_array_equal(got, [3, 3, 3])
    assert got.dtype == np.int32
    assert tf.clip_by_value(tf.constant([1.0]), 0.0, 2.0).op.name.startswith("clip_by_value/")


def test_clip_by_value_refuses_bounds_that_enlarge_t():
    with pytest.raises(ValueError, match=r"would broadcast t of shape \(3,\) to shape \(2, 3\)"):
        tf.clip_by_value(tf.zeros([3]), tf.zeros([2, 3]), 1.0)


def test_add_n_sums_same_shape_tensors_and_refuses_others():
    values = [rng.standard_normal((2, 3)) for _ in range(3)]
    xs = [tf.placeholder(tf.float64, (2, 3)) for _ in values]
    total = tf.add_n(xs)
    np.testing.assert_allclose(run(total, dict(zip(xs, values))), sum(values), **TOL)
    tf.test.check_gradients(lambda a, b: tf.add_n([a, b, a]), values[:2])
    assert tf.add_n([xs[0]]) is xs[0]
    with pytest.raises(ValueError, match="same dtype and shape; got float64"):
        tf.add_n([xs[0], tf.zeros([3])])
    with pytest.raises(ValueError, match="at least one Tensor"):
        tf.add_n([])


def test_squared_difference_broadcasts_and_differentiates():
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(run(tf.squared_difference(tf.constant(a), tf.constant(b))),
                               (a - b) ** 2, **TOL)
    tf.test.check_gradients(tf.squared_difference, [a, b])


# -- placeholder_with_default ------------------------------------------------------------
def test_placeholder_with_default_is_fed_or_default_in_each_run_natively():
    default = np.arange(6.0).reshape(2, 3)
    x = tf.placeholder_with_default(default, shape=[None, 3])
    assert x.shape == (None, 3) and x.dtype == tf.float64
    w = tf.Variable(np.ones((3, 2)))
    y = tf.matmul(x, w) * 2.0
    fed = rng.standard_normal((5, 3))
    with tf.Session(backend="numba") as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(2):  # alternating runs: each its own program, each run decides
            np.testing.assert_allclose(sess.run(y), default @ np.ones((3, 2)) * 2, **TOL)
            np.testing.assert_allclose(sess.run(y, {x: fed}), fed @ np.ones((3, 2)) * 2, **TOL)
        with pytest.raises(tf.InvalidArgumentError, match=r"expects dtype float64 and shape "
                                                          r"\(None, 3\)"):
            sess.run(y, {x: np.zeros((2, 4))})


def test_placeholder_with_default_flag_and_gradient():
    training = tf.placeholder_with_default(False, shape=[])
    assert training.dtype == tf.bool and training.shape == ()
    v = tf.placeholder(tf.float64, [3])
    out = tf.where(training, v * 2.0, v)
    values = np.array([1.0, -2.0, 3.0])
    assert np.array_equal(run(out, {v: values}), values)
    assert np.array_equal(run(out, {v: values, training: True}), 2 * values)
    d = tf.placeholder(tf.float64, [3])
    z = tf.placeholder_with_default(d, [None])  # the gradient flows to the default
    np.testing.assert_allclose(gradient(tf.reduce_sum(z * z), d, {d: values}), 2 * values,
                               **TOL)
    tf.test.check_gradients(lambda u: tf.placeholder_with_default(u, [None]) ** 3, [values])


def test_placeholder_with_default_refuses_a_default_that_does_not_fit():
    with pytest.raises(ValueError, match=r"default value's shape \(2,\) does not fit shape "
                                         r"\(3,\)"):
        tf.placeholder_with_default([1.0, 2.0], [3])
    with pytest.raises(ValueError, match="does not fit"):
        tf.placeholder_with_default(tf.placeholder(tf.float32, [None]), [4])


def test_placeholder_with_default_survives_export_and_import(tmp_path):
    x = tf.placeholder_with_default(np.ones(2), [None], name="x")
    tf.identity(x * 3.0, name="y")
    tf.export_graph(tf.get_default_graph(), tmp_path / "g")
    graph = tf.import_graph(tmp_path / "g")
    y, x = graph.get_tensor("y:0"), graph.get_tensor("x:0")
    assert x.shape == (None,)
    with tf.Session(graph, backend="numpy") as sess:
        np.testing.assert_array_equal(sess.run(y), [3.0, 3.0])
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0, 4.0]}), [3.0, 6.0, 12.0])


# -- sessions, initializers, collections ---------------------------------------------------
def test_session_accepts_a_config_proto_and_ignores_it():
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False,
                            gpu_options=tf.GPUOptions(allow_growth=True),
                            inter_op_parallelism_threads=2, intra_op_parallelism_threads=2)
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.5
    with tf.Session(config=config, backend="numpy") as sess:
        assert sess.run(tf.constant(2.0) * 3.0) == 6.0
    sess = tf.InteractiveSession(config=tf.ConfigProto(), backend="numpy")
    assert tf.constant(4.0).eval() == 4.0
    sess.close()
    with pytest.raises(ValueError, match='ConfigProto has no "allow_growth" field'):
        tf.ConfigProto(allow_growth=True)
    with pytest.raises(ValueError, match='GPUOptions has no "grow" field'):
        config.gpu_options.grow = True
    with pytest.raises(TypeError, match="config must be a tf.ConfigProto"):
        tf.Session(config={"allow_soft_placement": True})


def test_initialize_all_variables_and_local_variables_initializer():
    w = tf.Variable(np.array([1.5, 2.5]))
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.initialize_all_variables())
        assert sess.run(tf.local_variables_initializer()) is None
        np.testing.assert_array_equal(sess.run(w), [1.5, 2.5])
    assert tf.local_variables() == []


def test_graph_keys_read_graphcs_own_variable_lists():
    w = tf.Variable(1.0, name="model/w")
    step = tf.Variable(0, name="step", trainable=False)
    keys = tf.GraphKeys
    assert tf.get_collection(keys.GLOBAL_VARIABLES) == [w, step] == tf.global_variables()
    assert tf.get_collection(keys.TRAINABLE_VARIABLES) == [w] == tf.trainable_variables()
    assert tf.get_collection(keys.GLOBAL_VARIABLES, scope="model") == [w]
    tf.add_to_collection(keys.TRAINABLE_VARIABLES, step)  # trainable now, not a second list
    assert tf.trainable_variables() == [w, step]
    tf.get_collection_ref(keys.TRAINABLE_VARIABLES).remove(w)  # TF1's way to freeze one
    assert tf.trainable_variables() == [step] and not w.trainable
    assert tf.get_default_graph().get_collection(keys.GLOBAL_VARIABLES) == [w, step]
    with pytest.raises(TypeError, match="holds this graph's gc.Variables; got Tensor"):
        tf.add_to_collection(keys.GLOBAL_VARIABLES, tf.constant(1.0))


def test_losses_and_summaries_collections_are_the_ones_graphc_fills():
    loss = tf.losses.mean_squared_error(tf.constant([1.0]), tf.constant([3.0]))
    assert tf.get_collection(tf.GraphKeys.LOSSES) == [loss]
    tf.summary.scalar("loss", loss)
    assert len(tf.get_collection(tf.GraphKeys.SUMMARIES)) == 1
    assert tf.GraphKeys.UPDATE_OPS == "update_ops" and tf.get_collection("update_ops") == []


def test_update_ops_run_before_a_train_op_that_depends_on_them():
    w = tf.Variable(np.array(2.0))
    counter = tf.Variable(np.array(0.0), trainable=False)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, counter.assign_add(1.0))
    ref = tf.get_collection_ref(tf.GraphKeys.UPDATE_OPS)
    assert len(ref) == 1 and ref is tf.get_collection_ref("update_ops")
    loss = tf.square(w)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        np.testing.assert_allclose(sess.run([w, counter]), [0.5, 2.0], **TOL)


# -- tf.nn ------------------------------------------------------------------------------------
X = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 6.0, 7.5, 1000.0])


def test_leaky_relu_relu6_elu_match_numpy():
    x = tf.constant(X)
    got = run([tf.nn.leaky_relu(x), tf.nn.leaky_relu(x, alpha=0.1), tf.nn.relu6(x),
               tf.nn.elu(x)])
    np.testing.assert_allclose(got[0], np.where(X > 0, X, 0.2 * X), **TOL)
    np.testing.assert_allclose(got[1], np.where(X > 0, X, 0.1 * X), **TOL)
    np.testing.assert_allclose(got[2], np.minimum(np.maximum(X, 0), 6), **TOL)
    np.testing.assert_allclose(got[3], np.where(X < 0, np.expm1(np.minimum(X, 0)), X), **TOL)
    leaky_int = run(tf.nn.leaky_relu(tf.constant([-5, 5])))
    np.testing.assert_array_equal(leaky_int, np.array([-1.0, 5.0], np.float32))


def test_activation_gradients_match_tensorflows_at_the_kinks_and_stay_finite():
    x = tf.placeholder(tf.float64, [None])
    grads = [gradient(f(x), x, {x: X}) for f in (tf.nn.leaky_relu, tf.nn.relu6, tf.nn.elu)]
    np.testing.assert_allclose(grads[0], np.where(X > 0, 1.0, 0.2), **TOL)  # alpha at 0
    np.testing.assert_allclose(grads[1], (X > 0) & (X < 6), **TOL)  # 0 at 0 and at 6
    np.testing.assert_allclose(grads[2], np.where(X < 0, np.exp(np.minimum(X, 0)), 1.0),
                               **TOL)  # 1 at 0; exp(1000) never reached
    smooth = np.array([-2.0, -0.3, 0.4, 3.0, 6.5])
    for f in (tf.nn.leaky_relu, tf.nn.relu6, tf.nn.elu):
        tf.test.check_gradients(f, [smooth])


def test_elu_refuses_integers():
    with pytest.raises(TypeError, match="elu: expects floating-point features, got int32"):
        tf.nn.elu(tf.constant([1, 2]))


@pytest.mark.parametrize("axes,keep", [([0], False), ([0, 2], True), (1, False)])
def test_moments_are_mean_and_variance(axes, keep):
    v = rng.standard_normal((4, 3, 2))
    mean, variance = tf.nn.moments(tf.constant(v), axes, keep_dims=keep)
    axis = tuple(axes) if isinstance(axes, list) else axes
    want = v.mean(axis=axis, keepdims=keep), v.var(axis=axis, keepdims=keep)
    got = run([mean, variance])
    for g, w, t in zip(got, want, (mean, variance)):
        assert t.shape == w.shape
        np.testing.assert_allclose(g, w, **TOL)
    tf.test.check_gradients(lambda a: tf.nn.moments(a, axes, keep_dims=keep)[1], [v])


# -- tf.layers ---------------------------------------------------------------------------------
def test_flatten_keeps_the_batch():
    v = rng.standard_normal((5, 2, 3, 4))
    x = tf.placeholder(tf.float64, (None, 2, 3, 4))
    flat, first = tf.layers.flatten(x), tf.layers.flatten(x, data_format="channels_first")
    assert flat.shape == (None, 24)
    got = run([flat, first], {x: v})
    np.testing.assert_array_equal(got[0], v.reshape(5, 24))
    np.testing.assert_array_equal(got[1], v.transpose(0, 2, 3, 1).reshape(5, 24))
    assert tf.layers.flatten(tf.zeros([3])).shape == (3, 1)
    with pytest.raises(ValueError, match=r"after the first must be known.*\(None, None\)"):
        tf.layers.flatten(tf.placeholder(tf.float64, (None, None)))


def test_dropout_layer_is_the_identity_unless_training():
    v = rng.uniform(1.0, 2.0, (200, 10))
    x = tf.placeholder(tf.float64, (None, 10))
    training = tf.placeholder(tf.bool, [])
    off, on = tf.layers.dropout(x, 0.4), tf.layers.dropout(x, 0.4, training=True)
    switched = tf.layers.dropout(x, rate=0.4, training=training)
    got_off, got_on = run([off, on], {x: v})
    np.testing.assert_array_equal(got_off, v)
    kept = got_on != 0
    np.testing.assert_allclose(got_on[kept], v[kept] / 0.6, **TOL)
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_array_equal(run(switched, {x: v, training: False}), v)
    dropped = run(switched, {x: v, training: True})
    assert 0.5 < (dropped != 0).mean() < 0.7
    with pytest.raises(TypeError, match="training must be a Python bool or a bool scalar"):
        tf.layers.dropout(x, training=tf.constant(1.0))


# -- // and %, rounding and the small math functions --------------------------------------------
A = np.array([7.0, -7.0, 7.0, -7.0, 5.5, -0.0, 1.0, 0.0, np.inf, 3.0])
B = np.array([2.0, 2.0, -2.0, -2.0, 1.5, 3.0, 0.0, 0.0, 2.0, np.inf])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_floordiv_and_mod_are_numpys(backend):
    a, b = tf.placeholder(tf.float64, [None]), tf.placeholder(tf.float64, [None])
    ia, ib = tf.placeholder(tf.int32, [None]), tf.placeholder(tf.int32, [None])
    ints = np.array([7, -7, 7, -7, 0, 9], np.int32), np.array([2, 2, -2, -2, 3, 0], np.int32)
    got = run([a // b, a % b, 10.0 // a, 10.0 % a, ia // ib, ia % ib, ia // 3],
              {a: A, b: B, ia: ints[0], ib: ints[1]}, backend)
    with np.errstate(all="ignore"):
        want = [A // B, A % B, 10.0 // A, 10.0 % A, ints[0] // ints[1], ints[0] % ints[1],
                ints[0] // 3]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)  # NaN where numpy has NaN, values, -0.0 as 0.0
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
        assert g.dtype == w.dtype


def test_floordiv_and_mod_gradients_are_tensorflows():
    a, b = tf.placeholder(tf.float64, [None]), tf.placeholder(tf.float64, [None])
    assert tf.gradients(a // b, [a, b]) == [None, None]
    x, y = np.array([7.3, -7.3, 2.2]), np.array([2.0, 2.0, -0.7])
    tf.test.check_gradients(lambda u, v: u % v, [x, y])
    ga, gb = run(tf.gradients(tf.floormod(a, b), [a, b]), {a: x, b: y})
    np.testing.assert_allclose(ga, 1.0, **TOL)
    np.testing.assert_allclose(gb, -np.floor(x / y), **TOL)
    with tf.Graph().as_default():  # TensorFlow 1's names for the operators' nodes
        c = tf.constant(1.0)
        assert (c % 2.0).op.name == "mod" and (c // 2.0).op.name == "floordiv"
    assert tf.mod is tf.floormod and tf.floor_div is tf.floordiv


def test_floor_and_round_half_to_even():
    v = np.array([-2.5, -1.5, -0.5, -0.3, 0.5, 1.5, 2.5, 2.6, -2.6, 1e300, -0.0])
    x = tf.constant(v)
    floor, rounded = run([tf.floor(x), tf.round(x)])
    np.testing.assert_array_equal(floor, np.floor(v))
    np.testing.assert_array_equal(rounded, [-2.0, -2.0, -0.0, -0.0, 0.0, 2.0, 2.0, 3.0, -3.0,
                                            1e300, -0.0])
    np.testing.assert_array_equal(np.signbit(rounded), np.signbit(np.rint(v)))
    assert tf.gradients(tf.floor(x) + tf.round(x), [x]) == [None]
    ints = tf.constant([1, 2])
    assert tf.round(ints) is ints
    with pytest.raises(TypeError, match="expects a floating-point tensor, got int32"):
        tf.floor(ints)


def test_log1p_and_rsqrt():
    v = np.array([1e-300, 1e-10, -1e-8, 0.5, 3.0, 1e300, 1.7e308, np.inf, -1.0])
    x = tf.placeholder(tf.float64, [None])
    got = run([tf.log1p(x), tf.rsqrt(x)], {x: v})
    large = np.array([1e37, 3e38], np.float32)  # (log(1 + u) * u would overflow there)
    np.testing.assert_allclose(run(tf.log1p(tf.constant(large))), np.log1p(large),
                               rtol=1e-7)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(got[0], np.log1p(v), rtol=1e-15)
        np.testing.assert_allclose(got[1], 1 / np.sqrt(v), **TOL)
    smooth = np.array([-0.5, 1e-3, 0.7, 4.0])
    tf.test.check_gradients(tf.log1p, [smooth])
    tf.test.check_gradients(tf.rsqrt, [smooth + 1])


def test_logical_ops_is_nan_and_count_nonzero():
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    a, b = tf.constant(p), tf.constant(q)
    got = run([tf.logical_and(a, b), tf.logical_or(a, b), tf.logical_not(a),
               tf.logical_and(a, tf.constant(True))])
    for g, w in zip(got, [p & q, p | q, ~p, p]):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(TypeError, match="logical_and: expects bool tensors, got float32"):
        tf.logical_and(a, tf.constant([1.0]))
    v = np.array([[0.0, np.nan, 1.0], [0.0, 0.0, -2.0]])
    x = tf.constant(v)
    got = run([tf.is_nan(x), tf.count_nonzero(x), tf.count_nonzero(x, axis=1),
               tf.count_nonzero(x, reduction_indices=[0], keep_dims=True, dtype=tf.int32),
               tf.count_nonzero(tf.constant([True, False, True]))])
    np.testing.assert_array_equal(got[0], np.isnan(v))
    assert got[1] == 3 and got[1].dtype == np.int64
    np.testing.assert_array_equal(got[2], [2, 1])
    np.testing.assert_array_equal(got[3], [[0, 1, 2]])
    assert got[3].dtype == np.int32 and got[4] == 2


def test_the_new_names_compile_natively_in_one_step():
    """One numba program using the compositions and the new ops together."""
    v = rng.standard_normal((6, 4)) * 3
    x = tf.placeholder(tf.float64, (None, 4))
    mean, var = tf.nn.moments(x, [0])
    out = tf.add_n([tf.clip_by_value(x, -1.0, 2.0), tf.nn.elu(x), tf.nn.relu6(x),
                    tf.nn.leaky_relu(x), tf.squared_difference(x, mean), x % 1.5,
                    tf.floor(x) + tf.round(x) + x // 2.0, tf.log1p(tf.abs(x))]) + var
    want = (np.clip(v, -1, 2) + np.where(v < 0, np.exp(np.minimum(v, 0)) - 1, v)
            + np.clip(v, 0, 6) + np.where(v > 0, v, 0.2 * v) + (v - v.mean(0)) ** 2
            + v % 1.5 + np.floor(v) + np.rint(v) + v // 2 + np.log1p(np.abs(v)) + v.var(0))
    np.testing.assert_allclose(run(out, {x: v}, backend="numba"), want, **TOL)


# -- TensorFlow's later spellings: tf.compat.v1, tf.math, tf.random, tf.logging -------------
def test_a_compat_v1_program_runs_with_its_later_spellings():
    import importlib
    import importlib.util
    import logging

    v1 = importlib.import_module("graphc.compat.v1")  # import tensorflow.compat.v1 as tf
    assert v1 is tf and tf.compat.v1 is tf
    assert tf.disable_v2_behavior() is None and tf.disable_eager_execution() is None
    assert tf.executing_eagerly() is False
    tf.logging.set_verbosity(tf.logging.WARN)
    assert logging.getLogger("graphc").getEffectiveLevel() == logging.WARNING
    assert tf.math.log is tf.log and tf.math.reduce_sum is tf.reduce_sum
    assert tf.math.softmax is tf.nn.softmax and tf.math.mod is tf.mod
    assert importlib.util.find_spec("graphc.math").name == "graphc.math"
    assert logging.getLogger("graphc").handlers  # (tf.logging.info prints, as TF1's does)
    assert tf.random.normal is tf.random_normal and tf.random.set_seed is tf.set_random_seed
    x = tf.placeholder(tf.float64, [None, 2])
    y = tf.math.reduce_mean(tf.math.square(tf.math.subtract(x, 1.0)), axis=1)
    value = np.array([[1.0, 3.0], [0.0, 2.0]])
    np.testing.assert_allclose(run(y, {x: value}), ((value - 1) ** 2).mean(axis=1), **TOL)
    draws = []
    for seed, normal in [(tf.random.set_seed, tf.random.normal),
                         (tf.set_random_seed, tf.random_normal)]:
        with tf.Graph().as_default():
            seed(3)
            draws.append(run(normal([4], dtype=tf.float64)))
    np.testing.assert_array_equal(draws[0], draws[1])


def test_the_namespaces_leave_pythons_modules_alone():
    import logging
    import math
    import random

    assert math.pi == np.pi and callable(random.random) and callable(logging.getLogger)
    assert "math" not in tf.__all__ and "logging" not in tf.__all__


# -- tf.nn.embedding_lookup, xw_plus_b, l2_normalize; tf.eye --------------------------------
def test_embedding_lookup_xw_plus_b_l2_normalize_and_eye():
    params = rng.standard_normal((5, 3))
    ids = np.array([[0, 4], [2, 2]])
    p = tf.placeholder(tf.float64, [5, 3])
    i = tf.placeholder(tf.int64, [None, 2])
    looked = tf.nn.embedding_lookup(p, i)
    np.testing.assert_array_equal(run(looked, {p: params, i: ids}), params[ids])
    weights = np.arange(12.0).reshape(2, 2, 3)
    (grad,) = tf.gradients(tf.reduce_sum(looked * weights), [p])
    want = np.zeros((5, 3))
    np.add.at(want, ids.ravel(), weights.reshape(4, 3))
    np.testing.assert_array_equal(run(grad, {p: params, i: ids}), want)

    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    np.testing.assert_allclose(run(tf.nn.xw_plus_b(tf.constant(x), tf.constant(w),
                                                   tf.constant(b))), x @ w + b, **TOL)

    v = np.array([[3.0, 4.0], [0.0, 0.0], [1e-8, 0.0]])
    norms = np.sqrt(np.maximum((v * v).sum(axis=1, keepdims=True), 1e-12))
    np.testing.assert_allclose(run(tf.nn.l2_normalize(tf.constant(v), axis=1)), v / norms,
                               **TOL)
    tf.test.check_gradients(lambda t: tf.nn.l2_normalize(t, 1), [rng.standard_normal((2, 3))])

    np.testing.assert_array_equal(run(tf.eye(2, 3, batch_shape=[2], dtype=tf.float64)),
                                  np.broadcast_to(np.eye(2, 3), (2, 2, 3)))
    with pytest.raises(ValueError, match="no partitioned variables"):
        tf.nn.embedding_lookup([p, p], i)


def test_a_static_shape_has_tensorflows_tensorshape_methods():
    x = tf.placeholder(tf.float32, (None, 7, 7, 64))
    shape = x.get_shape()
    assert shape.as_list() == [None, 7, 7, 64] and x.shape.ndims == 4 and shape.rank == 4
    assert shape.num_elements() is None and shape[1:].num_elements() == 3136
    assert shape[1:].as_list() == [7, 7, 64] and not shape.is_fully_defined()
    assert shape == (None, 7, 7, 64) and repr(shape) == "(None, 7, 7, 64)"
    flat = tf.reshape(x, [-1, shape[1:].num_elements()])
    assert flat.shape.as_list() == [None, 3136]
