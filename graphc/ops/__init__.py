"""Every op graphc knows, one block each; importing this package fills the registry."""

from graphc.graph import Tensor
from graphc.ops import control, fused, random, state  # noqa: F401 - registers their ops
from graphc.ops.constant import constant, fill, ones, ones_like, zeros, zeros_like
from graphc.ops.control import group, no_op
from graphc.ops.custom import RegisterGradient, custom_gradient
from graphc.ops.debug import check_numerics
from graphc.ops.flow import cond, while_loop
from graphc.ops.elementwise import (abs, add, cast, divide, equal, exp, greater, greater_equal,
                                    less, less_equal, log, maximum, minimum, multiply, negative,
                                    not_equal, pow, relu, sigmoid, sign, sqrt, square, subtract,
                                    tanh, where)
from graphc.ops.index import getitem
from graphc.ops.linalg import matmul
from graphc.ops.operators import install_operators
from graphc.ops.random import random_normal, random_uniform, set_random_seed
from graphc.ops.reduce import reduce_max, reduce_mean, reduce_sum
from graphc.ops.shape import identity, reshape, stop_gradient, transpose
from graphc.ops.state import placeholder

install_operators(Tensor)

__all__ = [
    "RegisterGradient", "abs", "add", "cast", "check_numerics", "cond", "constant",
    "custom_gradient",
    "divide", "equal", "exp", "fill", "getitem", "greater", "greater_equal", "group", "identity",
    "less", "less_equal", "log", "matmul", "maximum", "minimum", "multiply", "negative", "no_op",
    "not_equal",
    "ones", "ones_like", "placeholder", "pow", "random_normal", "random_uniform", "reduce_max",
    "reduce_mean", "reduce_sum", "relu", "reshape", "set_random_seed", "sigmoid", "sign", "sqrt",
    "square", "stop_gradient", "subtract", "tanh", "transpose", "where", "while_loop", "zeros",
    "zeros_like",
]
