"""The seeds' eager programs (tensors by hand, autograd, custom ReLU) give the numpy loop's
numbers: float64, 100 steps, identical weights and data."""

import eager_autograd_two_layer
import eager_custom_relu
import eager_tensors_two_layer
import numpy as np
import numpy_two_layer
import pytest

import graphc.eager as ge
from tests.test_seed_static import assert_trains_like, seed_problem

PROGRAMS = [eager_tensors_two_layer, eager_autograd_two_layer, eager_custom_relu]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda m: m.__name__)
def test_eager_program_matches_numpy_loop(program):
    x, y, w1, w2 = seed_problem(seed=3)
    want = numpy_two_layer.train(x, y, w1, w2, steps=100)
    got = program.train(x, y, w1, w2, steps=100)
    # Same float64 operations in the same order: ~1e-13 typical; 1e-10 is the bound.
    assert_trains_like(got, want)


def test_custom_relu_equals_builtin():
    rng = np.random.default_rng(4)
    x_value = rng.standard_normal((5, 6))
    builtin = ge.tensor(x_value, requires_grad=True)
    custom = ge.tensor(x_value, requires_grad=True)
    weights = rng.standard_normal((5, 6))
    out_builtin = builtin.clamp(min=0)
    out_custom = eager_custom_relu.MyReLU.apply(custom)
    np.testing.assert_array_equal(out_custom.data, out_builtin.data)
    (out_builtin * weights).sum().backward()
    (out_custom * weights).sum().backward()
    np.testing.assert_array_equal(custom.grad.data, builtin.grad.data)
