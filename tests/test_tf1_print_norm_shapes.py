"""tf.Print and tf.print (what they write, and when), tf.norm against numpy, and shapes made
of tensors while building: constant_value, tf.zeros([tf.shape(x)[0], 16]), resize sizes."""

import sys

import numpy as np
import pytest

import graphc as tf
from graphc.ops.shape import constant_value

BACKENDS = ["numpy", "numba"]


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_writes_message_and_summarized_values_to_stderr(backend, capsys):
    x = tf.placeholder(tf.float32, [None])
    m = tf.constant(np.arange(1, 7, dtype=np.int32).reshape(2, 3))
    y = tf.Print(x * 2, [x, tf.shape(x), m], message="vals: ")
    z = tf.Print(y + 1, [m, tf.constant(1 / 3, tf.float64)], summarize=4)
    with tf.Session(backend=backend) as sess:
        got = sess.run(z, {x: np.array([1, 2, 3, 4, 0.5], np.float32)})
    np.testing.assert_allclose(got, [3, 5, 7, 9, 2])
    assert capsys.readouterr().err == ("vals: [1 2 3...][5][[1 2 3]...]\n"
                                       "[[1 2 3][4...]...][0.33333333333333331]\n")


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_first_n_limits_the_runs_that_print(backend, capsys):
    x = tf.placeholder(tf.float32, [2])
    y = tf.reduce_sum(tf.Print(x, [x], "x=", first_n=2))
    with tf.Session(backend=backend) as sess:
        for i in range(4):
            assert sess.run(y, {x: [i, 0.1]}) == pytest.approx(i + 0.1)
    assert capsys.readouterr().err == "x=[0 0.1]\nx=[1 0.1]\n"


def test_print_passes_its_input_and_its_gradient_through(capsys):
    x = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(tf.square(tf.Print(x, [x], "x: ")))
    (g,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g, {x: [1.0, 2.0, -1.0]}), [2.0, 4.0, -2.0])
    assert capsys.readouterr().err == "x: [1 2 -1]\n"  # the forward ran once


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_of_constants_is_not_folded_away(backend, capsys):
    c = tf.constant([1.5, 2.0])
    y = tf.Print(c, [c], "c ") * 2
    with tf.Session(backend=backend) as sess:
        sess.run(y)
        sess.run(y)
    assert capsys.readouterr().err == "c [1.5 2]\nc [1.5 2]\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_tf_print_is_an_op_that_prints_when_it_runs(backend, capsys):
    x = tf.placeholder(tf.int32, [2, 3])
    op = tf.print("x:", x, tf.range(10), sep="|")
    with tf.control_dependencies([tf.print("sum", tf.reduce_sum(x), output_stream=sys.stdout,
                                           end="!\n")]):
        total = tf.identity(tf.reduce_sum(x))
    with tf.Session(backend=backend) as sess:
        assert sess.run(op, {x: np.arange(6).reshape(2, 3)}) is None
        assert sess.run(total, {x: np.ones((2, 3), np.int32)}) == 6
    out = capsys.readouterr()
    assert out.err == "x:|[[0 1 2]\n [3 4 5]]|[0 1 2 ... 7 8 9]\n"
    assert out.out == "sum 6!\n"


def _norm_cases():
    return [("euclidean", None), (2, 1), (1, 0), (np.inf, -1), (3, 1), ("fro", (0, 1)),
            (1, (0, 1)), (np.inf, (0, 1)), (1, (1, 0)), ("euclidean", (1, 2))]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ord_, axis", _norm_cases())
def test_norm_matches_numpy(ord_, axis, keepdims):
    a = np.random.default_rng(0).standard_normal((3, 4, 2)) if axis == (1, 2) else \
        np.random.default_rng(0).standard_normal((3, 4))
    x = tf.placeholder(tf.float64, [None] * a.ndim)
    n = tf.norm(x, ord=ord_, axis=axis, keepdims=keepdims)
    np_ord = None if ord_ == "euclidean" and axis is None else \
        "fro" if ord_ == "euclidean" else ord_
    expected = np.linalg.norm(a.ravel() if axis is None else a, np_ord, axis, keepdims)
    if axis is None and keepdims:
        expected = np.reshape(expected, (1,) * a.ndim)
    with tf.Session() as sess:
        got = sess.run(n, {x: a})
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.shape(got) == np.shape(expected)


@pytest.mark.parametrize("ord_, axis", [("euclidean", None), (1, 1), (np.inf, 1), (3, 0),
                                        ("fro", (0, 1)), (1, (0, 1)), (np.inf, (0, 1))])
