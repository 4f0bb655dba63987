"""Building graphs: names, scopes, sites, operators, type rules and build-time errors."""

import gc as collector
import inspect
import weakref

import numpy as np
import pytest

import graphc as gc


def this_line() -> int:
    return inspect.currentframe().f_back.f_lineno


def test_default_graph_and_as_default():
    g = gc.Graph()
    with g.as_default():
        x = gc.constant(1.0)
        assert gc.get_default_graph() is g
    assert x.graph is g
    assert gc.constant(2.0).graph is not g


def test_reset_default_graph():
    before = gc.get_default_graph()
    gc.reset_default_graph()
    assert gc.get_default_graph() is not before


def test_names_are_unique_and_scoped():
    a = gc.constant(1.0, name="c")
    b = gc.constant(2.0, name="c")
    with gc.name_scope("layer1"):
        c = gc.add(a, b)
        with gc.name_scope("inner"):
            d = gc.exp(c, name="e")
    assert (a.name, b.name) == ("c:0", "c_1:0")
    assert c.name == "layer1/add:0"
    assert d.name == "layer1/inner/e:0"
    assert gc.get_default_graph().get_tensor("layer1/add") == c


def test_every_node_records_the_users_file_and_line():
    x = gc.placeholder(gc.float32, (None, 3)); line = this_line()  # noqa: E702
    assert x.node.site.file == __file__
    assert x.node.site.line == line


def test_tensor_properties():
    x = gc.placeholder(gc.float32, shape=(None, 1000), name="x")
    assert x.shape == (None, 1000)
    assert x.dtype == gc.float32 and x.dtype == np.float32
    assert x.name == "x:0" and x.op.name == "x"
    assert x.graph is gc.get_default_graph()
    assert gc.placeholder(gc.float32).shape is None  # unknown rank


def test_operators_mix_with_scalars_and_numpy_keeping_dtype():
    x = gc.placeholder(gc.float32, (2,))
    exprs = [x + 1, 1 + x, x - 2.5, 2.5 - x, x * 3, 3 * x, x / 2, 2 / x, x ** 2, 2 ** x, -x,
             np.float64(2.0) * x, x + np.array([1.0, 2.0]), np.array([1.0, 2.0]) + x]
    assert all(e.dtype == gc.float32 for e in exprs)
    assert all(c.dtype == gc.bool for c in [x < 1, x <= 1, x > 1, x >= 1, 1 < x])
    m = gc.placeholder(gc.float64, (2, 2))
    assert (m @ np.eye(2)).shape == (2, 2) and (np.eye(2) @ m).dtype == gc.float64
    feed = np.array([1.0, 4.0], np.float32)
    with gc.Session() as sess:
        values = sess.run(exprs[:11], {x: feed})
    expected = [feed + 1, 1 + feed, feed - 2.5, 2.5 - feed, feed * 3, 3 * feed, feed / 2,
                2 / feed, feed ** 2, 2 ** feed, -feed]
    for got, want in zip(values, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert got.dtype == np.float32


def test_matmul_shape_error_names_both_shapes_and_the_line():
    a = gc.placeholder(gc.float32, (None, 1000))
    b = gc.placeholder(gc.float32, (100, 10))
    with pytest.raises(ValueError) as err:
        line = this_line() + 1
        gc.matmul(a, b)
    message = str(err.value)
    assert "matmul" in message and "(None, 1000)" in message and "(100, 10)" in message
    assert f"{__file__}:{line}" in message


def test_broadcast_error_at_build_time():
    with pytest.raises(ValueError, match=r"add.*\(3, 4\) and \(5,\) cannot be broadcast"):
        gc.placeholder(gc.float32, (3, 4)) + gc.placeholder(gc.float32, (5,))


def test_mixing_float32_and_float64_is_an_error():
    a = gc.placeholder(gc.float32, (2,))
    b = gc.placeholder(gc.float64, (2,))
    with pytest.raises(TypeError, match=r"different dtypes: float32\(2,\) and float64\(2,\)"):
        a + b


def test_python_float_with_int_tensor_is_an_error():
    i = gc.placeholder(gc.int32, (2,))
    assert (i + 1).dtype == gc.int32
    with pytest.raises(TypeError, match="cannot use float64 value 2.5 as a int32 operand"):
        i * 2.5


def test_float_only_ops_reject_ints():
    with pytest.raises(TypeError, match="exp.*floating-point tensor, got int32"):
        gc.exp(gc.constant([1, 2]))


def test_reshape_and_transpose_errors():
    x = gc.placeholder(gc.float32, (2, 6))
    assert gc.reshape(x, (3, -1)).shape == (3, 4)
    assert gc.reshape(gc.placeholder(gc.float32, (None, 6)), (-1, 3)).shape == (None, 3)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 6\) \(12 elements\)"):
        gc.reshape(x, (5, 2))
    with pytest.raises(ValueError, match="not a permutation"):
        gc.transpose(x, (0, 0))


