"""One record per registered op: how to build it, its inputs, and an independent numpy
expression of what it computes. test_op_table.py checks every record several ways."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import graphc as gc
from graphc.ops.array import EXPAND_DIMS, SPLIT_PAD, SQUEEZE, scatter_add, tile_sum
from graphc.ops.constant import FILL_LIKE
from graphc.ops import conv, pool
from graphc.ops import adaptive_pool, resize
from graphc.ops.core import apply
from graphc.ops.fused import FUSED_ELEMENTWISE, FUSED_REDUCTION, MATMUL_ADD, MATMUL_EPILOGUE
from graphc.ops.index import index_add, setitem
from graphc.ops.pad import PAD_GRAD, pad_op
from graphc.ops.reduce import REDUCTION_COUNT
from graphc.ops.shape import SHAPE_OF
from graphc.ops.shape import broadcast_like, reshape_like, sum_to
from graphc.ops.sort import ARGSORT, scatter_along_axis, take_along_axis
from tests.ops import conv_reference as cr
from tests.ops import resample_reference as rr

rng = np.random.default_rng(1234)


def normal(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def away_from_zero(*shape: int) -> np.ndarray:
    """Values with |v| >= 0.2, so kinks (abs, relu, sign) are far from the FD stencil."""
    v = rng.uniform(0.2, 2.0, shape)
    return v * rng.choice([-1.0, 1.0], shape)


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def off_integers(*shape: int) -> np.ndarray:
    """Values at least 0.1 from any integer and any half-integer (floor and round are steps
    there), of either sign."""
    whole = rng.integers(-4, 4, shape)
    return whole + rng.choice([0.15, 0.3, 0.7, 0.85], shape) + rng.uniform(-0.04, 0.04, shape)


def distinct(*shape: int) -> np.ndarray:
    """A shuffled grid with gaps of 0.1: no ties, so max/min/compare are smooth nearby."""
    n = int(np.prod(shape))
    return rng.permutation(np.arange(n) * 0.1 - n * 0.05).reshape(shape)


@dataclass
class Case:
    op: str                        # registry name this record exercises
    build: Callable[..., Any]      # graph tensors -> output tensor
    inputs: list[np.ndarray]
    expect: Callable[..., Any]     # numpy arrays -> expected output, written independently
    differentiable: bool = True    # compare gradients with finite differences
    id: str = ""
    float_inputs: list[int] = field(default_factory=list)  # computed in __post_init__

    def __post_init__(self) -> None:
        self.id = self.id or self.op
        self.float_inputs = [i for i, a in enumerate(self.inputs) if a.dtype.kind == "f"]


@gc.custom_gradient
def log1pexp(x):
    """log(1 + e^x) with its gradient written by hand, as a @custom_gradient function."""
    e = gc.exp(x)
    return gc.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))


def _loop_reference(x, w, trips=3):
    for _ in range(trips):
        x = np.tanh(x * w)
    return x


def _fused_example(dtype):
    """a * sigmoid(b) - square(relu(c)), as the elementwise fusion pass writes it."""
    def op(name, *operands):
        return (name, dtype, *operands)
    a, b, c = (("input", i) for i in range(3))
    return op("subtract", op("multiply", a, op("sigmoid", b)), op("square", op("relu", c)))


def _epilogue(kind, dtype):
    """Epilogues as the epilogue fusion pass writes them: input 0 is the product."""
    def op(name, *operands, out=dtype):
        return (name, out, *operands)
    p, x, y = (("input", i) for i in range(3))
    return {"relu": op("relu", p),
            "bias_relu": op("relu", op("add", p, x)),
            "mask": op("where", op("greater", x, y, out="bool"), p, y),
            "momentum": op("add", op("multiply", x, y), p)}[kind]


def _epilogue_case(kind, inputs, expect, transpose_a=False, transpose_b=False):
    return Case("matmul_epilogue", lambda a, b, *extra: apply(
        MATMUL_EPILOGUE, a, b, *extra, transpose_a=transpose_a, transpose_b=transpose_b,
        expression=_epilogue(kind, a.dtype.name)), inputs, expect, False,
        id=f"matmul_epilogue-{kind}")


def _reduction_case(reduction, expression, inputs, expect, axis=None, keepdims=False, name=""):
    """A fused_reduction of an expression (over input dtype names) as the reduction fusion
    pass writes it; axis as the reductions normalize it (sorted, None for all)."""
    def build(*xs):
        name = xs[0].dtype.name
        def op(op_name, *operands):
            return (op_name, name, *operands)
        return apply(FUSED_REDUCTION, *xs, reduction=reduction, axis=axis, keepdims=keepdims,
                     expression=expression(op, *(("input", i) for i in range(len(xs)))))
    return Case("fused_reduction", build, inputs, expect, False, id=f"fused_reduction-{name}")


def _relu(x):
    return np.where(x > 0, x, 0.0)


def _erf_series(x):
    """erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)): terms of
    one sign, so no cancellation; 200 of them converge to float64 rounding for |x| < 6."""
    term = total = x
    for n in range(1, 200):
        term = term * (2 * x * x) / (2 * n + 1)
        total = total + term
    return 2 / np.sqrt(np.pi) * np.exp(-x * x) * total


CASES = [
    Case("negative", gc.negative, [normal(3, 4)], lambda x: -x),
    Case("square", gc.square, [normal(3, 4)], lambda x: x * x),
    Case("sqrt", gc.sqrt, [positive(3, 4)], lambda x: x ** 0.5),
    Case("exp", gc.exp, [normal(3, 4)], lambda x: np.e ** x),
    Case("log", gc.log, [positive(3, 4)], np.log),
    Case("tanh", gc.tanh, [normal(3, 4)], lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1)),
    Case("sin", gc.sin, [normal(3, 4)], lambda x: np.cos(x - np.pi / 2)),
    Case("cos", gc.cos, [normal(3, 4)], lambda x: np.sin(x + np.pi / 2)),
    Case("erf", gc.erf, [normal(3, 4)], _erf_series),
    Case("sigmoid", gc.sigmoid, [normal(3, 4)], lambda x: 1 / (1 + np.exp(-x))),
    Case("abs", gc.abs, [away_from_zero(3, 4)], lambda x: np.where(x < 0, -x, x)),
    Case("sign", gc.sign, [away_from_zero(3, 4)], lambda x: (x > 0) * 1.0 - (x < 0) * 1.0),
    Case("relu", gc.relu, [away_from_zero(3, 4)], _relu),
    Case("add", gc.add, [normal(3, 4), normal(4)], lambda a, b: a + b),
    Case("add", lambda a, b: a + b, [normal(2, 1, 4), normal(3, 1)], lambda a, b: a + b,
         id="add-both-broadcast"),
    Case("subtract", gc.subtract, [normal(3, 1), normal(1, 4)], lambda a, b: a - b),
    Case("multiply", gc.multiply, [normal(2, 3, 4), normal(3, 1)], lambda a, b: a * b),
    Case("divide", gc.divide, [normal(3, 4), positive(4)], lambda a, b: a / b),
    Case("pow", gc.pow, [positive(3, 4), normal(4)], lambda a, b: np.exp(b * np.log(a))),
    Case("pow", lambda a: a ** 2, [normal(3, 4)], lambda a: a * a, id="pow-constant-2"),
    Case("pow", lambda a: a.pow(3.0), [normal(3, 4)], lambda a: a * a * a, id="pow-constant-3"),
    Case("maximum", gc.maximum, [distinct(3, 4), distinct(3, 4) + 0.05], np.fmax),
    Case("minimum", gc.minimum, [distinct(3, 4), distinct(4) + 0.05], np.fmin),
    Case("greater", gc.greater, [distinct(3, 4), distinct(4)], lambda a, b: a > b, False),
    Case("greater_equal", gc.greater_equal, [distinct(3, 4), distinct(3, 4)],
         lambda a, b: a >= b, False),
    Case("less", gc.less, [distinct(3, 4), distinct(3, 1)], lambda a, b: a < b, False),
    Case("less_equal", gc.less_equal, [distinct(3, 4), distinct(4)], lambda a, b: a <= b, False),
    Case("equal", gc.equal, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])],
         lambda a, b: a == b, False),
    Case("not_equal", gc.not_equal, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])],
         lambda a, b: a != b, False),
    Case("floor", gc.floor, [off_integers(3, 4)], lambda x: np.ceil(x) - 1),
    Case("round", gc.round, [off_integers(3, 4)], lambda x: np.trunc(x + np.copysign(0.5, x))),
    Case("floordiv", gc.floordiv, [normal(3, 4) * 4, away_from_zero(4)],
         lambda a, b: np.floor(a / b)),
    Case("floordiv", lambda a, b: a // b, [np.array([7, -7, 7, -7, 0, 9]),
                                           np.array([2, 2, -2, -2, 3, 0])],
         lambda a, b: np.array([3, -4, -4, 3, 0, 0]), False, id="floordiv-int"),
    Case("floormod", gc.floormod, [normal(3, 4) * 4, away_from_zero(3, 1)],
         lambda a, b: a - np.floor(a / b) * b),
    Case("floormod", lambda a, b: a % b, [np.array([7, -7, 7, -7, 0, 9]),
                                          np.array([2, 2, -2, -2, 3, 0])],
         lambda a, b: np.array([1, 1, -1, -1, 0, 0]), False, id="floormod-int"),
    Case("where", gc.where, [normal(3, 4) > 0, normal(3, 4), normal(4)],
         lambda c, a, b: c * a + ~c * b),
    Case("cast", lambda x: gc.cast(x, gc.float64), [normal(3, 4)], lambda x: x, id="cast-same"),
    Case("cast", lambda x: gc.cast(x, gc.int32), [normal(3, 4) * 5],
         lambda x: np.trunc(x).astype(np.int32), False, id="cast-to-int"),
    Case("matmul", gc.matmul, [normal(3, 4), normal(4, 5)], lambda a, b: a.dot(b)),
    Case("matmul", lambda a, b: gc.matmul(a, b, transpose_a=True), [normal(4, 3), normal(4, 5)],
         lambda a, b: a.T.dot(b), id="matmul-ta"),
    Case("matmul", lambda a, b: gc.matmul(a, b, transpose_b=True), [normal(3, 4), normal(5, 4)],
         lambda a, b: a.dot(b.T), id="matmul-tb"),
    Case("matmul", lambda a, b: gc.matmul(a, b, True, True), [normal(4, 3), normal(5, 4)],
         lambda a, b: a.T.dot(b.T), id="matmul-ta-tb"),
    _epilogue_case("relu", [away_from_zero(3, 4), away_from_zero(5, 4)],
                   lambda a, b: _relu(a.dot(b.T)), transpose_b=True),
    _epilogue_case("bias_relu", [normal(3, 4), normal(4, 5), normal(5)],
                   lambda a, b, c: _relu(a.dot(b) + c)),
    _epilogue_case("mask", [normal(4, 3), normal(4, 5), away_from_zero(3, 5), np.array(0.0)],
                   lambda a, b, m, z: np.where(m > z, a.T.dot(b), z), transpose_a=True),
    _epilogue_case("momentum", [normal(3, 4), normal(5, 4), normal(3, 5), np.array(0.9)],
                   lambda a, b, v, mu: v * mu + a.dot(b.T), transpose_b=True),
    Case("matmul_add", lambda a, b, c, s, beta: apply(
        MATMUL_ADD, a, b, c, s, beta, transpose_a=True, transpose_b=False, subtract=True),
         [normal(4, 3), normal(4, 5), normal(3, 5), np.array(0.7), np.array(1.0)],
         lambda a, b, c, s, beta: beta * c - s * a.T.dot(b)),
    Case("matmul_add", lambda a, b, c, s, beta: apply(
        MATMUL_ADD, a, b, c, s, beta, transpose_a=False, transpose_b=True, subtract=False),
         [normal(3, 4), normal(5, 4), normal(3, 5), np.array(-1.5), np.array(0.9)],
         lambda a, b, c, s, beta: beta * c + s * a.dot(b.T), id="matmul_add-momentum"),
    Case("fused_elementwise", lambda a, b, c: apply(
        FUSED_ELEMENTWISE, a, b, c, expression=_fused_example(a.dtype.name)),
         [normal(3, 4), normal(4), normal(3, 1)],
         lambda a, b, c: a * (1 / (1 + np.exp(-b))) - np.where(c > 0, c, 0) ** 2, False),
    # a sum over every axis of inputs that broadcast; a row mean with a scalar beside the
    # arrays; a row sum reading one value a row (logsumexp's); a max over an axis that is
    # not the last (each backend reads it transposed)
    _reduction_case("reduce_sum", lambda op, a, b, c: op(
        "subtract", op("multiply", a, op("sigmoid", b)), op("square", op("relu", c))),
        [normal(3, 4), normal(4), normal(3, 1)],
        lambda a, b, c: (a * (1 / (1 + np.exp(-b))) - np.where(c > 0, c, 0) ** 2).sum(),
        name="sum-broadcast"),
    _reduction_case("reduce_mean", lambda op, a, b, s: op(
        "multiply", op("square", op("subtract", a, b)), s),
        [normal(2, 3, 4), normal(2, 3, 4), np.array(0.5)],
        lambda a, b, s: ((a - b) * (a - b) * s).sum(axis=2, keepdims=True) / 4,
        axis=(2,), keepdims=True, name="mean-rows-keep"),
    _reduction_case("reduce_sum", lambda op, a, m: op("exp", op("subtract", a, m)),
                    [normal(2, 3, 4), normal(2, 3, 1)],
                    lambda a, m: (np.e ** (a - m)).sum(axis=2), axis=(2,),
                    name="sum-rows-of-one-value-a-row"),
    _reduction_case("reduce_max", lambda op, a, b: op("add", op("exp", a), b),
                    [distinct(2, 3, 4), distinct(2, 3, 4)],
                    lambda a, b: np.max(np.e ** a + b, axis=1), axis=(1,), name="max-middle"),
    Case("reduce_sum", gc.reduce_sum, [normal(3, 4)], lambda x: x.sum()),
    Case("reduce_sum", lambda x: gc.reduce_sum(x, axis=(0, 2), keepdims=True),
         [normal(2, 3, 4)], lambda x: x.sum(axis=(0, 2), keepdims=True), id="reduce_sum-keep"),
    Case("reduce_sum", lambda x: gc.reduce_sum(x, axis=0), [normal(3, 4)],
         lambda x: x.sum(axis=0), id="reduce_sum-leading"),
    Case("reduce_mean", lambda x: gc.reduce_mean(x, axis=(1, 0), keepdims=True),
         [normal(2, 3, 4)], lambda x: x.sum(axis=(0, 1), keepdims=True) / 6,
         id="reduce_mean-leading-keep"),
    Case("reduce_mean", lambda x: gc.reduce_mean(x, axis=1), [normal(3, 4)],
         lambda x: x.sum(axis=1) / 4),
    Case("reduce_mean", lambda x: gc.reduce_mean(x, axis=-1, keepdims=True), [normal(2, 5)],
         lambda x: x.sum(axis=-1, keepdims=True) / 5, id="reduce_mean-keep"),
    Case("reduce_max", lambda x: gc.reduce_max(x, axis=0), [distinct(3, 4)],
         lambda x: np.sort(x, axis=0)[-1]),
    Case("reduce_max", gc.reduce_max, [distinct(2, 3)], lambda x: np.sort(x.ravel())[-1],
         id="reduce_max-all"),
    Case("reduction_count", lambda x: apply(REDUCTION_COUNT, x, axis=(0,)), [normal(4, 3)],
         lambda x: np.asarray(len(x), x.dtype), False),
    Case("shape_of", lambda x: apply(SHAPE_OF, x, dtype=gc.int32), [normal(4, 3)],
         lambda x: np.array(x.shape, np.int32), False),
    Case("transpose", gc.transpose, [normal(3, 4)], lambda x: x.T),
    Case("transpose", lambda x: gc.transpose(x, (1, 2, 0)), [normal(2, 3, 4)],
         lambda x: np.moveaxis(x, 0, -1), id="transpose-perm"),
    Case("reshape", lambda x: gc.reshape(x, (3, -1)), [normal(2, 6)],
         lambda x: x.ravel().reshape(3, 4)),
    Case("check_numerics", lambda x: gc.check_numerics(x, "x is finite"), [normal(3)],
         lambda x: x),
    Case("print", lambda x: gc.Print(x, [x], "x: ", first_n=1), [normal(3)], lambda x: x),
    Case("identity", gc.identity, [normal(3)], lambda x: x),
    Case("stop_gradient", gc.stop_gradient, [normal(3)], lambda x: x, False),
    # (gc.zeros_like of a fully known shape is a fill, as in TensorFlow: the op itself)
    Case("fill_like", lambda x: apply(FILL_LIKE, x, value=0.0, dtype=x.dtype), [normal(3, 2)],
         lambda x: x * 0, False),
    Case("fill_like", lambda x: apply(FILL_LIKE, x, value=1, dtype=gc.int32), [normal(3, 2)],
         lambda x: np.ones(x.shape, np.int32), False, id="fill_like-int"),
    Case("broadcast_like", lambda x, like: broadcast_like(x, like), [normal(3, 1), normal(2, 3, 4)],
         lambda x, like: x + 0 * like),
    Case("broadcast_like", lambda x, like: broadcast_like(x, like, (1,)), [normal(2, 4),
         normal(2, 3, 4)], lambda x, like: x[:, None, :] + 0 * like, id="broadcast_like-axes"),
    Case("sum_to", lambda x, like: sum_to(x, like), [normal(2, 3, 4), normal(3, 1)],
         lambda x, like: x.sum(axis=0).sum(axis=1, keepdims=True)),
    Case("sum_to", lambda x, like: sum_to(x, like), [normal(3, 4), normal(1, 4)],
         lambda x, like: x.sum(axis=0, keepdims=True), id="sum_to-rows"),
    Case("sum_to", lambda x, like: sum_to(x, like), [normal(2, 3, 4), normal(2, 1, 1)],
         lambda x, like: x.sum(axis=(1, 2), keepdims=True), id="sum_to-blocks"),
    Case("sum_to", lambda x, like: sum_to(x, like), [normal(2, 3, 4), normal(2, 1, 4)],
         lambda x, like: x.sum(axis=1, keepdims=True), id="sum_to-middle"),
    Case("getitem", lambda x: x[1:, 0], [normal(3, 4)], lambda x: x[1:, 0]),
    Case("getitem", lambda x: gc.getitem(x, (np.array([0, 0, 2]), slice(None, None, -1))),
         [normal(3, 2)], lambda x: x[[0, 0, 2], ::-1], id="getitem-repeated"),
    Case("setitem", lambda x, v: setitem(x, v, (slice(None), 1)), [normal(3, 4), normal(3)],
         lambda x, v: np.concatenate([x[:, :1], v[:, None], x[:, 2:]], axis=1)),
    Case("index_add", lambda x, v: index_add(x, v, np.array([0, 0, 2])), [normal(3, 2),
         normal(3, 2)], lambda x, v: x + np.array([[1, 1, 0], [0, 0, 0], [0, 0, 1]]) @ v),
    Case("custom_gradient", log1pexp, [normal(4)], lambda x: np.log(1 + np.exp(x))),
    Case("cond", lambda x, w: gc.cond(gc.reduce_sum(x) > 0, lambda: x * w, lambda: gc.exp(x)),
         [positive(3), normal(3)], lambda x, w: x * w),
    Case("cond", lambda x, w: gc.cond(gc.reduce_sum(x) > 0, lambda: x * w, lambda: gc.exp(x)),
         [-positive(3), normal(3)], lambda x, w: np.exp(x), id="cond-false"),
    Case("while_loop", lambda x, w: gc.while_loop(
        lambda i, h: i < 3, lambda i, h: (i + 1, gc.tanh(h * w)), [0, x])[1],
         [normal(3), normal(3)], _loop_reference),
    Case("reshape_like", lambda x, like: reshape_like(x, like), [normal(2, 6), normal(4, 3)],
         lambda x, like: x.ravel().reshape(4, 3)),
]


# -- TensorFlow 1's array ops and reductions (ops/reduce.py, ops/array.py) -------------------
def _first_index(rows, better):
    """For each row (a list of numbers), the index of its first best element, by hand."""
    out = []
    for row in rows:
        best = 0
        for j, v in enumerate(row):
            if better(v, row[best]):
                best = j
        out.append(best)
    return np.array(out, np.int64)


def _product(values):
    total = 1.0
    for v in values:
        total = total * v
    return total


def _with_zeros():
    """A matrix whose rows hold no zero, one zero and two zeros: every branch of
    reduce_prod's gradient (the product is a polynomial, smooth for finite differences)."""
    x = away_from_zero(3, 4)
    x[1, 2] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    return x


