"""Expressions of ops whose scalar form calls libm (exp, log, sin, cos, tanh, sigmoid, pow
of floats): from emit.numpy_min(expression) elements on, the numba backend computes them
with the ops' numpy references (graphc/runtime/cpu/numpy_eval.py), called from the kernel,
instead of a loop that calls libm once an element. Those results are the numpy backend's
exactly (assert_array_equal: the same numpy calls on the same arrays), NaN, infinities and
signed zeros included, for single ops, fused groups (broadcast inputs, a scalar made in
native code), in-place updates and matmul epilogues. Below that the loop runs, within a few
ulps of numpy's (libm and numpy's SIMD functions round differently); where numpy's loop
calls libm too (float64 sin and cos), the loop runs at every size. A float reduce_max
along rows of LONG_ROW or more and check_numerics take numpy's SIMD loops from
CHECK_NUMPY_MIN elements on (their loops check each element for NaN and do not
vectorize); a max over columns or short rows stays in its loop, which gives numpy's
result too: the later of tied zeros, as numpy's column reduction (numpy's row reduction
combines SIMD lanes out of order, so the sign of a zero tied for a short row's max is
numpy's own choice: docs/runtime.md)."""

import numba  # noqa: F401 - names the warning category filtered below
import numpy as np
import pytest

import graphc as gc
from graphc.runtime.cpu import codegen
from graphc.runtime.cpu.emit import CHECK_NUMPY_MIN, LONG_ROW, numpy_min

# (a kernel that calls Python must not be compiled nogil: numba warns that it cannot be)
pytestmark = pytest.mark.filterwarnings("error::numba.NumbaWarning")

OPS = {"exp": gc.exp, "log": gc.log, "sin": gc.sin, "cos": gc.cos, "tanh": gc.tanh,
       "sigmoid": gc.sigmoid, "pow": lambda x: gc.pow(x, x)}
ULPS = 4  # libm against numpy's SIMD functions, a few ulps apart


def least(name, dtype):
    """From how many elements numpy computes the op alone (None: never)."""
    return numpy_min((name, np.dtype(dtype).name, *[("input", 0)] * (1 + (name == "pow"))))


def tanh_from():
    return least("tanh", np.float64)


def special_values(n, dtype):
    """n values: a spread of finite ones, then NaN, +-inf, +-0, and values whose exp
    overflows or underflows."""
    x = np.linspace(-3, 3, n).astype(dtype)
    x[:9] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 100.0, -100.0, 1e-30, -1e-30]
    return x


@pytest.fixture
def kernel_sources(monkeypatch):
    sources = []
    load = codegen.load_module
    monkeypatch.setattr(codegen, "load_module",
                        lambda source, *args: (sources.append(source), load(source, *args))[1])
    return sources


def both(build, *values):
    """build's value on the numba backend, and on the numpy backend, from fresh graphs."""
    results = []
    for backend in ("numba", "numpy"):
        graph = gc.Graph()
        with graph.as_default():
            inputs = [gc.placeholder(gc.as_dtype(v.dtype), v.shape) for v in values]
            out = build(*inputs)
            init = gc.global_variables_initializer()
        with gc.Session(graph, backend=backend) as sess:
            sess.run(init)
            results.append(sess.run(out, dict(zip(inputs, values))))
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_a_large_op_is_numpys_result_exactly(name, dtype, kernel_sources):
    size = least(name, dtype)
    got, want = both(OPS[name], special_values((size or 4096) + 7, dtype))
    assert np.array_equal(np.signbit(got), np.signbit(want))
    if size is None:  # the loop, as fast as numpy's, which calls libm too
        assert not any("evaluate_into" in s for s in kernel_sources)
        np.testing.assert_allclose(got, want, rtol=ULPS * np.finfo(dtype).eps, atol=0)
    else:
        assert any("evaluate_into" in s for s in kernel_sources)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_a_small_op_runs_the_loop_within_a_few_ulps(name, dtype, kernel_sources):
    x = special_values(min(least(name, dtype) or 4096, 4096) - 1, dtype)
    got, want = both(OPS[name], x)
    np.testing.assert_allclose(got, want, rtol=ULPS * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)