def test_norm_gradient_matches_finite_differences(ord_, axis):
    a = np.array([[0.3, -1.2, 0.7], [2.0, 0.5, -0.4]])
    x = tf.placeholder(tf.float64, [2, 3])
    n = tf.reduce_sum(tf.linalg.norm(x, ord_, axis))
    (g,) = tf.gradients(n, [x])
    with tf.Session() as sess:
        got = sess.run(g, {x: a})
        h, numeric = 1e-6, np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[i] += h
            down[i] -= h
            numeric[i] = (sess.run(n, {x: up}) - sess.run(n, {x: down})) / (2 * h)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_norm_euclidean_gradient_at_zero_is_nan_and_refusals():
    x = tf.placeholder(tf.float32, [3])
    (g,) = tf.gradients(tf.norm(x), [x])
    with tf.Session() as sess:
        assert np.isnan(sess.run(g, {x: np.zeros(3)})).all()  # (as TensorFlow's)
    with pytest.raises(ValueError, match="ord=2 over a pair"):
        tf.norm(tf.zeros([2, 2]), ord=2, axis=[0, 1])
    with pytest.raises(ValueError, match="supported vector norm"):
        tf.norm(x, ord=-1)


def test_constant_value_folds_shapes_known_while_building():
    x = tf.placeholder(tf.float32, [None, 4, 6])
    s = tf.shape(x)
    assert constant_value(s) is None and constant_value(s[0]) is None
    assert constant_value(s[1]) == 4
    np.testing.assert_array_equal(constant_value(s[1:3] * 2), [8, 12])
    np.testing.assert_array_equal(constant_value(tf.stack([s[2], 16])), [6, 16])
    assert constant_value(tf.cast(s[-1], tf.float32) / 4) == pytest.approx(1.5)
    np.testing.assert_array_equal(constant_value(tf.shape(tf.zeros([2, 3]))), [2, 3])
    assert constant_value(tf.constant(5) + 1) == 6
    assert constant_value(x) is None and constant_value(s[:2]) is None
    assert tf.get_static_value is constant_value
    assert tf.zeros([s[1], 16]).shape == (4, 16)
    assert tf.ones(tf.stack([s[2], 2])).shape == (6, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zeros_with_a_batch_known_only_at_run_time(backend):
    x = tf.placeholder(tf.float32, [5, None, 3])
    z = tf.zeros([tf.shape(x)[1], 16])
    o = tf.ones(tf.stack([2, tf.shape(x)[-1], tf.shape(x)[1]]), tf.int32)
    f = tf.fill([tf.shape(x)[1], 2], True)
    assert z.shape == (None, 16) and o.shape == (2, 3, None) and f.dtype == tf.bool
    with tf.Session(backend=backend) as sess:
        for batch in (4, 0):
            zv, ov, fv = sess.run([z, o, f], {x: np.ones((5, batch, 3), np.float32)})
            np.testing.assert_array_equal(zv, np.zeros((batch, 16), np.float32))
            np.testing.assert_array_equal(ov, np.ones((2, 3, batch), np.int32))
            np.testing.assert_array_equal(fv, np.full((batch, 2), True))
            assert zv.dtype == np.float32 and ov.dtype == np.int32


def test_a_shape_computed_at_run_time_is_still_refused():
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(TypeError, match="holds a tensor"):
        tf.zeros([tf.reduce_sum(tf.cast(x, tf.int32)), 2])


def test_resize_takes_a_size_known_while_building():
    c = tf.placeholder(tf.float32, [None, 4, 5, 2])
    up = tf.image.resize_nearest_neighbor(c, tf.shape(c)[1:3] * 2)
    assert up.shape == (None, 8, 10, 2)
    with pytest.raises(ValueError, match="size must be known while building"):
        tf.image.resize_nearest_neighbor(c, tf.shape(c)[0:2])
    a = np.random.default_rng(0).standard_normal((1, 4, 5, 2)).astype(np.float32)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(up, {c: a}), a.repeat(2, 1).repeat(2, 2))


def test_print_and_tf_print_write_at_once_on_eager_tensors(capsys):
    import graphc.eager as ge

    x = ge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = tf.Print(x, [x], message="x: ")
    (y * 2.0).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]  # (the gradient passes through)
    assert tf.print("x is", x) is None
    assert capsys.readouterr().err == "x: [1 2 3]\nx is [1 2 3]\n"


def test_a_print_never_writes_a_file(tmp_path):
    """A graph holds no file names: tf.print refuses TensorFlow's 'file://' stream, and a
    print node that names one (as a hostile graph file could) fails its run, writing
    nothing."""
    from graphc.ops.core import apply
    from graphc.ops.debug import PRINT

    target = tmp_path / "planted"
    with pytest.raises(ValueError, match="output_stream must be sys.stderr or sys.stdout"):
        tf.print("x", output_stream=f"file://{target}")
    with tf.Graph().as_default():
        hostile = apply(PRINT, tf.constant(1), name="p", parts=("text",), style="v2",
                        summarize=3, first_n=-1, stream=f"file://{target}", sep=" ",
                        end="\n", key=-7)
        with tf.Session(backend="numpy") as sess, \
                pytest.raises(tf.InvalidArgumentError, match="writes to stderr or stdout"):
            sess.run(hostile)
    assert not target.exists()
