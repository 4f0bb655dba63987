"""TensorFlow 1's variable sharing: gc.get_variable and gc.variable_scope (names, nesting,
reuse and TensorFlow's error messages, AUTO_REUSE, reuse_variables), the initializers
(values, statistics, seeded draws), a two-layer network built twice on shared variables, and
training get_variable's variables with gc.train."""

import math
import re

import numpy as np
import pytest

import graphc as gc


def run(*fetches, feed=None):
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        return sess.run(list(fetches), feed_dict=feed)


# -- names and nesting ----------------------------------------------------------------------------
def test_nested_scopes_prefix_variable_and_op_names():
    with gc.variable_scope("outer") as outer:
        assert outer.name == "outer"
        with gc.variable_scope("inner"):
            assert gc.get_variable_scope().name == "outer/inner"
            w = gc.get_variable("w", [3, 2])
            y = gc.matmul(gc.ones([1, 3]), w)
        b = gc.get_variable("b", [2])
    top = gc.get_variable("top", [])
    assert isinstance(w, gc.Variable)
    assert (w.name, b.name, top.name) == ("outer/inner/w:0", "outer/b:0", "top:0")
    assert y.name.startswith("outer/inner/")  # a variable scope opens a name scope for ops
    assert gc.get_variable_scope().name == ""
    assert [v.name for v in gc.global_variables()] == ["outer/inner/w:0", "outer/b:0", "top:0"]
    names = [n.name for n in gc.get_default_graph().nodes]
    assert "outer/inner/w/initializer" in names
    assert all("outer/inner/outer" not in n for n in names)


def test_variables_ignore_name_scopes_but_ops_follow_them():
    with gc.name_scope("ns"):
        with gc.variable_scope("vs"):
            w = gc.get_variable("w", [2])
            y = w * 2.0
    assert w.name == "vs/w:0"
    assert y.name.startswith("ns/vs/")


def test_default_name_is_made_unique_and_reuse_true_needs_a_name():
    names = []
    for _ in range(3):
        with gc.variable_scope(None, default_name="dense"):
            names.append(gc.get_variable("w", [2]).name)
    assert names == ["dense/w:0", "dense_1/w:0", "dense_2/w:0"]
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        with gc.variable_scope(None, default_name="dense", reuse=True):
            pass


def test_a_scope_object_reenters_under_its_own_name():
    with gc.variable_scope("model") as model:
        w = gc.get_variable("w", [2])
    with gc.variable_scope("elsewhere"):
        with gc.variable_scope(model, reuse=True):
            assert gc.get_variable_scope().name == "model"
            assert gc.get_variable("w", [2]) is w
        with gc.variable_scope(model):
            v = gc.get_variable("v", [2])
    assert v.name == "model/v:0"
    assert model.get_variable("u", [2]).name == "model/u:0"  # VariableScope.get_variable


# -- reuse ----------------------------------------------------------------------------------------
def test_reuse_returns_the_same_variable():
    with gc.variable_scope("outer"):
        w = gc.get_variable("w", [3, 4])
    with gc.variable_scope("outer", reuse=True):
        assert gc.get_variable("w", [3, 4]) is w
        assert gc.get_variable("w") is w  # shape may be left out when reusing
    assert len(gc.global_variables()) == 1


def test_tensorflows_error_when_the_variable_exists():
    with gc.variable_scope("outer"):
        gc.get_variable("w", [3])
    message = ("Variable outer/w already exists, disallowed. Did you mean to set reuse=True or "
               "reuse=tf.AUTO_REUSE in VarScope?")
    with pytest.raises(ValueError, match=re.escape(message)):
        with gc.variable_scope("outer"):
            gc.get_variable("w", [3])
    with pytest.raises(ValueError, match=re.escape(message)):
        with gc.variable_scope("outer", reuse=False):
            gc.get_variable("w", [3])


