"""Every op graphc knows, one block each; importing this package fills the registry."""

from graphc.graph import Tensor
from graphc.ops import control, conv, fused, pool, random, state  # noqa: F401 - registers their ops
from graphc.ops import adaptive_pool, resize  # noqa: F401 - registers their ops
from graphc.ops.array import (concat, expand_dims, gather, one_hot, rank_of, shape_of,
                               size_of, split, squeeze, stack, tile, unstack)
from graphc.ops.constant import constant, eye, fill, ones, ones_like, zeros, zeros_like
from graphc.ops.control import group, no_op
from graphc.ops.custom import RegisterGradient, custom_gradient
from graphc.ops.debug import Print, check_numerics
from graphc.ops.flow import cond, while_loop
from graphc.ops import elementwise
from graphc.ops.elementwise import *  # noqa: F403 - one function per elementwise op
from graphc.ops.index import getitem, slice
from graphc.ops.linalg import matmul
from graphc.ops.operators import install_operators
from graphc.ops.random import (random_normal, random_uniform, random_uniform_like,
                               set_random_seed, truncated_normal)
from graphc.ops.reduce import (argmax, argmin, reduce_all, reduce_any, reduce_logsumexp,
                               reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum)
from graphc.ops.sequence import lin_space, linspace, range
from graphc.ops.shape import identity, reshape, stop_gradient, transpose
from graphc.ops.state import placeholder, placeholder_with_default
from graphc.ops import composite
from graphc.ops.composite import *  # noqa: F403 - TensorFlow's functions composed of ops
from graphc.ops.arrange import matrix_band_part, reverse
from graphc.ops.contract import einsum, tensordot
from graphc.ops.pad import pad
from graphc.ops.norm import norm
from graphc.ops.shape import constant_value as get_static_value
from graphc.ops.scan import cumprod, cumsum
from graphc.ops.sort import argsort, sort

install_operators(Tensor)

__all__ = [
    "RegisterGradient", "argmax", "argmin", "check_numerics", "concat", "cond", "constant",
    "custom_gradient", "expand_dims", "eye", "fill", "gather", "getitem", "group", "identity",
    "lin_space", "linspace", "matmul", "no_op", "one_hot", "ones", "ones_like", "placeholder",
    "placeholder_with_default",
    "random_normal", "random_uniform", "random_uniform_like", "range", "reduce_all",
    "reduce_any", "reduce_logsumexp",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "reshape",
    "rank_of", "set_random_seed", "shape_of", "size_of", "slice", "split", "squeeze", "stack",
    "stop_gradient", "tile", "transpose",
    "truncated_normal", "unstack", "while_loop", "zeros", "zeros_like",
]
__all__ += elementwise.__all__  # one function per elementwise op
__all__ += composite.__all__  # TensorFlow's functions composed of those ops
__all__ += ["argsort", "cumprod", "cumsum", "einsum", "matrix_band_part", "reverse", "sort",
            "tensordot"]  # cumulative ops, sorting, flips and bands, contractions
__all__ += ["Print", "get_static_value", "norm"]  # (tf.print: graphc.print, not in __all__)
__all__ += ["pad"]  # tf.pad (F.pad and the nn padding modules: graphc/nn/padding.py)
