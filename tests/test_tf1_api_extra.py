"""More TensorFlow 1 names real programs use: Dimension (`x.get_shape()[1].value`),
tf.TensorShape and tf.dimension_value; graph lookups by name with TensorFlow's errors;
tf.train.ExponentialMovingAverage against a numpy recurrence, its names, collections and a
Saver restoring the averages; tf.nn.zero_fraction and tf.nn.lrn against numpy, and lrn's
gradient against finite differences."""

import pickle

import numpy as np
import pytest

import graphc as tf

rng = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def run(fetches, feeds=None, backend="numpy"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feeds)


# -- Dimension -------------------------------------------------------------------------------
def test_shape_items_are_dimensions_with_value():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.get_shape()[1].value == 3 and x.shape[1].value == 3
    assert x.shape[0].value is None and x.get_shape()[-2].value is None
    assert isinstance(x.shape[1], tf.Dimension) and isinstance(x.shape[0], tf.Dimension)
    assert tf.dimension_value(x.shape[1]) == 3 and tf.dimension_value(x.shape[0]) is None
    assert tf.compat.dimension_value(7) == 7 and tf.dimension_value(None) is None
    assert tf.dimension_at_index(x.shape, 1).value == 3
    assert [d.value for d in x.shape.dims] == [None, 3]


def test_a_known_dimension_is_the_int():
    d = tf.placeholder(tf.float32, [None, 3]).shape[1]
    assert d == 3 and d != 4 and d < 4 and int(d) == 3 and hash(d) == hash(3)
    assert str(d) == "3" and repr(d) == "3" and list(range(d)) == [0, 1, 2]
    assert np.zeros((d, 2)).shape == (3, 2) and [0] * d == [0, 0, 0]
    assert (d * 2).value == 6 and (2 + d).value == 5 and d // 2 == 1 and d / 2 == 1.5
    assert pickle.loads(pickle.dumps(d)) == 3


def test_the_unknown_dimension_is_none_like():
    d = tf.placeholder(tf.float32, [None, 3]).shape[0]
    assert d.value is None and not d and repr(d) == "Dimension(None)" and str(d) == "?"
    assert (d + 1).value is None and (3 * d).value is None
    assert (d == 3) is None and (d != 3) is None  # TensorFlow's: unknown
    assert tf.Dimension(None) is d and pickle.loads(pickle.dumps(d)) is d
    with pytest.raises(TypeError, match="unknown Dimension"):
        int(d)


def test_dimension_constructor_and_its_errors():
    assert tf.Dimension(4).value == 4 and tf.Dimension(tf.Dimension(4)) == 4
    assert tf.Dimension(np.int64(2)).value == 2
    assert tf.Dimension(3).is_compatible_with(None) and not tf.Dimension(3).is_compatible_with(4)
    assert tf.Dimension(None).merge_with(5).value == 5
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        tf.Dimension(-1)
    with pytest.raises(ValueError, match="Ambiguous dimension: 2.5"):
        tf.Dimension(2.5)


def test_tensor_shape_constructor():
    shape = tf.TensorShape([None, tf.Dimension(4), np.int64(2)])
    assert shape == (None, 4, 2) and shape.as_list() == [None, 4, 2]
    assert all(type(d) is int or d is None for d in shape)  # (stored plain)
    assert shape.ndims == 3 and shape.num_elements() is None
    assert tf.TensorShape([2, 3]).num_elements() == 6 and tf.TensorShape([2, 3]).is_fully_defined()
    assert tf.TensorShape(5) == (5,) and tf.TensorShape(None) is None
    assert shape.is_compatible_with([7, 4, None]) and not shape.is_compatible_with([7, 5, 2])
    assert shape[1:] == (4, 2) and isinstance(shape[1:], tf.TensorShape)


def test_dimensions_work_as_shape_arguments_and_graphc_still_sees_none():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [x.shape[0], x.shape[1]])
    assert y.shape == (None, 3)
    w = tf.get_variable("w", [x.shape[-1], 2])
    assert w.shape == (3, 2)
    h = tf.layers.dense(x, 4)  # (graphc's own code tests shape[i] is None)
    assert h.shape == (None, 4) and h.shape[0].value is None
    flat = tf.layers.flatten(tf.placeholder(tf.float32, [None, 2, 3]))
    assert flat.shape.as_list() == [None, 6]
    out = run(tf.reshape(x, [-1, x.shape[1] * 1]), {x: np.ones((2, 3))})
    assert out.shape == (2, 3)


