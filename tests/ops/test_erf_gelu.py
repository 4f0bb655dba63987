"""The erf op (gc.erf, tf.math.erf, torch.erf, Tensor.erf) and GELU (F.gelu, nn.GELU,
tf.nn.gelu), against Python's math.erf and the formulas.

erf's value is the C library's float64 erf rounded once to the op's dtype, which is what
Python's math.erf gives: the numpy reference and the eager op must give its bits exactly,
signed zeros, infinities and NaN included (the numba and CUDA loops against the reference,
at special values, are tests/runtime/test_special_values.py's). GELU is a composition of
float64 ops: its values agree with the formula written here to rounding, 1e-15 relative an
op, checked to 1e-13; gradients against central differences to 1e-6 (their own error is
~1e-8)."""

import math

import numpy as np
import pytest

import graphc as gc
import graphc as tf
import graphc.eager as torch
from graphc import nn
from graphc.nn import functional as F

TINY = np.finfo(np.float64).smallest_subnormal
POINTS = np.concatenate([
    [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, 1e-310, -3e-320, 1e-300, 1e-20, -1e-9,
     0.5, -0.5, 1.0, 2.0, -3.0, 5.9, 6.0, -27.0, 1e10, -1e300, np.finfo(np.float64).max,
     -np.finfo(np.float64).max],
    np.linspace(-7, 7, 141), np.random.default_rng(0).standard_normal(200) * 3])


def bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.itemsize}")


def math_erf(x, dtype):
    """math.erf of each element of x as dtype, rounded once to dtype."""
    return np.array([math.erf(float(v)) for v in x.astype(dtype)]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
def test_erf_is_math_erf_bit_for_bit_in_graphs_and_eagerly(dtype):
    x = POINTS.astype(dtype) if dtype == np.float64 else \
        np.concatenate([POINTS[np.abs(POINTS) < 1e38].astype(dtype),
                        [np.finfo(np.float32).smallest_subnormal, np.float32(-1e-40)]])
    want = math_erf(x, dtype)
    p = gc.placeholder(dtype, [None])
    with gc.Session() as sess:
        got = sess.run(gc.erf(p), {p: x})
    eager = torch.erf(torch.tensor(x)).numpy()
    for value in (got, eager, tf.math.erf(tf.constant(x)).eval(session=gc.Session())):
        assert value.dtype == dtype
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(value), nan)
        np.testing.assert_array_equal(bits(value[~nan]), bits(want[~nan]))
    assert np.signbit(got[x == 0]).tolist() == np.signbit(x[x == 0]).tolist()
    np.testing.assert_array_equal(got[np.isinf(x)], np.sign(x[np.isinf(x)]))


def test_erf_names_and_types():
    assert tf.erf is tf.math.erf is gc.erf
    t = torch.tensor([0.25, -1.0])
    np.testing.assert_array_equal(t.erf().numpy(), torch.erf(t).numpy())
    assert gc.placeholder(gc.float32, [2]).erf().dtype == gc.float32
    with pytest.raises(TypeError, match="expects a floating-point tensor, got int32"):
        gc.erf(gc.placeholder(gc.int32, [2]))


def test_erf_gradient_is_two_over_root_pi_exp_minus_x_squared():
    x = np.array([-30.0, -2.0, -0.3, 0.0, 0.7, 1.5, np.inf])
    t = torch.tensor(x, requires_grad=True)
    torch.erf(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 / np.sqrt(np.pi) * np.exp(-x * x),
                               rtol=1e-15, atol=0)
    gc.test.check_gradients(gc.erf, [np.linspace(-2.5, 2.5, 11)])


# -- GELU ---------------------------------------------------------------------------------
X = np.concatenate([np.linspace(-6, 6, 49), [-40.0, 30.0, 1e-8, -0.0]])


def gelu_exact(x):
    return 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("approximate, formula", [("none", gelu_exact), ("tanh", gelu_tanh)])
def test_gelu_is_its_formula_in_both_modes(approximate, formula):
    want = formula(X)
    module = nn.GELU(approximate=approximate)
    eager = module(torch.tensor(X)).numpy()
    p = gc.placeholder(gc.float64, [None])
    with gc.Session() as sess:
        graph, tf_value = sess.run([module(p), tf.nn.gelu(p, approximate == "tanh")], {p: X})
    for value in (eager, graph, tf_value):
        np.testing.assert_allclose(value, want, rtol=1e-13, atol=1e-300)
    assert eager[49] == 0.0 and eager[50] == 30.0  # (x * P(X <= x) at -40 and 30)
    assert repr(module) == f"GELU(approximate='{approximate}')"
    gc.test.check_gradients(lambda x: F.gelu(x, approximate=approximate), [X[5:45:3]])
    gc.test.check_gradients(lambda x: F.gelu(x, approximate=approximate), [X[5:45:3]],
                            mode="eager")


def test_gelu_float32_and_its_errors():
    x = X.astype(np.float32)
    got = F.gelu(torch.tensor(x)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, gelu_exact(X), rtol=1e-6, atol=1e-7)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(torch.tensor(x), approximate="sigmoid")
