"""gc.slice (TensorFlow's tf.slice) against numpy's slicing, in graphs and eagerly, with its
gradient and its errors."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4)


@pytest.mark.parametrize("begin,size,expected", [
    ([0, 1, 0], [1, 2, 4], X[0:1, 1:3, 0:4]),
    ([1, 0, 2], [-1, -1, -1], X[1:, 0:, 2:]),
    ([0, 0, 0], [2, 3, 4], X),
    ([1, 2, 3], [1, 1, 1], X[1:2, 2:3, 3:4]),
    ([0, 3, 0], [2, 0, 4], X[:, 3:3, :]),  # an empty block
])
@pytest.mark.parametrize("batch", [2, None], ids=["known", "unknown batch"])
def test_slice_is_numpys_block(begin, size, expected, batch):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (batch, 3, 4))
        y = gc.slice(x, begin, size)
    with gc.Session(graph) as sess:
        got = sess.run(y, {x: X})
    np.testing.assert_array_equal(got, expected)  # exact: a copy of the same elements
    np.testing.assert_array_equal(gc.slice(ge.tensor(X), begin, size).numpy(), expected)


def test_the_gradient_scatters_back_into_the_block():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2, 3, 4))
        (grad,) = gc.gradients(gc.reduce_sum(gc.slice(x, [0, 1, 1], [2, 1, 2]) * 3.0), [x])
    with gc.Session(graph) as sess:
        got = sess.run(grad, {x: X})
    expected = np.zeros_like(X)
    expected[0:2, 1:2, 1:3] = 3.0
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("begin,size,words", [
    ([0, 0], [1, 1], "must have one entry per dimension of the input, shape (2, 3, 4)"),
    ([0, 0, 0], [1, 1], "must have one entry per dimension"),
    ([0, 2, 0], [1, 2, 4], "begin 2 and size 2 do not fit dimension 1 of shape (2, 3, 4)"),
    ([0, -1, 0], [1, 1, 1], "begin -1 and size 1 do not fit dimension 1"),
    ([0, 0, 0], [1, -2, 1], "begin 0 and size -2 do not fit dimension 1"),
])
def test_a_block_that_does_not_fit_is_refused_while_building(begin, size, words):
    x = gc.placeholder(gc.float64, (2, 3, 4))
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        gc.slice(x, begin, size)


def test_begin_and_size_must_be_known_while_building():
    x = gc.placeholder(gc.float64, (2, 3, 4))
    with pytest.raises(TypeError, match="slice: begin must be a list of ints known while "
                                        "building, not a tensor"):
        gc.slice(x, gc.constant([0, 0, 0]), [1, 1, 1])
    with pytest.raises(TypeError):
        gc.slice(x, [0.5, 0, 0], [1, 1, 1])


# indexing a tensor whose batch dimension is unknown keeps every dimension it can know: the
# static shape is numpy's result shape with the unknown dimension kept unknown
@pytest.mark.parametrize("index,static", [
    ((slice(None), slice(None, 2)), (None, 2, 4)),
    ((slice(None), -1), (None, 4)),
    (0, (3, 4)),
    ((Ellipsis, None), (None, 3, 4, 1)),
    ((slice(1, None),), (None, 3, 4)),
    ((None, slice(None), slice(1, 3), 0), (1, None, 2)),
    ((Ellipsis, 2), (None, 3)),
    ((0, Ellipsis, slice(None, None, 2)), (3, 2)),
    (np.array([0, 1]), None),  # an array index (numpy's advanced indexing): rank unknown
])
def test_indexing_an_unknown_batch_keeps_the_static_shape(index, static):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 3, 4))
        y = x[index]
        spelled = gc.reduce_sum(y * 2.0)
    assert y.shape == static
    with gc.Session(graph) as sess:
        got, total = sess.run([y, spelled], {x: X})
    np.testing.assert_array_equal(got, X[index])
    assert total == 2.0 * X[index].sum()


def test_the_static_shape_lets_tf1_layers_follow_a_slice():
    graph = gc.Graph()
    with graph.as_default():
        data = gc.placeholder(gc.float64, (None, 5))
        features, labels = data[:, 1:], data[:, 0]
        assert features.shape == (None, 4) and labels.shape == (None,)
        predicted = gc.layers.dense(features, 1, kernel_initializer=gc.ones_initializer())
        loss = gc.reduce_mean(gc.square(gc.squeeze(predicted, 1) - labels))
        init = gc.global_variables_initializer()
    rows = np.arange(15, dtype=np.float64).reshape(3, 5)
    with gc.Session(graph) as sess:
        sess.run(init)
        got = sess.run(loss, {data: rows})
    assert got == pytest.approx(np.mean((rows[:, 1:].sum(1) - rows[:, 0]) ** 2), rel=1e-12)


@pytest.mark.parametrize("index,words", [
    ((slice(None), 4), "index 4 is out of bounds for a dimension of size 3"),
    ((0, 1, 2, 3), "too many indices"),
    ((slice("a", None),), "a slice's bounds are ints or None"),
    ((slice(None, 2.5),), "a slice's bounds are ints or None"),
    ((slice(None, None, True),), "a slice's bounds are ints or None"),
    ((slice(None, None, 0),), "slice step cannot be zero"),
])
def test_an_index_that_cannot_fit_is_refused_while_building(index, words):
    with gc.Graph().as_default():
        x = gc.placeholder(gc.float64, (None, 3, 4))
        with pytest.raises(ValueError, match=words):
            x[index]
