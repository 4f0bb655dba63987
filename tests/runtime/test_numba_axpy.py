"""Updates y +- x * s over large arrays run as BLAS axpy (graphc/runtime/cpu/blas.axpy),
split among BLAS's threads; smaller ones, and the cases BLAS would get wrong, run the
generated loop.

Tolerances: axpy rounds y + alpha * x once per element (a fused multiply-add) where numpy
rounds the product and then the sum: the two differ by at most the product's rounding and
the sum's, eps (|alpha * x| + |y + alpha * x|), however much the sum cancels. The loop is
numpy's arithmetic exactly (assert_array_equal)."""

import numpy as np
import pytest

import graphc as gc
from graphc import optim
from graphc.runtime.cpu import kernels as K
from graphc.runtime.cpu.blas import AXPY_MIN
from graphc.runtime.cpu.emit import _axpy_terms

X, S, Y = ("input", 1), ("input", 2), ("input", 0)


def _f(op, *operands, dtype="float32"):
    return (op, dtype, *operands)


@pytest.mark.parametrize("expression, ranks, expected", [
    (_f("subtract", Y, _f("multiply", X, S)), [2, 2, 0], (1, 2, "-")),
    (_f("subtract", Y, _f("multiply", S, X)), [2, 2, 0], (1, 2, "-")),
    (_f("add", Y, _f("multiply", X, S)), [1, 1, 0], (1, 2, "")),
    (_f("add", _f("multiply", S, X), Y), [3, 3, 0], (1, 2, "")),
    (_f("subtract", Y, _f("multiply", X, S, dtype="float64"), dtype="float64"), [2, 2, 0],
     (1, 2, "-")),
    # not an axpy: the product first in a subtraction, a product of two arrays, a scalar
    # that is an array, an integer update, a product in another dtype, another op
    (_f("subtract", _f("multiply", X, S), Y), [2, 2, 0], None),
    (_f("subtract", Y, _f("multiply", X, S)), [2, 2, 2], None),
    (_f("subtract", Y, _f("multiply", X, ("input", 0))), [2, 2, 0], None),
    (_f("subtract", Y, _f("multiply", X, S), dtype="int64"), [2, 2, 0], None),
    (_f("subtract", Y, _f("multiply", X, S, dtype="float64")), [2, 2, 0], None),
    (_f("maximum", Y, _f("multiply", X, S)), [2, 2, 0], None),
    (_f("subtract", Y, _f("divide", X, S)), [2, 2, 0], None),
    # a scalar update (BLAS takes arrays), y's own elements as x (the loop reads them
    # through y), an input index that is not an int (a graph file's)
    (_f("subtract", Y, _f("multiply", X, S)), [0, 0, 0], None),
    (_f("subtract", Y, _f("multiply", Y, S)), [2, 2, 0], None),
    (_f("subtract", Y, _f("multiply", ("input", True), S)), [2, 2, 0], None),
    (_f("subtract", Y, _f("multiply", ("input", -1), S)), [2, 2, 0], None),
])
def test_which_update_expressions_are_axpys(expression, ranks, expected):
    assert _axpy_terms(expression, ranks, 0) == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_is_numpys_update_to_one_ulp(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(AXPY_MIN + 3).astype(dtype)
    y = rng.standard_normal(AXPY_MIN + 3).astype(dtype)
    alpha = dtype(-0.37)
    want = y + alpha * x
    assert K.axpy(x, y, alpha)
    bound = np.finfo(dtype).eps * (np.abs(alpha * x) + np.abs(want))
    assert (np.abs(y - want) <= bound).all()
    assert not np.array_equal(y, want)  # (rounded once: it was BLAS)


def test_axpy_declines_what_blas_would_get_wrong_or_slow():
    x = np.ones(AXPY_MIN, np.float32)
    y = np.zeros(AXPY_MIN, np.float32)
    assert not K.axpy(x[:-1], y[:-1], np.float32(2))  # too small to split
    assert not K.axpy(x, y, np.float32(0))  # BLAS skips 0 * x: NaN and inf would not count
    assert not K.axpy(x, y, 1e-50)  # (0 as a float32)
    both = np.zeros(AXPY_MIN + 1, np.float32)
    assert not K.axpy(both[1:], both[:-1], np.float32(1))  # overlapping, shifted
    np.testing.assert_array_equal(y, 0)
    np.testing.assert_array_equal(both, 0)
    assert K.axpy(y, y, np.float32(1))  # the same elements: y + y, element for element
    # BLAS would read and write these by raw pointer with the wrong element size or stride
    ints = np.zeros(AXPY_MIN, np.int32)
    assert not K.axpy(ints, ints.copy(), 2.0)
    assert not K.axpy(x.astype(np.float64), y, np.float32(2))
    assert not K.axpy(np.ones(2 * AXPY_MIN, np.float32)[::2], y, np.float32(2))
    readonly = np.zeros(AXPY_MIN, np.float32)
    readonly.flags.writeable = False
    assert not K.axpy(x, readonly, np.float32(2))
    np.testing.assert_array_equal(y, 0)


def momentum_run(shape, x_fill=None, lr=0.1, steps=3, dtype=np.float32):
    """w after `steps` SGD-with-momentum updates of sum(w * c) (gradient c), as graphc
    runs them and as numpy does."""
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(shape).astype(dtype)
    c = rng.standard_normal(shape).astype(dtype) if x_fill is None else \
        np.full(shape, x_fill, dtype)
    graph = gc.Graph()
    with graph.as_default():
        w = gc.Variable(w0.copy(), name="w")
        loss = gc.reduce_sum(w * gc.constant(c))
        train = optim.SGD([w], lr=lr, momentum=0.9).minimize(loss)
        with gc.Session(graph, backend="numba") as sess:
            sess.run(gc.global_variables_initializer())
            for _ in range(steps):
                sess.run(train)
            got = sess.run(w)
    want, buf = w0.copy(), np.zeros_like(w0)
    for _ in range(steps):
        buf = dtype(0.9) * buf + c
        want = want - dtype(lr) * buf
    return got, want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_on_a_large_weight_runs_to_numpys_values(dtype):
    # 256 x 256 = 65,536 weights: the update w - lr * v is an axpy (and runs in place)
    got, want = momentum_run((256, 256), dtype=dtype)
    # each of 3 steps rounds once where numpy rounds twice (see the module's docstring)
    np.testing.assert_allclose(got, want, rtol=0, atol=3 * np.finfo(dtype).eps * 2 *
                               np.abs(want).max())
    assert not np.array_equal(got, want)  # (rounded once: BLAS made the update)


@pytest.mark.parametrize("shape", [(), (4, 4), (256, 256)])
def test_updates_that_are_not_axpys_run_as_numpy_runs_them(shape):
    # SGD on a scalar parameter (a - lr * g, all scalars) and w - w * s (w its own x)
    def build():
        w = gc.Variable(np.full(shape, 1.5, np.float32), name="w")
        s = gc.Variable(np.float32(0.25), name="s")
        a = gc.Variable(np.float32(2.0), name="a")
        train = optim.SGD([a], lr=0.1).minimize(gc.reduce_sum(gc.square(a * 3.0 - 1.0)))
        return [w.assign(w - w * s), train], w, a

    results = {}
    for backend in ("numpy", "numba"):
        graph = gc.Graph()
        with graph.as_default():
            fetches, w, a = build()
            with gc.Session(graph, backend=backend) as sess:
                sess.run(gc.global_variables_initializer())
                for _ in range(3):
                    sess.run(fetches)
                results[backend] = sess.run([w, a])
    for got, want in zip(results["numba"], results["numpy"], strict=True):
        np.testing.assert_array_equal(got, want)  # the loop: numpy's arithmetic exactly
    np.testing.assert_array_equal(results["numba"][0], np.full(shape, 1.5 * 0.75 ** 3))


def test_a_zero_step_size_still_spreads_nan():
    # lr 0: BLAS would skip the product; the loop computes w - 0 * nan = nan, as numpy
    got, want = momentum_run((256, 256), x_fill=np.nan, lr=0.0, steps=1)
    assert np.isnan(want).all() and np.isnan(got).all()