def _both_halves(a, b):
    return a * gc.sin(b)


def _hot(indices, depth, axis=-1):
    """indices one-hot along a new axis, by comparison with each class in turn."""
    planes = [(indices == c) * 1.0 for c in range(depth)]
    return np.stack(planes, axis=axis).astype(np.float32)


CASES += [
    Case("argmax", lambda x: gc.argmax(x, 1), [distinct(3, 4)],
         lambda x: _first_index(x.tolist(), lambda a, b: a > b), False),
    Case("argmax", lambda x: gc.argmax(x, axis=0, output_type=gc.int32), [distinct(2, 3, 4)],
         lambda x: _first_index(x.reshape(2, 12).T.tolist(), lambda a, b: a > b)
         .astype(np.int32).reshape(3, 4), False, id="argmax-leading-int32"),
    Case("argmin", lambda x: gc.argmin(x, -1), [distinct(2, 3, 4)],
         lambda x: _first_index(x.reshape(6, 4).tolist(), lambda a, b: a < b).reshape(2, 3),
         False),
    Case("argmin", lambda x: gc.argmin(x, dimension=1), [np.array([[0.5, 3.0, 0.5, 1.0],
                                                                  [2.0, 2.0, 1.0, 1.0]])],
         lambda x: np.array([0, 2], np.int64), False, id="argmin-ties"),
    Case("one_hot", lambda i: gc.one_hot(i, 3), [np.array([0, 2, 1, 5, -1, 2])],
         lambda i: _hot(i, 3), False),
    Case("one_hot", lambda i: gc.one_hot(i, 4, on_value=5, off_value=-1, axis=1),
         [np.array([[0, 3], [1, 9], [2, 2]], np.int32)],
         lambda i: (_hot(i, 4, axis=1) * 6 - 1).astype(np.int32), False, id="one_hot-axis-int"),
    # (on and off of shape (1,): a gradient summed down to a scalar's shape () fails on
    # the numba backend, in kernels.sum_to_lower_rank, whichever op broadcasts the scalar)
    Case("one_hot", lambda i, on, off: gc.one_hot(i, 3, on, off, axis=0),
         [np.array([2, 0, 1, 1]), np.array([0.9]), np.array([-0.1])],
         lambda i, on, off: _hot(i, 3, axis=0) * (on - off) + off, id="one_hot-tensor-values"),
    Case("reduce_min", lambda x: gc.reduce_min(x, 0), [distinct(3, 4)],
         lambda x: np.sort(x, axis=0)[0]),
    Case("reduce_min", lambda x: gc.reduce_min(x, reduction_indices=[0, 2], keep_dims=True),
         [distinct(2, 3, 4)], lambda x: np.sort(x.transpose(1, 0, 2).reshape(3, 8))[:, :1]
         .reshape(1, 3, 1), id="reduce_min-keep-outer"),
    Case("reduce_min", gc.reduce_min, [np.array([[3, -2], [7, 1]], np.int64)],
         lambda x: np.int64(-2), False, id="reduce_min-int"),
    Case("reduce_prod", lambda x: gc.reduce_prod(x, 1), [_with_zeros()],
         lambda x: _product([x[:, j] for j in range(4)])),
    Case("reduce_prod", lambda x: gc.reduce_prod(x, axis=(0, 2), keepdims=True),
         [positive(2, 3, 2)], lambda x: _product(
             [x[i, :, k] for i in range(2) for k in range(2)]).reshape(1, 3, 1),
         id="reduce_prod-keep"),
    Case("reduce_prod", gc.reduce_prod, [_with_zeros()[:2]],
         lambda x: _product(x.ravel()), id="reduce_prod-all"),
    Case("reduce_prod", lambda x: gc.reduce_prod(x, 0), [np.array([[3, -2], [7, 5]], np.int32)],
         lambda x: np.array([21, -10], np.int32), False, id="reduce_prod-int"),
    Case("reduce_any", lambda b: gc.reduce_any(b, 1), [normal(4, 3) > 0.5],
         lambda b: b.sum(axis=1) > 0, False),
    Case("reduce_all", lambda b: gc.reduce_all(b, axis=0, keepdims=True), [normal(3, 4) > -1],
         lambda b: b.sum(axis=0, keepdims=True) == 3, False),
    Case("reduce_all", gc.reduce_all, [np.ones((2, 3), bool)], lambda b: np.bool_(True), False,
         id="reduce_all-all"),
]

