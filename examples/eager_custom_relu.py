"""The seed's custom autograd function: a ReLU with its own forward and backward, used in
the eager autograd program.
Run: python examples/eager_custom_relu.py
"""

import eager_autograd_two_layer  # the example beside this one

import graphc.eager as ge


class MyReLU(ge.Function):
    """max(x, 0), with the backward pass written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)  # backward needs to know where x was negative
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[x < 0] = 0
        return grad_input


def train(x, y, w1, w2, steps=500, learning_rate=1e-6, log=None):
    """The autograd program with MyReLU in place of clamp; returns losses and weights."""
    return eager_autograd_two_layer.train(x, y, w1, w2, steps, learning_rate,
                                          relu=MyReLU.apply, log=log)


def main():
    eager_autograd_two_layer.main(relu=MyReLU.apply)


if __name__ == "__main__":
    main()
