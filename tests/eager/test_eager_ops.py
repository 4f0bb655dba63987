"""Every registered op run eagerly: values equal the numpy expression, and backward() gives
the static graph's gradients and the finite differences."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc.eager.tensor import silence_ieee_warnings
from tests.ops.op_cases import CASES, check_against_finite_differences, output_weights
from tests.ops.test_op_table import _build, _feeds


def eager_inputs(case):
    return [ge.tensor(a, requires_grad=a.dtype.kind == "f") for a in case.inputs]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_eager_forward_matches_numpy(case):
    out = case.build(*[ge.tensor(a) for a in case.inputs])
    expected = np.asarray(case.expect(*case.inputs))
    assert isinstance(out, ge.Tensor)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.differentiable], ids=lambda c: c.id)
def test_eager_gradient_matches_graph_and_finite_differences(case):
    weights = output_weights(case)
    inputs = eager_inputs(case)
    case.build(*inputs).backward(weights)
    eager = [inputs[i].grad for i in case.float_inputs]
    eager = [None if g is None else g.data for g in eager]
    check_against_finite_differences(case, eager, weights)

    graph, placeholders, out = _build(case, gc.float64, dynamic=False)
    with graph.as_default():
        grads = gc.gradients(out, [placeholders[i] for i in case.float_inputs], grad_ys=weights)
    with gc.Session(graph) as sess:
        static = sess.run([g for g in grads if g is not None], _feeds(case, placeholders,
                                                                      gc.float64))
    static_iter = iter(static)
    static = [None if g is None else next(static_iter) for g in grads]
    for got, want in zip(eager, static):
        if got is None:
            # A graph cond cannot know which branch runs, so an input used only by the
            # other branch gets a zero gradient where plain Python gets none.
            assert want is None or not np.any(want)
            continue
        # The same rules on the same float64 values: equal up to rounding.
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_ieee_arithmetic_is_silent_as_pytorchs_and_numpys_own_calls_still_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # (every warning recorded, but graphc's, which
        silence_ieee_warnings()  # graphc.eager's filter drops: pytest resets filters)
        values = [ge.tensor([1.0, 0.0]) / 0, ge.log(ge.tensor([0.0])),
                  ge.tensor([1, 2]) // ge.tensor([0, 1]), ge.exp(ge.tensor([1000.0]))]
        np.log(np.zeros(1))
    np.testing.assert_array_equal(values[0].numpy(), [np.inf, np.nan])
    np.testing.assert_array_equal(values[1].numpy(), [-np.inf])
    np.testing.assert_array_equal(values[2].numpy(), [0, 2])
    np.testing.assert_array_equal(values[3].numpy(), [np.inf])
    assert [str(w.message) for w in caught] == ["divide by zero encountered in log"]
    assert caught[0].filename == __file__