CASES += [
    # expand_dims and squeeze are reshapes where one static shape describes the result (the
    # static runs here), the ops of those names where not (the dynamic runs); the records
    # that apply the ops build them in both
    Case("expand_dims", lambda x: apply(EXPAND_DIMS, x, axis=1), [normal(3, 4)],
         lambda x: x.reshape(3, 1, 4)),
    Case("expand_dims", lambda x: gc.expand_dims(x, -1), [normal(2, 3)],
         lambda x: x.reshape(2, 3, 1), id="expand_dims-last"),
    Case("expand_dims", lambda x: gc.expand_dims(x, 0), [np.array(1.5)],
         lambda x: x.reshape(1), id="expand_dims-scalar"),
    Case("squeeze", lambda x: apply(SQUEEZE, x, axes=(0, 2)), [normal(1, 3, 1, 2)],
         lambda x: x.reshape(3, 2)),
    Case("squeeze", lambda x: gc.squeeze(x, [-1]), [normal(2, 3, 1)],
         lambda x: x.reshape(2, 3), id="squeeze-last"),
    Case("squeeze", lambda x: gc.squeeze(x, 0), [normal(1)], lambda x: x.reshape(()),
         id="squeeze-to-scalar"),
    Case("concat", lambda a, b, c: gc.concat([a, b, c], 1), [normal(2, 3), normal(2, 1),
                                                           normal(2, 4)],
         lambda a, b, c: np.array([list(a[i]) + list(b[i]) + list(c[i]) for i in range(2)])),
    Case("concat", lambda a, b: gc.concat([a, b * 2.0, a], axis=-3), [normal(1, 2, 3),
                                                                     normal(2, 2, 3)],
         lambda a, b: np.array([*a, *(b * 2), *a]), id="concat-leading-repeated"),
    Case("concat", lambda a, b: gc.stack([a, b], axis=1), [normal(3, 2), normal(3, 2)],
         lambda a, b: np.array([[a[i], b[i]] for i in range(3)]), id="stack"),
    Case("concat", lambda a, b: gc.stack([a, b, a], -1), [normal(2), normal(2)],
         lambda a, b: np.array([a, b, a]).T, id="stack-last"),
    Case("split_part", lambda x: gc.split(x, 3, axis=1)[1], [normal(2, 6)],
         lambda x: x[:, 2:4]),
    Case("split_part", lambda x: gc.split(x, [1, -1, 2], 1)[1], [normal(3, 7)],
         lambda x: x[:, 1:5], id="split_part-sizes"),
    Case("split_part", lambda x: _both_halves(*gc.split(x, 2)), [normal(4, 3)],
         lambda x: x[:2] * np.sin(x[2:]), id="split_part-halves"),
    Case("split_part", lambda x: gc.unstack(x, num=3, axis=1)[2], [normal(2, 3, 2)],
         lambda x: x[:, 2, :], id="unstack"),
    Case("split_pad", lambda g, like: apply(SPLIT_PAD, g, like, axis=1, parts=(1, 2), index=1),
         [normal(3, 2), normal(3, 3)],
         lambda g, like: np.concatenate([np.zeros((3, 1)), g], axis=1)),
    Case("split_pad", lambda g, like, r0, r1: apply(SPLIT_PAD, g, like, r0, r1, axis=0,
                                                    parts=None, index=1),
         [normal(2, 3), normal(6, 3), normal(1, 3), normal(2, 3)],
         lambda g, like, r0, r1: np.concatenate([np.zeros((1, 3)), g, np.zeros((3, 3))]),
         id="split_pad-refs"),
]