def test_tensorflows_error_when_reusing_a_missing_variable():
    message = ("Variable outer/w does not exist, or was not created with tf.get_variable(). "
               "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
    with pytest.raises(ValueError, match=re.escape(message)):
        with gc.variable_scope("outer", reuse=True):
            gc.get_variable("w", [3])
    gc.Variable(np.zeros(3), name="outer/w")  # a plain Variable is not get_variable's
    with pytest.raises(ValueError, match=re.escape(message)):
        with gc.variable_scope("outer", reuse=True):
            gc.get_variable("w", [3])


def test_shape_and_dtype_mismatch_on_reuse():
    with gc.variable_scope("s"):
        gc.get_variable("w", [3, 4])
    with gc.variable_scope("s", reuse=True):
        with pytest.raises(ValueError, match=re.escape(
                "Trying to share variable s/w, but specified shape (4, 3) and found shape "
                "(3, 4).")):
            gc.get_variable("w", [4, 3])
        with pytest.raises(ValueError, match="specified dtype float64 and found dtype float32"):
            gc.get_variable("w", [3, 4], dtype=gc.float64)


def test_auto_reuse_creates_then_reuses():
    def layer():
        with gc.variable_scope("shared", reuse=gc.AUTO_REUSE):
            return gc.get_variable("w", [2, 2])

    first, second = layer(), layer()
    assert first is second
    assert [v.name for v in gc.global_variables()] == ["shared/w:0"]
    assert gc.AUTO_REUSE is gc.AUTO_REUSE and repr(gc.AUTO_REUSE) == "tf.AUTO_REUSE"


def test_reuse_variables_and_inheritance():
    with gc.variable_scope("net") as scope:
        w = gc.get_variable("w", [2])
        with gc.variable_scope("sub"):
            u = gc.get_variable("u", [2])
        assert not scope.reuse
        scope.reuse_variables()
        assert scope.reuse is True
        assert gc.get_variable("w") is w
        with gc.variable_scope("sub"):  # inner scopes inherit reuse
            assert gc.get_variable_scope().reuse is True
            assert gc.get_variable("u") is u
        with gc.variable_scope("sub", reuse=False):  # and cannot turn it off, as in TF 1
            assert gc.get_variable("u") is u
    with gc.variable_scope("net"):  # a new entry does not reuse
        assert gc.get_variable_scope().reuse is False


# -- where the variables live ---------------------------------------------------------------------
def test_collections_and_trainable():
    with gc.variable_scope("m"):
        w = gc.get_variable("w", [2])
        n = gc.get_variable("count", [], dtype=gc.int64, trainable=False)
    plain = gc.Variable(1.0, name="plain")
    assert gc.global_variables() == [w, n, plain]
    assert gc.trainable_variables() == [w, plain]
    assert gc.get_default_graph().variables == [w, n, plain]
    other = gc.Graph()
    with other.as_default():  # the store belongs to the graph
        with gc.variable_scope("m"):
            w2 = gc.get_variable("w", [2])
        assert w2 is not w and gc.global_variables() == [w2]


def test_initial_value_as_tensor_or_array():
    with gc.variable_scope("c"):
        a = gc.get_variable("a", initializer=np.arange(6.0).reshape(2, 3))
        b = gc.get_variable("b", initializer=gc.constant([1, 2, 3]))
        with pytest.raises(ValueError, match="do not specify shape"):
            gc.get_variable("x", [3], initializer=np.zeros(3))
        with pytest.raises(ValueError, match="must be fully defined"):
            gc.get_variable("y")
    got_a, got_b = run(a, b)
    np.testing.assert_array_equal(got_a, np.arange(6.0).reshape(2, 3))
    assert b.dtype == gc.int32 and list(got_b) == [1, 2, 3]


def test_control_dependencies_do_not_reach_the_initializer():
    flag = gc.Variable(0.0, name="flag")
    with gc.control_dependencies([flag.assign(1.0)]):
        w = gc.get_variable("w", [2], initializer=gc.zeros_initializer())
    assert w.initializer.control_inputs == ()
    assert all(not n.control_inputs for n in w.initial_value.node.graph.nodes
               if n.name.startswith("w/Initializer"))


# -- initializers ---------------------------------------------------------------------------------
def test_constant_initializers():
    with gc.variable_scope("init"):
        z = gc.get_variable("z", [2, 3], initializer=gc.zeros_initializer())
        o = gc.get_variable("o", [2], dtype=gc.int32, initializer=gc.ones_initializer())
        c = gc.get_variable("c", [2, 2], initializer=gc.constant_initializer(0.25))
        r = gc.get_variable("r", [2, 3], initializer=gc.constant_initializer([1, 2, 3, 4, 5, 6]))
        p = gc.get_variable("p", [4], initializer=gc.constant_initializer([7, 8]))
        u = gc.get_variable("u", [2], initializer=gc.zeros_initializer)  # class, uncalled
        i = gc.get_variable("i", [3], dtype=gc.int64)  # ints default to zeros
        with pytest.raises(ValueError, match="too many elements"):
            gc.get_variable("bad", [2], initializer=gc.constant_initializer([1, 2, 3]))
    got = run(z, o, c, r, p, u, i)
    np.testing.assert_array_equal(got[0], np.zeros((2, 3), np.float32))
    assert got[1].dtype == np.int32 and list(got[1]) == [1, 1]
    np.testing.assert_array_equal(got[2], np.full((2, 2), 0.25, np.float32))
    np.testing.assert_array_equal(got[3], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(got[4], [7, 8, 8, 8])
    np.testing.assert_array_equal(got[5], [0, 0])
    assert got[6].dtype == np.int64 and list(got[6]) == [0, 0, 0]
    assert z.dtype == gc.float32 and i.dtype == gc.int64


def test_initializers_are_callable_with_shape_and_dtype():
    t = gc.ones_initializer()([2, 2], gc.float64)
    assert t.dtype == gc.float64 and t.shape == (2, 2)
    v = gc.Variable(gc.initializers.constant(3.0)((3,)))
    (got,) = run(v)
    np.testing.assert_array_equal(got, [3.0, 3.0, 3.0])
    with pytest.raises(TypeError, match="floating point"):
        gc.random_normal_initializer()([2], gc.int32)


def test_glorot_uniform_is_the_default_with_its_limit():
    gc.set_random_seed(11)
    fan_in, fan_out = 200, 300
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    default = gc.get_variable("default", [fan_in, fan_out])
    explicit = gc.get_variable("explicit", [fan_in, fan_out],
                               initializer=gc.glorot_uniform_initializer(seed=3))
    for w in run(default, explicit):
        assert w.dtype == np.float32 and w.shape == (fan_in, fan_out)
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit
        assert abs(w.mean()) < 0.01 * limit
        assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.03)


def test_random_initializers_statistics():
    gc.set_random_seed(5)
    shape = [400, 250]
    normal = gc.get_variable("n", shape, initializer=gc.random_normal_initializer(1.0, 2.0))
    uniform = gc.get_variable("u", shape,
                              initializer=gc.random_uniform_initializer(-3.0, 1.0))
    trunc = gc.get_variable("t", shape, initializer=gc.truncated_normal_initializer(0.5, 0.1))
    gnormal = gc.get_variable("g", shape, initializer=gc.glorot_normal_initializer())
    vscale = gc.get_variable("v", shape, initializer=gc.variance_scaling_initializer(
        2.0, "fan_in", "untruncated_normal"))
    n, u, t, g, v = run(normal, uniform, trunc, gnormal, vscale)
    assert n.mean() == pytest.approx(1.0, abs=0.02) and n.std() == pytest.approx(2.0, rel=0.02)
    assert u.min() >= -3.0 and u.max() < 1.0 and u.mean() == pytest.approx(-1.0, abs=0.02)
    assert t.min() >= 0.3 - 1e-6 and t.max() <= 0.7 + 1e-6
    assert t.mean() == pytest.approx(0.5, abs=0.002)
    # glorot normal: a truncated normal whose variance is 2 / (fan_in + fan_out)
    assert g.std() == pytest.approx(math.sqrt(2.0 / 650), rel=0.02)
    assert v.std() == pytest.approx(math.sqrt(2.0 / 400), rel=0.02)


def build_and_draw(graph_seed, op_seed=None):
    graph = gc.Graph()
    with graph.as_default():
        if graph_seed is not None:
            gc.set_random_seed(graph_seed)
        with gc.variable_scope("layer"):
            w = gc.get_variable("w", [4, 3])
            b = gc.get_variable("b", [3], initializer=gc.truncated_normal_initializer(
                stddev=0.1, seed=op_seed))
        with gc.Session(graph) as sess:
            sess.run(gc.global_variables_initializer())
            return sess.run([w, b])


def test_seeded_draws_are_reproducible():
    first, again = build_and_draw(42), build_and_draw(42)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = build_and_draw(43)
    assert not np.array_equal(first[0], other[0])
    # an op seed alone makes that op reproducible
    np.testing.assert_array_equal(build_and_draw(None, 9)[1], build_and_draw(None, 9)[1])


def test_initializers_namespace():
    names = ["zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
             "glorot_uniform", "glorot_normal", "variance_scaling"]
    for name in names:
        assert callable(getattr(gc.initializers, name))
    assert gc.initializers.glorot_uniform is gc.glorot_uniform_initializer
    w = gc.get_variable("w", [2])
    with gc.Session() as sess:
        sess.run(gc.initializers.global_variables())
        assert sess.run(w).shape == (2,)


# -- a TF1-style network on shared variables ------------------------------------------------------
def dense(x, units, name, activation=None):
    with gc.variable_scope(name):
        w = gc.get_variable("kernel", [x.shape[-1], units])
        b = gc.get_variable("bias", [units], initializer=gc.zeros_initializer())
        y = gc.matmul(x, w) + b
        return activation(y) if activation else y


def two_layer(x):
    hidden = dense(x, 16, "hidden", gc.nn.relu)
    return dense(hidden, 1, "out")


def test_a_network_built_twice_on_shared_variables():
    gc.set_random_seed(1)
    x_train = gc.placeholder(gc.float32, (None, 4))
    x_test = gc.placeholder(gc.float32, (None, 4))
    with gc.variable_scope("model"):
        y_train = two_layer(x_train)
    with gc.variable_scope("model", reuse=True):
        y_test = two_layer(x_test)
    assert [v.name for v in gc.trainable_variables()] == [
        "model/hidden/kernel:0", "model/hidden/bias:0", "model/out/kernel:0",
        "model/out/bias:0"]
    data = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    a, b = run(y_train, y_test, feed={x_train: data, x_test: data})
    assert a.shape == (5, 1)
    np.testing.assert_array_equal(a, b)


def test_training_get_variables_with_gradient_descent():
    gc.set_random_seed(2)
    rng = np.random.default_rng(3)
    data = rng.standard_normal((32, 4)).astype(np.float32)
    target = (data @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.3).astype(np.float32)
    x = gc.placeholder(gc.float32, (None, 4))
    y = gc.placeholder(gc.float32, (None, 1))
    with gc.variable_scope("linear"):
        w = gc.get_variable("w", [4, 1])
        b = gc.get_variable("b", [1], initializer=gc.zeros_initializer())
    loss = gc.reduce_mean(gc.square(gc.matmul(x, w) + b - y))
    train_op = gc.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: data, y: target}
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        w0, b0, loss0 = sess.run([w, b, loss], feed_dict=feed)
        sess.run(train_op, feed_dict=feed)
        w1, b1 = sess.run([w, b])
        # one step of TensorFlow's formula, in numpy
        residual = data @ w0 + b0 - target
        np.testing.assert_allclose(w1, w0 - 0.1 * 2 * data.T @ residual / 32, rtol=1e-4,
                                   atol=1e-6)
        np.testing.assert_allclose(b1, b0 - 0.1 * 2 * residual.mean(0), rtol=1e-4, atol=1e-6)
        for _ in range(200):
            sess.run(train_op, feed_dict=feed)
        final = sess.run(loss, feed_dict=feed)
    assert final < 1e-3 * loss0
