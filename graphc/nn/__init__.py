"""Neural-network modules that work on eager tensors and in graphs alike (gc.nn)."""

from graphc.nn import functional
from graphc.nn.layers import Linear, MSELoss, ReLU, Sequential
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter

__all__ = ["Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential", "functional"]