def _scattered(values, indices, rows):
    """values' rows added into `rows` zero rows at indices, one at a time."""
    out = np.zeros((rows,) + values.shape[1:])
    for j, k in enumerate(indices):
        out[k] += values[j]
    return out


CASES += [
    Case("gather", gc.gather, [normal(4, 3), np.array([[0, 3], [3, 3], [1, 0]])],
         lambda p, i: np.array([[p[k] for k in row] for row in i])),
    Case("gather", lambda p, i: gc.gather(p, i, axis=1), [normal(3, 4), np.array(2)],
         lambda p, i: p.T[2], id="gather-scalar-index"),
    Case("gather", lambda p, i: gc.gather(p, i, axis=-1), [normal(2, 2, 3),
                                                           np.array([2, 2, 0], np.int32)],
         lambda p, i: np.stack([p[..., 2], p[..., 2], p[..., 0]], axis=-1), id="gather-last"),
    Case("scatter_add", lambda v, i, like: scatter_add(v, i, like, 0),
         [normal(4, 2), np.array([1, 3, 1, 1]), normal(5, 2)],
         lambda v, i, like: _scattered(v, i, 5)),
    Case("scatter_add", lambda v, i, like: scatter_add(v, i, like, 1),
         [normal(2, 2, 3), np.array([[0, 0, 2], [2, 1, 0]], np.int32), normal(2, 3)],
         lambda v, i, like: _scattered(v.reshape(2, 6).T, i.ravel(), 3).T,
         id="scatter_add-middle"),
    Case("tile", lambda x: gc.tile(x, [2, 3]), [normal(2, 2)],
         lambda x: np.concatenate([np.concatenate([x, x, x], axis=1)] * 2, axis=0)),
    Case("tile", lambda x: gc.tile(x, [1, 2, 1]), [normal(2, 3, 2)],
         lambda x: np.concatenate([x, x], axis=1), id="tile-middle"),
    Case("tile_sum", lambda g, like: tile_sum(g, like, (2, 2)), [normal(4, 6), normal(2, 3)],
         lambda g, like: g[:2, :3] + g[2:, :3] + g[:2, 3:] + g[2:, 3:]),
]