# -- lookups by name ---------------------------------------------------------------------------
def test_get_tensor_and_operation_by_name(fresh_graph):
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.multiply(x, 2.0, name="y")
    graph = tf.get_default_graph()
    assert graph is fresh_graph
    assert graph.get_tensor_by_name("y:0") == y and graph.get_tensor_by_name("x:0") == x
    op = graph.get_operation_by_name("y")
    assert op is y.op and op.name == "y" and op.type == "multiply"
    assert op.outputs == (y,) and op.values() == (y,) and y.op.inputs[0] == x
    assert graph.get_operations()[0] is x.op and graph.get_operations()[-1] is y.op
    np.testing.assert_array_equal(run(graph.get_tensor_by_name("y:0"), {"x:0": [1, 2]}), [2, 4])
    assert graph.as_graph_element("y") is op and graph.as_graph_element(y) is y


def test_lookup_errors_are_tensorflows():
    graph = tf.get_default_graph()
    tf.placeholder(tf.float32, [2], name="x")
    with pytest.raises(KeyError, match="The name 'z:0' refers to a Tensor which does not exist. "
                                       "The operation, 'z', does not exist in the graph."):
        graph.get_tensor_by_name("z:0")
    with pytest.raises(KeyError, match="The operation, 'x', exists but only has 1 outputs."):
        graph.get_tensor_by_name("x:1")
    with pytest.raises(ValueError, match="The name 'x' refers to an Operation, not a Tensor. "
                                         "Tensor names must be of the form "
                                         "\"<op_name>:<output_index>\"."):
        graph.get_tensor_by_name("x")
    with pytest.raises(ValueError, match="looks like an \\(invalid\\) Operation name"):
        graph.get_tensor_by_name("nothing")
    with pytest.raises(ValueError, match="looks a like a Tensor name, but is not a valid one"):
        graph.get_tensor_by_name("x:a")
    with pytest.raises(ValueError, match="Name 'x:0' appears to refer to a Tensor, not a "
                                         "Operation."):
        graph.get_operation_by_name("x:0")
    with pytest.raises(KeyError, match="The name 'q' refers to an Operation not in the graph."):
        graph.get_operation_by_name("q")
    with pytest.raises(TypeError, match="Tensor names are strings"):
        graph.get_tensor_by_name(3)


# -- ExponentialMovingAverage ------------------------------------------------------------------
def ema_reference(decay, init, steps, update, num_updates=False, dtype=np.float32):
    """The shadows after each step: each run reads the variable (and the step count) as they
    were at its start, as graphc's runs do."""
    v, shadow, out = np.array(init, dtype), np.array(init, dtype), []
    for n in range(steps):
        d = np.float32(decay)
        if num_updates:
            d = min(d, (np.float32(1) + np.float32(n)) / (np.float32(10) + np.float32(n)))
        one_minus = dtype(np.float32(1) - np.float32(d))
        shadow = shadow - (shadow - v) * one_minus
        v = update(v)
        out.append(shadow)
    return out


@pytest.mark.parametrize("num_updates", [False, True])
def test_ema_follows_tensorflows_recurrence(num_updates):
    w = tf.Variable(np.array([1.0, -2.0, 4.0], np.float32), name="w")
    step = tf.train.get_or_create_global_step()
    train = tf.group(w.assign(w * 0.5 + 1.0), tf.assign_add(step, 1))
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step if num_updates else None)
    with tf.control_dependencies([train]):
        train_op = ema.apply(tf.trainable_variables())
    want = ema_reference(0.9, [1.0, -2.0, 4.0], 6, lambda v: v * np.float32(0.5) + 1,
                         num_updates)
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(ema.average(w)), [1.0, -2.0, 4.0])
        for shadow in want:
            sess.run(train_op)
            np.testing.assert_allclose(sess.run(ema.average(w)), shadow, rtol=1e-6)
        assert sess.run(step) == 6


def test_ema_in_a_group_and_on_float64_rounds_decay_as_float32():
    w = tf.Variable(np.array([3.0, 1.0]), name="w")
    ema = tf.train.ExponentialMovingAverage(0.7)
    train_op = tf.group(w.assign(w - 1.0), ema.apply([w]))
    want = ema_reference(0.7, [3.0, 1.0], 4, lambda v: v - 1, dtype=np.float64)
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        for shadow in want:
            sess.run(train_op)
            np.testing.assert_allclose(sess.run(ema.average(w)), shadow, rtol=1e-13)


