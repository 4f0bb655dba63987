"""~, &, | and ^ on tensors (logical on bools, bitwise on eager integers), and PyTorch's
logical_* and bitwise_* functions, against numpy, eagerly and in graphs."""

import operator

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge

A = np.array([True, False, True, False])
B = np.array([True, True, False, False])
BINARY = [("&", operator.and_), ("|", operator.or_), ("^", operator.xor)]


@pytest.mark.parametrize("symbol,op", BINARY)
def test_bool_operators_eager_reflected_and_broadcast(symbol, op):
    a, b = ge.tensor(A), ge.tensor(B)
    out = op(a, b)
    assert out.dtype == gc.bool
    np.testing.assert_array_equal(out.numpy(), op(A, B))
    np.testing.assert_array_equal(op(True, a).numpy(), op(True, A))
    np.testing.assert_array_equal(op(a, False).numpy(), op(A, False))
    column = ge.tensor(A.reshape(4, 1))
    np.testing.assert_array_equal(op(column, b).numpy(), op(A.reshape(4, 1), B))
    np.testing.assert_array_equal((~a).numpy(), ~A)


@pytest.mark.parametrize("symbol,op", BINARY)
def test_bool_operators_in_a_graph(symbol, op):
    graph = gc.Graph()
    with graph.as_default():
        a, b = gc.placeholder(gc.bool, [None]), gc.placeholder(gc.bool, [None])
        outs = [op(a, b), op(True, a), ~a]
    with gc.Session(graph, backend="numpy") as sess:
        got = sess.run(outs, {a: A, b: B})
    for value, expected in zip(got, [op(A, B), op(True, A), ~A]):
        np.testing.assert_array_equal(value, expected)


def test_integer_operators_are_bitwise_eagerly():
    i, j = np.array([5, 3, -2, 0], np.int64), np.array([6, 1, 7, -1], np.int64)
    ti, tj = ge.tensor(i), ge.tensor(j)
    for op in (operator.and_, operator.or_, operator.xor):
        out = op(ti, tj)
        assert out.dtype == gc.int64
        np.testing.assert_array_equal(out.numpy(), op(i, j))
        np.testing.assert_array_equal(op(12, ti).numpy(), op(12, i))
    np.testing.assert_array_equal((~ti).numpy(), ~i)
    np.testing.assert_array_equal(ge.bitwise_not(ti).numpy(), ~i)
    np.testing.assert_array_equal(ti.bitwise_and(tj).numpy(), i & j)
    np.testing.assert_array_equal((ge.tensor(A) & ti).numpy(), A & i)  # (bool with int: int)


def test_masked_fill_with_an_inverted_mask_keeps_gradients():
    scores = ge.tensor(np.arange(4.0), requires_grad=True)
    mask = ge.tensor(A)
    out = scores.masked_fill(~mask, float("-inf")).softmax(0)
    np.testing.assert_array_equal(out.detach().numpy()[~A], 0.0)
    out[0].backward()
    assert not scores.grad.numpy()[~A].any()


def test_logical_functions_take_any_dtype():
    x, y = np.array([0, 2, 0, -1]), np.array([1.0, 0.0, 0.0, 0.5])
    tx, ty = ge.tensor(x), ge.tensor(y)
    for name in ("logical_and", "logical_or", "logical_xor"):
        expected = getattr(np, name)(x, y)
        np.testing.assert_array_equal(getattr(ge, name)(tx, ty).numpy(), expected)
        np.testing.assert_array_equal(getattr(tx, name)(ty).numpy(), expected)
    np.testing.assert_array_equal(ge.logical_not(tx).numpy(), np.logical_not(x))
    np.testing.assert_array_equal(ty.logical_not().numpy(), np.logical_not(y))


def test_errors_name_the_operator_and_dtype():
    with pytest.raises(TypeError, match="unsupported operand dtype for & \\(bitwise_and\\): "
                                        "float32"):
        ge.tensor([1.0]) & ge.tensor([True])
    with pytest.raises(TypeError, match="for ~ \\(bitwise_not\\): float32"):
        ~ge.tensor([1.0])
    graph = gc.Graph()
    with graph.as_default():
        ints = gc.placeholder(gc.int32, [2])
        with pytest.raises(TypeError, match="for \\| on a graph tensor: int32; graph tensors "
                                            "take bool tensors only"):
            ints | 1
