"""The seed's custom module: a TwoLayerNet subclass of nn.Module trained by SGD, eagerly and
as a static graph, from the same code.
Run: python examples/custom_module.py
"""

from functools import partial

from nn_two_layer import D_IN, D_OUT, H, compare_modes
from optim_adam import train_eager, train_static

import graphc as gc
from graphc import nn, optim


def sgd(parameters):
    return optim.SGD(parameters, lr=1e-4)


class TwoLayerNet(nn.Module):
    """Linear, clamp at zero, Linear: the seed's model written as a Module."""

    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.linear1 = nn.Linear(d_in, hidden, dtype=gc.float64)
        self.linear2 = nn.Linear(hidden, d_out, dtype=gc.float64)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        return self.linear2(h_relu)


if __name__ == "__main__":
    compare_modes(lambda: TwoLayerNet(D_IN, H, D_OUT), partial(train_eager, make_optimizer=sgd),
                  partial(train_static, make_optimizer=sgd))