# -- convolution and pooling (ops/conv.py), against loops over every output element --------
def _conv_case(label, x, w, **attrs):
    fmt = attrs.get("data_format", "NHWC")
    to, back = (cr.nchw, cr.nhwc) if fmt == "NCHW" else (lambda a: a, lambda a: a)
    to_w, back_w = (cr.oihw, cr.hwio) if fmt == "NCHW" else (lambda a: a, lambda a: a)
    loops = {k: attrs[k] for k in ("strides", "dilations", "padding") if k in attrs}
    return [
        Case("conv2d", lambda x, w: conv.conv2d(x, w, **attrs), [to(x), to_w(w)],
             lambda x, w: to(cr.conv(back(x), back_w(w), **loops)), id=f"conv2d-{label}"),
        Case("conv2d_backprop_input", lambda g, w, like: apply(
            conv.CONV2D_BACKPROP_INPUT, g, w, like, **_conv_attrs(attrs)),
             [to(normal(*cr.conv(x, w, **loops).shape)), to_w(w), to(x)],
             lambda g, w, like: to(cr.conv_input_grad(back(g), back_w(w), back(like).shape,
                                                      **loops)),
             id=f"conv2d_backprop_input-{label}"),
        Case("conv2d_backprop_filter", lambda x, g, like: apply(
            conv.CONV2D_BACKPROP_FILTER, x, g, like, **_conv_attrs(attrs)),
             [to(x), to(normal(*cr.conv(x, w, **loops).shape)), to_w(w)],
             lambda x, g, like: to_w(cr.conv_filter_grad(back(x), back(g), back_w(like).shape,
                                                         **loops)),
             id=f"conv2d_backprop_filter-{label}"),
        Case("conv2d_transpose", lambda g, w: conv.conv2d_transpose(g, w, x.shape[1:3], **attrs),
             [to(normal(*cr.conv(x, w, **loops).shape)), to_w(w)],
             lambda g, w: to(cr.conv_input_grad(back(g), back_w(w), x.shape, **loops)),
             id=f"conv2d_transpose-{label}")]