def test_ema_names_and_collections():
    w = tf.Variable(tf.ones([2]), name="w")
    b = tf.Variable(tf.zeros([2]), name="b")
    frozen = tf.Variable(tf.zeros([1]), name="frozen", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.99)
    assert ema.name == "ExponentialMovingAverage" and ema.average(w) is None
    assert ema.average_name(w) == "w/ExponentialMovingAverage"
    op = ema.apply()  # (the trainable variables)
    assert op.name == "ExponentialMovingAverage"
    shadow = ema.average(w)
    assert shadow.name == "w/ExponentialMovingAverage:0" and not shadow.trainable
    assert ema.average_name(b) == "b/ExponentialMovingAverage" and ema.average(frozen) is None
    assert shadow in tf.global_variables() and shadow not in tf.trainable_variables()
    assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == [w, b]
    assert tf.moving_average_variables() == [w, b]
    assert ema.variables_to_restore() == {"w/ExponentialMovingAverage": w,
                                          "b/ExponentialMovingAverage": b, "frozen": frozen}
    other = tf.train.ExponentialMovingAverage(0.5, name="avg")
    other.apply([w])
    assert other.average(w).name == "w/avg:0"
    with pytest.raises(TypeError, match="The variables must be half, float, or double: n:0"):
        ema.apply([tf.Variable(np.array([1], np.int32), name="n")])


def test_ema_of_a_tensor_starts_at_zero_and_zero_debias_removes_the_bias():
    loss = tf.placeholder(tf.float32, [], name="loss")
    plain = tf.train.ExponentialMovingAverage(0.8, name="plain")
    debiased = tf.train.ExponentialMovingAverage(0.8, zero_debias=True, name="debiased")
    update = tf.group(plain.apply([loss]), debiased.apply([loss]))
    assert plain.average(loss).name == "loss/plain:0"
    assert tf.moving_average_variables() == []  # (only Variables join it)
    values = [2.0, 4.0, 3.0]
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        shadow = biased = np.float32(0)
        one_minus = np.float32(1) - np.float32(0.8)
        for t, value in enumerate(values, 1):
            sess.run(update, {loss: value})
            shadow = shadow - (shadow - np.float32(value)) * one_minus
            biased = biased - (biased - np.float32(value)) * one_minus
            np.testing.assert_allclose(sess.run(plain.average(loss)), shadow, rtol=1e-6)
            np.testing.assert_allclose(sess.run(debiased.average(loss)),
                                       biased / (1 - (1 - one_minus) ** t), rtol=1e-6)


def test_saver_restores_the_averages_through_variables_to_restore(tmp_path):
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    ema = tf.train.ExponentialMovingAverage(0.5)
    with tf.control_dependencies([w.assign(w * 3.0)]):
        step = ema.apply([w])
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        sess.run(step)
        averaged = sess.run(ema.average(w))
        path = tf.train.Saver().save(sess, str(tmp_path / "model"))
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros(2, np.float32), name="w")
        ema = tf.train.ExponentialMovingAverage(0.5)
        restore = ema.variables_to_restore()
        assert restore == {"w/ExponentialMovingAverage": w}
        with tf.Session(backend="numpy") as sess:
            tf.train.Saver(restore).restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), averaged)


# -- zero_fraction, lrn --------------------------------------------------------------------------
def test_zero_fraction():
    x = tf.placeholder(tf.float64, [None, 4])
    value = np.array([[0.0, 1.0, -0.0, 2.0], [0.0, np.nan, 3.0, 0.0]])
    fraction = tf.nn.zero_fraction(x)
    assert fraction.dtype == tf.float32 and fraction.shape == ()
    assert run(fraction, {x: value}) == np.float32(0.5)
    assert run(tf.nn.zero_fraction(tf.constant([1, 0, 0, 0]))) == np.float32(0.75)
    with tf.Graph().as_default():
        booleans = tf.nn.zero_fraction(tf.constant([True, False, False]))
        assert booleans.name == "zero_fraction/fraction:0"
        assert run(booleans) == np.float32(2 / 3)


