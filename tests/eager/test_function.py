"""Custom autograd Functions."""

import numpy as np
import pytest

import graphc.eager as ge


class Cube(ge.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        ctx.seen_needs = ctx.needs_input_grad
        return x.pow(3) * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.pow(2) * ctx.scale, None


def test_function_forward_backward_and_needs_input_grad():
    x = ge.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    np.testing.assert_array_equal(y.data, [2.0, 16.0])
    assert y.grad_fn is not None and repr(y.grad_fn) == "<CubeBackward>"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 24.0])


def test_function_without_grad_records_nothing():
    y = Cube.apply(ge.tensor([1.0]), 1.0)
    assert y.grad_fn is None and not y.requires_grad


def test_modified_saved_tensor_is_reported():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1
    y = Cube.apply(x, 1.0)
    with ge.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="saved tensor 0 of Cube was modified"):
        y.sum().backward()


def test_wrong_number_of_gradients():
    class Bad(ge.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="backward of Bad returned 2 gradients for 1 inputs"):
        Bad.apply(ge.tensor([1.0], requires_grad=True)).sum().backward()


def test_wrong_gradient_shape():
    class Bad(ge.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ge.ones(3)

    with pytest.raises(RuntimeError, match=r"gradient of shape \(3,\) for an input of shape"):
        Bad.apply(ge.tensor([1.0, 2.0], requires_grad=True)).sum().backward()


def test_forward_must_return_a_tensor():
    class Bad(ge.Function):
        @staticmethod
        def forward(ctx, x):
            return 3.0

    with pytest.raises(TypeError, match="Bad.forward must return a tensor"):
        Bad.apply(ge.tensor([1.0], requires_grad=True))