def _conv_attrs(attrs):
    return {"strides": conv.pair(attrs.get("strides", 1), "", ""),
            "dilations": conv.pair(attrs.get("dilations", 1), "", ""),
            "padding": attrs.get("padding", "VALID"), "data_format": attrs.get("data_format",
                                                                                "NHWC")}


def _pool_case(kind, label, x, ksize, strides, padding, fmt, count_include_pad=False):
    to, back = (cr.nchw, cr.nhwc) if fmt == "NCHW" else (lambda a: a, lambda a: a)
    attrs = {"ksize": ksize, "strides": strides, "padding": padding, "data_format": fmt}
    if kind == "max_pool":
        out = cr.max_pool(x, ksize, strides, padding)
        return [Case("max_pool", lambda x: pool.max_pool(x, **attrs), [to(x)],
                     lambda x: to(cr.max_pool(back(x), ksize, strides, padding)),
                     id=f"max_pool-{label}"),
                Case("max_pool_grad", lambda x, g: apply(pool.MAX_POOL_GRAD, x, g, **attrs),
                     [to(x), to(normal(*out.shape))],
                     lambda x, g: to(cr.max_pool_grad(back(x), back(g), ksize, strides,
                                                      padding)), False,
                     id=f"max_pool_grad-{label}")]
    attrs["count_include_pad"] = count_include_pad
    out = cr.avg_pool(x, ksize, strides, padding, count_include_pad)
    return [Case("avg_pool", lambda x: pool.avg_pool(x, **attrs), [to(x)],
                 lambda x: to(cr.avg_pool(back(x), ksize, strides, padding, count_include_pad)),
                 id=f"avg_pool-{label}"),
            Case("avg_pool_grad", lambda g, like: apply(pool.AVG_POOL_GRAD, g, like, **attrs),
                 [to(normal(*out.shape)), to(x)],
                 lambda g, like: to(cr.avg_pool_grad(back(g), back(like).shape, ksize, strides,
                                                     padding, count_include_pad)),
                 id=f"avg_pool_grad-{label}")]


CASES += [
    *_conv_case("same-strided", normal(2, 4, 5, 2), normal(3, 2, 2, 3), strides=(2, 1),
                padding="SAME"),
    *_conv_case("nchw-pads-dilated", normal(2, 5, 4, 2), normal(2, 2, 2, 3), dilations=(2, 1),
                padding=((1, 0), (0, 1)), data_format="NCHW"),
    *_pool_case("max_pool", "same", distinct(2, 5, 5, 2), (2, 2), (2, 2), "SAME", "NHWC"),
    *_pool_case("max_pool", "nchw-pads", distinct(2, 4, 5, 2), (3, 2), (2, 1),
                ((1, 1), (0, 1)), "NCHW"),
    *_pool_case("avg_pool", "same", normal(2, 5, 5, 2), (3, 3), (2, 2), "SAME", "NHWC"),
    *_pool_case("avg_pool", "nchw-pads-counted", normal(2, 4, 5, 2), (2, 3), (1, 2),
                ((1, 0), (1, 1)), "NCHW", count_include_pad=True),
]


# -- cumulative ops, sorting, einsum (ops/scan.py, ops/sort.py, ops/contract.py) ---------
def _running(rows, combine, start):
    """Each row's running combination, element by element (start, then combined)."""
    out = []
    for row in rows:
        total, line = start, []
        for v in row:
            total = combine(total, v)
            line.append(total)
        out.append(line)
    return np.array(out)