def test_ema_shadows_ignore_name_scopes(tmp_path):
    """A shadow made under a name scope is named as at top level, as TensorFlow names it,
    so a graph built without that scope restores it."""
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    with tf.name_scope("train"):
        ema = tf.train.ExponentialMovingAverage(0.5, zero_debias=True)
        step = ema.apply([w])
    assert ema.average(w).name == "w/ExponentialMovingAverage:0"
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        path = tf.train.Saver().save(sess, str(tmp_path / "model"))
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros(2, np.float32), name="w")
        restore = tf.train.ExponentialMovingAverage(0.5).variables_to_restore()
        with tf.Session(backend="numpy") as sess:
            tf.train.Saver(restore).restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])


def test_a_variable_found_by_name_can_be_assigned(fresh_graph):
    tf.Variable(1.0, name="w")
    value = fresh_graph.get_tensor_by_name("w:0")
    with tf.Session(backend="numpy") as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.assign(value, 5.0)) == 5.0
        assert sess.run(tf.assign_add(value, 1.0)) == 6.0
    with pytest.raises(TypeError, match="assign: ref must be a gc.Variable, got Tensor 'c:0'"):
        tf.assign(tf.constant(1.0, name="c"), 2.0)


def test_iterating_a_shape_gives_ints_and_none_either_way():
    x = tf.placeholder(tf.float32, [None, 3])
    assert list(x.shape) == [None, 3] and list(reversed(x.shape)) == [3, None]
    assert [d.value for d in x.shape.dims] == [None, 3]


def lrn_reference(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    squares, sums = x ** 2, np.zeros_like(x)
    for d in range(x.shape[-1]):
        sums[..., d] = squares[..., max(0, d - depth_radius):d + depth_radius + 1].sum(-1)
    return x / (bias + alpha * sums) ** beta


@pytest.mark.parametrize("args", [{}, dict(depth_radius=2, bias=1.5, alpha=0.3, beta=0.75),
                                  dict(depth_radius=0, bias=2.0, alpha=0.5, beta=1.0)])
def test_lrn_matches_numpy(args):
    value = rng.standard_normal((2, 3, 2, 9))
    x = tf.placeholder(tf.float64, [None, None, 2, 9])
    got = run(tf.nn.lrn(x, **args), {x: value})
    np.testing.assert_allclose(got, lrn_reference(value, **args), rtol=1e-12, atol=1e-14)
    assert tf.nn.local_response_normalization is tf.nn.lrn


def test_lrn_gradient_matches_finite_differences():
    tf.test.check_gradients(lambda v: tf.nn.lrn(v, depth_radius=1, bias=1.2, alpha=0.4,
                                                beta=0.75),
                            [rng.standard_normal((1, 2, 1, 5))])


def test_lrn_errors():
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3 for 'LRN'"):
        tf.nn.lrn(tf.placeholder(tf.float32, [2, 3, 4]))
    with pytest.raises(ValueError, match="channel count"):
        tf.nn.lrn(tf.placeholder(tf.float32, [2, 3, 4, None]))
    with pytest.raises(TypeError, match="float"):
        tf.nn.lrn(tf.placeholder(tf.int32, [2, 3, 4, 5]))


def test_lrn_and_ema_on_the_numba_backend():
    value = rng.standard_normal((2, 2, 3, 6)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 2, 3, 6])
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    ema = tf.train.ExponentialMovingAverage(0.9)
    with tf.control_dependencies([w.assign(w + 1.0)]):
        step = ema.apply([w])
    with tf.Session(backend="numba") as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(tf.nn.lrn(x, depth_radius=2, alpha=0.1), {x: value})
        sess.run(step)
        sess.run(step)
        np.testing.assert_allclose(sess.run(ema.average(w)),
                                   ema_reference(0.9, [1.0, 2.0], 2, lambda v: v + 1)[-1],
                                   rtol=1e-6)
    np.testing.assert_allclose(got, lrn_reference(value.astype(np.float64), 2, alpha=0.1),
                               rtol=1e-5, atol=1e-6)


def test_as_graph_def_lists_the_nodes(fresh_graph):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    with tf.control_dependencies([tf.no_op(name="first")]):
        tf.identity(x * 2.0, name="y")
    nodes = fresh_graph.as_graph_def().node
    assert [n.name for n in nodes][:2] == ["x", "first"]
    y = nodes[-1]
    assert (y.name, y.op) == ("y", "identity") and y.input[0].startswith("mul")
    assert [n.name for n in nodes if n.op == "placeholder"] == ["x"]