def test_numpy_pays_from_fewer_elements_the_slower_the_loop():
    """numpy_min: the call's cost over what each element saves, the saving of an
    expression its functions' together; none where numpy's loop is libm's too."""
    exp, tanh = (("exp", "float32", ("input", 0)), ("tanh", "float32", ("input", 0)))
    assert least("tanh", np.float32) < least("exp", np.float32) < 4096
    assert numpy_min(("add", "float32", exp, tanh)) < least("tanh", np.float32)
    assert least("sin", np.float64) is None and least("cos", np.float64) is None
    assert numpy_min(("add", "float32", ("input", 0), ("input", 1))) is None
    assert numpy_min(("cast", "int32", exp)) == least("exp", np.float32)


def test_a_fused_group_with_a_broadcast_row_and_a_native_scalar():
    """tanh(x * 2 + row) - max(x): the row broadcasts in numpy's evaluation as in the loop;
    the max is a scalar the segment computed (a Python number once it reaches numpy)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 40)).astype(np.float32)
    row = rng.standard_normal(40).astype(np.float32)
    got, want = both(lambda x, r: gc.tanh(x * 2.0 + r) - gc.reduce_max(x), x, row)
    np.testing.assert_array_equal(got, want)


def test_a_matmul_epilogue_of_a_sigmoid():
    """sigmoid(x @ w + b): the epilogue over the product is numpy's (the products may
    round differently: BLAS against numpy's matmul, so a float32 tolerance)."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((64, 30)), rng.standard_normal((30, 50))
    b = rng.standard_normal(50)
    got, want = both(lambda x, w, b: gc.sigmoid(gc.matmul(x, w) + b), x, w, b)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_an_update_in_place_reads_the_old_values(backend):
    """v <- v - 0.5 * tanh(v), over more elements than numpy pays from, in place on numba."""
    start = special_values(tanh_from() * 32, np.float64).reshape(32, -1)
    v = gc.Variable(start.copy())
    step = v.assign(v - 0.5 * gc.tanh(v))
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        sess.run(step)
        sess.run(step)
        got = sess.run(v)
    want = start - 0.5 * np.tanh(start)
    want = want - 0.5 * np.tanh(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("more", [-1, 0])
def test_each_op_of_a_fused_group_rounds_to_its_own_dtype(more):
    """a / b of uint8s is float32 in graphc (numpy's own division gives float64): inside a
    fused group too, so 1 / 3 >= float32(1 / 3) holds on both backends, fused or not,
    in the loop and in numpy's evaluation."""
    n = least("exp", np.float32) + more
    ones, threes = np.ones(n, np.uint8), np.full(n, 3, np.uint8)
    x = np.ones(n, np.float32)
    build = lambda a, b, x: gc.where(a / b >= np.float32(1 / 3), gc.exp(x), 0.0)  # noqa: E731
    got, want = both(build, ones, threes, x)
    np.testing.assert_allclose(got, np.full(n, np.e, np.float32), rtol=1e-6)
    np.testing.assert_allclose(want, got, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (None, True), (0, False),
                                            (1, True), ((0, 1), False)])
@pytest.mark.parametrize("size", [CHECK_NUMPY_MIN // 2, CHECK_NUMPY_MIN * 2])  # loop, numpy
def test_a_max_is_numpys_nan_and_signed_zeros_included(size, axis, keepdims, dtype):
    assert size // 32 >= LONG_ROW  # (rows long enough for numpy's, from CHECK_NUMPY_MIN)
    x = special_values(size, dtype).reshape(32, -1)
    x[5:, 3] = -0.0  # a column of zeros of both signs
    x[5:, 4] = 0.0
    for values in (x, np.where(np.isnan(x), 1.0, x).astype(dtype), x.T):  # NaN, none, a view
        got, want = both(lambda v: gc.reduce_max(v, axis, keepdims=keepdims), values)
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(got), np.signbit(want))
        assert np.shape(got) == np.shape(np.max(values, axis, keepdims=keepdims))


def test_a_large_check_numerics_passes_finite_values_and_names_the_first_failure():
    x = np.linspace(-1, 1, CHECK_NUMPY_MIN * 2)
    got, want = both(lambda v: gc.check_numerics(v, "the activations") * 2.0, x)
    np.testing.assert_array_equal(got, want)
    for bad in (np.nan, np.inf):
        x[700] = bad
        for backend in ("numba", "numpy"):
            graph = gc.Graph()
            with graph.as_default():
                v = gc.placeholder(gc.float64, x.shape)
                out = gc.check_numerics(v, "the activations") * 2.0
            with gc.Session(graph, backend=backend) as sess:
                with pytest.raises(gc.InvalidArgumentError, match="the activations"):
                    sess.run(out, {v: x})