def _sorted_rows(rows, reverse=False):
    """Each row's indices in sorted order of its values (Python's sort is stable)."""
    return np.array([sorted(range(len(r)), key=lambda j: r[j], reverse=reverse) for r in rows])


def _picked(x, idx):
    """x[i, idx[i, j]] for each (i, j), by hand."""
    return np.array([[x[i, k] for k in row] for i, row in enumerate(idx)])


def _spread(v, idx, rows):
    """Zeros of `rows` rows with v[i, j] added at row idx[i, j] of column j, by hand."""
    out = np.zeros((rows, v.shape[1]))
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            out[idx[i, j], j] += v[i, j]
    return out


TAKEN = np.array([[2, 0, 2], [1, 1, 0]])
CASES += [
    Case("cumsum", lambda x: gc.cumsum(x, 1), [normal(3, 4)],
         lambda x: _running(x.tolist(), lambda a, b: a + b, 0.0)),
    Case("cumsum", lambda x: gc.cumsum(x, 0, exclusive=True, reverse=True), [normal(3, 2)],
         lambda x: np.array([x[1] + x[2], x[2], 0 * x[0]]), id="cumsum-exclusive-reverse"),
    Case("cumsum", lambda x: gc.cumsum(x, -1), [np.array([[3, -2, 7], [1, 1, 1]], np.int32)],
         lambda x: np.array([[3, 1, 8], [1, 2, 3]], np.int32), False, id="cumsum-int"),
    Case("cumprod", lambda x: gc.cumprod(x, 1), [_with_zeros()],
         lambda x: _running(x.tolist(), lambda a, b: a * b, 1.0)),
    Case("cumprod", lambda x: gc.cumprod(x, 0, exclusive=True, reverse=True),
         [away_from_zero(3, 2)], lambda x: np.array([x[1] * x[2], x[2], 0 * x[0] + 1]),
         id="cumprod-exclusive-reverse"),
    Case("argsort", lambda x: gc.argsort(x, 1), [distinct(3, 4)],
         lambda x: _sorted_rows(x.tolist()).astype(np.int32), False),
    Case("argsort", lambda x: apply(ARGSORT, x, axis=1, descending=True, k=2, dtype=gc.int64),
         [np.array([[1.0, 2.0, 2.0, 0.5], [3.0, 3.0, 3.0, 3.0]])],
         lambda x: np.array([[1, 2], [0, 1]]), False, id="argsort-ties-top-2"),
    Case("take_along_axis", lambda x: gc.sort(x, direction="DESCENDING"), [distinct(3, 4)],
         lambda x: np.array([sorted(r, reverse=True) for r in x.tolist()]), id="sort"),
    Case("take_along_axis", lambda x: take_along_axis(x, TAKEN, 1), [normal(2, 3)],
         lambda x: _picked(x, TAKEN), id="take_along_axis-repeats"),
    Case("scatter_along_axis", lambda v, like: scatter_along_axis(v, TAKEN, like, 0),
         [normal(2, 3), normal(3, 3)], lambda v, like: _spread(v, TAKEN, 3)),
    Case("einsum", lambda a, b: gc.einsum("ij,jk->ik", a, b), [normal(2, 3), normal(3, 4)],
         lambda a, b: np.array([[sum(a[i, j] * b[j, k] for j in range(3)) for k in range(4)]
                                for i in range(2)])),
    Case("einsum", lambda a, b: gc.einsum("bij,bkj->bki", a, b), [normal(2, 2, 3),
                                                               normal(2, 4, 3)],
         lambda a, b: np.stack([b[n] @ a[n].T for n in range(2)]), id="einsum-batch"),
    Case("einsum", lambda x: gc.einsum("ijk->kj", x), [normal(2, 3, 4)],
         lambda x: (x[0] + x[1]).T, id="einsum-sum-transpose"),
    Case("einsum", lambda a, b, c: gc.einsum("ij,jk,k", a, b, c),
         [normal(2, 3), normal(3, 4), normal(4)], lambda a, b, c: a @ (b @ c),
         id="einsum-three-implicit"),
]

# -- padding (ops/pad.py): each non-constant mode reads x at hand-listed positions ---------
def _read(rows, cols):
    """x padded by reading x[rows[i], cols[j]] at output (i, j)."""
    return lambda x: x[np.ix_(rows, cols)]


def _read_back(rows, cols, n, m):
    """The gradient of _read(rows, cols): g through the one-hot selections, transposed."""
    return lambda g: np.eye(n)[rows].T @ g @ np.eye(m)[cols]


def _pad_grad_case(mode, pads, rows, cols, n, m):
    return Case("pad_grad", lambda g: apply(PAD_GRAD, g, paddings=pads, mode=mode),
                [normal(len(rows), len(cols))], _read_back(rows, cols, n, m),
                id=f"pad_grad-{mode}")


def _constant_padded(x):
    out = np.full((3, 6), 1.5)
    out[1:, 2:5] = x
    return out


CASES += [
    Case("pad", lambda x: gc.pad(x, [[1, 0], [2, 1]], constant_values=1.5), [normal(2, 3)],
         _constant_padded, id="pad-constant"),
    Case("pad", lambda x: gc.pad(x, [[1, 1]], constant_values=-1), [np.array([3, 1, 2])],
         lambda x: np.array([-1, 3, 1, 2, -1]), False, id="pad-constant-int"),
    Case("pad", lambda x: gc.pad(x, [[2, 1], [1, 2]], "REFLECT"), [normal(3, 4)],
         _read([2, 1, 0, 1, 2, 1], [1, 0, 1, 2, 3, 2, 1]), id="pad-reflect"),
    Case("pad", lambda x: gc.pad(x, [[1, 2], [0, 3]], "symmetric"), [normal(3, 4)],
         _read([0, 0, 1, 2, 2, 1], [0, 1, 2, 3, 3, 2, 1]), id="pad-symmetric"),
    Case("pad", lambda x: gc.nn.functional.pad(x, (2, 1), "replicate"), [normal(2, 3)],
         _read([0, 1], [0, 0, 0, 1, 2, 2]), id="pad-replicate"),
    Case("pad", lambda x: pad_op(x, ((1, 1), (3, 0)), "wrap"), [normal(2, 3)],
         _read([1, 0, 1, 0], [0, 1, 2, 0, 1, 2]), id="pad-circular"),
    _pad_grad_case("reflect", ((2, 1), (1, 2)), [2, 1, 0, 1, 2, 1], [1, 0, 1, 2, 3, 2, 1],
                   3, 4),
    _pad_grad_case("circular", ((1, 1), (3, 0)), [1, 0, 1, 0], [0, 1, 2, 0, 1, 2], 2, 3),
]