def test_reduction_shapes():
    x = gc.placeholder(gc.float32, (None, 3, 4))
    assert gc.reduce_sum(x).shape == ()
    assert gc.reduce_mean(x, axis=1).shape == (None, 4)
    assert gc.reduce_max(x, axis=(0, -1), keepdims=True).shape == (1, 3, 1)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        gc.reduce_sum(x, axis=3)


def test_tensors_have_no_truth_value():
    with pytest.raises(TypeError, match="truth value of graph tensor"):
        bool(gc.constant(1.0) > 0)


def test_inputs_from_another_graph_are_refused():
    a = gc.constant(1.0)
    with gc.Graph().as_default():
        with pytest.raises(ValueError, match="belongs to another graph"):
            gc.add(gc.constant(2.0), a)


def test_nodes_are_frozen():
    node = gc.constant(1.0).node
    with pytest.raises(AttributeError):
        node.op = "exp"
    with pytest.raises(TypeError):
        node.attrs["value"] = 3


def test_group_and_control_dependencies():
    a = gc.constant(1.0)
    b = gc.constant(2.0)
    g = gc.group(a, [b], name="both")
    assert g.control_inputs == (a.node, b.node) and g.types == ()
    with gc.control_dependencies([g]):
        c = gc.identity(a)
    assert c.node.control_inputs == (g,)
    assert gc.no_op().types == ()


def test_a_node_made_from_one_made_inside_control_dependencies_waits_through_it():
    """TensorFlow's rule: a node gets a context's control inputs unless one of its inputs
    was made inside that context (and so already waits for them)."""
    x = gc.constant(1.0)
    first, second = gc.no_op(name="first"), gc.no_op(name="second")
    with gc.control_dependencies([first]):
        a = gc.identity(x)  # made from outside: waits itself
        b = a * x  # made from a: waits through a
        with gc.control_dependencies([second]):
            c = b + 1.0  # the constant 1.0 is made inside both: c waits through it
            d = gc.identity(b)  # made inside the first context only: waits for second
            e = gc.identity(x)
        with gc.control_dependencies(None):
            f = gc.identity(x)
    assert a.node.control_inputs == (first,) and b.node.control_inputs == ()
    assert c.node.control_inputs == () and c.node.inputs[1].node.control_inputs == (first,
                                                                                    second)
    assert d.node.control_inputs == (second,) and e.node.control_inputs == (first, second)
    assert f.node.control_inputs == ()


def test_graphc_variables_keeps_each_graphs_variables_and_they_die_with_it():
    graph = gc.Graph()
    with graph.as_default():
        assert gc.global_variables() == []
        a = gc.Variable(1.0, name="a")
        b = gc.Variable(2.0, name="b", trainable=False)
        assert gc.global_variables() == [a, b] and gc.trainable_variables() == [a]
        assert gc.global_variables_initializer().control_inputs == (a.initializer,
                                                                    b.initializer)
    assert gc.global_variables(graph) == [a, b] and graph.variables == [a, b]
    gc.global_variables(graph).clear()  # a copy
    assert gc.global_variables(graph) == [a, b]
    assert gc.global_variables(gc.Graph()) == [] and gc.Graph().variables == []
    dead = weakref.ref(graph)
    del graph, a, b
    collector.collect()
    assert dead() is None


def test_a_variable_made_in_a_name_scope_has_its_initializer_beside_it():
    with gc.name_scope("s"):
        v = gc.Variable(1.0, name="w")
        with gc.name_scope("t"):
            u = gc.Variable(2.0, name="u")
    assert (v.name, v.initializer.name) == ("s/w:0", "s/w/initializer")
    assert u.initializer.name == "s/t/u/initializer"


def test_a_variable_made_inside_control_dependencies_initializes_without_them():
    """As TensorFlow's: the initial value and initializer wait for nothing, so Adam's slots
    made by minimize() inside batch norm's UPDATE_OPS context initialize on their own."""
    x = gc.placeholder(gc.float64, (None, 2))
    w = gc.Variable(np.ones((2, 1)))
    count = gc.Variable(0.0)
    loss = gc.reduce_sum(gc.square(gc.matmul(x, w)))
    with gc.control_dependencies([count.assign_add(1.0)]):
        plain = gc.Variable(np.zeros(2))
        train = gc.train.AdamOptimizer(0.1).minimize(loss)
    assert plain.initializer.control_inputs == () and plain.initial_value.node.control_inputs == ()
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())  # (needs no feed)
        assert sess.run(count) == 0.0
        sess.run(train, {x: np.ones((3, 2))})
        assert sess.run(count) == 1.0
