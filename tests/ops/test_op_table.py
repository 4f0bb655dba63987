"""Every registered op, from its record in op_cases.py: shape rule, forward values in float32
and float64 with static and dynamic (None) shapes, and gradients against finite differences."""

import numpy as np
import pytest

import graphc as gc
from graphc import shapes
from graphc.registry import OPS
from tests.ops.op_cases import (CASES, CHECKED_ELSEWHERE, Case, check_against_finite_differences,
                                output_weights)

# float64 results of the same arithmetic agree to rounding (~1e-16 relative per op; a few ops
# chained, so 1e-12 leaves room). float32 carries 24 bits (eps 1.2e-7): allow ~100 ulps.
TOLERANCE = {gc.float64: dict(rtol=1e-12, atol=1e-12), gc.float32: dict(rtol=1e-5, atol=1e-6)}


def _dtype_for(array: np.ndarray, float_dtype: gc.DType) -> gc.DType:
    return float_dtype if array.dtype.kind == "f" else gc.as_dtype(array.dtype)


def _build(case: Case, float_dtype: gc.DType, dynamic: bool):
    graph = gc.Graph()
    with graph.as_default():
        inputs = [gc.placeholder(_dtype_for(a, float_dtype), [None] * a.ndim if dynamic
                                 else a.shape) for a in case.inputs]
        out = case.build(*inputs)
    return graph, inputs, out


def _feeds(case: Case, inputs, float_dtype: gc.DType):
    return {p: a.astype(_dtype_for(a, float_dtype).np) for p, a in zip(inputs, case.inputs)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_shape_rule_matches_reference_output(case):
    expected = np.asarray(case.expect(*case.inputs))
    _, _, out = _build(case, gc.float64, dynamic=False)
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    _, _, out = _build(case, gc.float64, dynamic=True)
    assert shapes.matches(out.shape, expected.shape), (out.shape, expected.shape)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("float_dtype", [gc.float64, gc.float32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_matches_numpy(case, float_dtype, dynamic):
    graph, inputs, out = _build(case, float_dtype, dynamic)
    feeds = _feeds(case, inputs, float_dtype)
    expected = np.asarray(case.expect(*feeds.values()))
    with gc.Session(graph) as sess:
        got = sess.run(out, feeds)
    assert np.shape(got) == expected.shape
    np.testing.assert_allclose(got, expected, **TOLERANCE[float_dtype])


@pytest.mark.parametrize("case", [c for c in CASES if c.differentiable], ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case):
    graph, inputs, out = _build(case, gc.float64, dynamic=True)
    weights = output_weights(case)
    with graph.as_default():
        grads = gc.gradients(out, [inputs[i] for i in case.float_inputs], grad_ys=weights)
    with gc.Session(graph) as sess:
        got = sess.run([g for g in grads if g is not None], _feeds(case, inputs, gc.float64))
    got_iter = iter(got)
    got = [None if g is None else next(got_iter) for g in grads]
    check_against_finite_differences(case, got, weights)


def test_every_registered_op_is_checked():
    tested = {c.op for c in CASES} | set(CHECKED_ELSEWHERE)
    assert sorted(set(OPS) - tested) == []
    assert sorted(tested - set(OPS)) == []


def test_every_op_with_a_gradient_rule_is_checked_against_finite_differences():
    fd_checked = {c.op for c in CASES if c.differentiable}
    no_smooth_gradient = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                          "stop_gradient", "fill_like", "reduction_count", "shape_of"}
    with_rule = {name for name, op in OPS.items() if op.grad is not None}
    assert sorted(with_rule - fd_checked - no_smooth_gradient) == []