# -- adaptive pooling and resizing (ops/adaptive_pool.py, ops/resize.py), against loops ------
def _adaptive_cases(label, x, output_size):
    """x is NCHW; output_size as the op's attr (None keeps the input's size)."""
    oh, ow = (s if o is None else o for o, s in zip(output_size, x.shape[2:]))
    g = normal(*x.shape[:2], oh, ow)
    return [
        Case("adaptive_avg_pool", lambda x: adaptive_pool.adaptive_avg_pool(x, output_size),
             [x], lambda x: rr.adaptive_avg(x, oh, ow), id=f"adaptive_avg_pool-{label}"),
        Case("adaptive_avg_pool_grad", lambda g, like: apply(
            adaptive_pool.ADAPTIVE_AVG_POOL_GRAD, g, like, output_size=output_size),
             [g, x], lambda g, like: rr.adaptive_avg_grad(g, like.shape),
             id=f"adaptive_avg_pool_grad-{label}"),
        Case("adaptive_max_pool", lambda x: adaptive_pool.adaptive_max_pool(x, output_size),
             [x], lambda x: rr.adaptive_max(x, oh, ow), id=f"adaptive_max_pool-{label}"),
        Case("adaptive_max_pool_grad", lambda x, g: apply(
            adaptive_pool.ADAPTIVE_MAX_POOL_GRAD, x, g, output_size=output_size),
             [x, g], rr.adaptive_max_grad, False, id=f"adaptive_max_pool_grad-{label}")]


def _resize_cases(label, x, size, method, rule, fmt, scale=(None, None)):
    """x is NCHW (given to the op in fmt); an entry of size None scales by scale there."""
    to, back = (rr.nhwc, rr.nchw) if fmt == "NHWC" else (lambda a: a, lambda a: a)
    oh, ow = (o if o is not None else int(n * f)
              for o, f, n in zip(size, scale, x.shape[2:]))
    attrs = dict(method=method, coordinates=rule, size=size, scale_factor=scale,
                 scale_coordinates=scale != (None, None), data_format=fmt)
    return [
        Case("resize", lambda x: apply(resize.RESIZE, x, **attrs), [to(x)],
             lambda x: to(rr.resize(back(x), oh, ow, method, rule, scale)),
             id=f"resize-{label}"),
        Case("resize_grad", lambda g, like: apply(resize.RESIZE_GRAD, g, like, **attrs),
             [to(normal(*x.shape[:2], oh, ow)), to(x)],
             lambda g, like: to(rr.resize_grad(back(g), back(like).shape, method, rule,
                                               scale)), id=f"resize_grad-{label}")]


CASES += [
    *_adaptive_cases("uneven", distinct(2, 2, 5, 7), (3, 4)),
    *_adaptive_cases("even-kept", distinct(1, 2, 4, 6), (2, None)),
    *_resize_cases("nearest-nhwc", normal(2, 2, 3, 5), (5, 3), "nearest", "asymmetric",
                   "NHWC"),
    *_resize_cases("nearest-corners", normal(1, 2, 4, 5), (7, 3), "nearest",
                   "align_corners", "NHWC"),
    *_resize_cases("bilinear-half-pixel-scaled", normal(1, 2, 3, 4), (None, None),
                   "bilinear", "half_pixel", "NCHW", scale=(2.0, 1.5)),
    *_resize_cases("bilinear-corners", normal(1, 2, 3, 4), (5, 2), "bilinear",
                   "align_corners", "NHWC"),
    *_resize_cases("bilinear-tf", normal(2, 1, 4, 3), (3, 5), "bilinear", "asymmetric",
                   "NHWC"),
]

# Ops with no inputs, or with run state, are checked by their own tests:
CHECKED_ELSEWHERE = {
    "constant": "test_creation.py", "fill": "test_creation.py",
    "random_normal": "test_creation.py", "random_uniform": "test_creation.py",
    "random_uniform_like": "nn/test_tf_functions.py (dropout of a None batch)",
    "placeholder": "test_session.py", "variable": "test_session.py",
    "assign": "test_session.py", "no_op": "test_session.py",
    "while_grad": "test_control_flow.py (the gradient of while_loop; it has none itself)",
}


def numeric_gradient(f, arrays, i, h=1e-6):
    """Central differences of scalar f with respect to arrays[i], element by element."""
    grad = np.zeros_like(arrays[i])
    for index in np.ndindex(arrays[i].shape):
        shifted = [a.copy() for a in arrays]
        shifted[i][index] += h
        up = f(*shifted)
        shifted[i][index] -= 2 * h
        grad[index] = (up - f(*shifted)) / (2 * h)
    return grad


def check_against_finite_differences(case, grads, weights):
    """grads[k] is the gradient for input case.float_inputs[k] (None: no gradient flows)."""
    def loss(*arrays):
        return float(np.sum(case.expect(*arrays) * weights))

    for i, analytic in zip(case.float_inputs, grads):
        numeric = numeric_gradient(loss, case.inputs, i)
        if analytic is None:  # no gradient flows: the input's values must not matter
            assert np.abs(numeric).max() < 1e-7
            continue
        # Central differences with h=1e-6 err by O(h^2) ~ 1e-12 (truncation) plus
        # O(eps*|loss|/h) ~ 1e-9 (rounding), so agreement to 1e-6 is a safe, meaningful bound.
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


def output_weights(case):
    """Fixed random weights w for the scalar loss sum(op(inputs) * w) whose gradient is checked."""
    return np.random.default_rng(7).standard_normal(np.shape(case.expect(*case.inputs)))
