"""Eager mode: PyTorch-style tensors that compute as each op runs, with autograd.

Import as `import graphc.eager as torch`: a PyTorch beginner's program runs with that one
change (torch.nn and torch.optim are graphc.nn and graphc.optim; torch.utils.data is
graphc.eager.utils.data). Every op is graphc's own (one definition, one gradient rule), so
`gc.matmul(a, b)` on eager tensors computes at once as well.

`__version__` ("2.0.0+graphc") is for programs that check torch's version before using a
feature: it names the PyTorch API graphc follows, not graphc's own version.
"""

import builtins as _builtins
import importlib as _importlib
from typing import Any as _Any

from graphc.dtypes import bool, float32, float64, int32, int64  # noqa: A004
from graphc.eager import aliases as _aliases
from graphc.eager import autograd
from graphc.eager.creation import (arange, empty, eye, from_numpy, full, full_like,
                                   legacy_constructor, linspace, manual_seed, ones, ones_like,
                                   rand, rand_like, randint, randn, randn_like, randperm, tensor,
                                   zeros, zeros_like)
from graphc.eager.defaults import get_default_dtype, set_default_dtype
from graphc.eager.device import backends, cuda, device
from graphc.eager.function import Function, FunctionCtx
from graphc.eager.functions import (abs, add, cat, clamp, clip, cos, div, dot, equal, erf, exp,
                                    flatten, gather, isnan, log, masked_fill, matmul, maximum,
                                    minimum, mm, mul, mv, neg, numel, permute, pow, relu,
                                    reshape, sigmoid, sign, sin, split, sqrt, square, squeeze,
                                    stack, sub, t, tanh, tile, transpose, unsqueeze, where)
from graphc.eager.extras import (as_tensor, ceil, clone, expm1, floor, inference_mode,
                                 isfinite, isinf, log1p, masked_select, narrow, nonzero,
                                 round, scatter, set_printoptions, unbind)
from graphc.eager.contractions import addmm, bmm, einsum, ger, outer, tensordot
from graphc.eager.functions import allclose, lerp
from graphc.eager.ordering import (argsort, chunk, cumprod, cumsum, flip, index_select, sort,
                                   topk, tril, triu)
from graphc.eager.reductions import logsumexp
from graphc.ops.bitwise import (bitwise_and, bitwise_not, bitwise_or, bitwise_xor,
                               logical_and, logical_not, logical_or, logical_xor)
from graphc.eager.methods import install_methods as _install_methods
from graphc.eager.reductions import (all, any, argmax, argmin, log_softmax, max, mean, min,
                                     norm, prod, softmax, std, sum, var)
from graphc.eager.serialization import load, save
from graphc.eager.tape import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from graphc.eager.printing import Size  # what .shape and .size() give
from graphc.eager.tensor import Tensor

__version__ = "2.0.0+graphc"

# PyTorch's dtype names
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001

FloatTensor = legacy_constructor("FloatTensor")
DoubleTensor = legacy_constructor("DoubleTensor")
LongTensor = legacy_constructor("LongTensor")
IntTensor = legacy_constructor("IntTensor")
BoolTensor = legacy_constructor("BoolTensor")


def is_tensor(obj: _Any) -> _builtins.bool:
    """Whether obj is an eager tensor."""
    return isinstance(obj, Tensor)


_install_methods()
_aliases.install()


def __getattr__(name: str) -> _Any:
    """torch.nn and torch.optim: graphc.nn and graphc.optim; torch.utils: graphc.eager.utils.
    Each is imported on first use (they build on this package)."""
    if name in ("nn", "optim"):
        return _importlib.import_module(f"graphc.{name}")
    if name == "utils":
        return _importlib.import_module("graphc.eager.utils")
    raise AttributeError(f"module 'graphc.eager' has no attribute {name!r}")


__all__ = [
    "BoolTensor", "DoubleTensor", "FloatTensor", "Function", "FunctionCtx", "IntTensor",
    "LongTensor", "Size", "Tensor", "abs", "add", "all", "any", "arange", "argmax", "argmin",
    "autograd", "backends", "bool", "cat", "clamp", "clip", "cos", "cuda", "device", "div",
    "dot", "double",
    "empty", "enable_grad", "equal", "erf", "exp", "eye", "flatten", "float", "float32", "float64",
    "from_numpy", "full", "full_like", "gather", "get_default_dtype", "int", "int32", "int64",
    "is_grad_enabled", "is_tensor", "isnan", "linspace", "load", "log", "log_softmax", "long",
    "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum", "mm",
    "mul", "mv", "neg", "no_grad", "norm", "numel", "ones", "ones_like", "permute", "pow",
    "prod", "rand", "rand_like", "randint", "randn", "randn_like", "randperm", "relu",
    "reshape", "save", "set_default_dtype", "set_grad_enabled", "sigmoid", "sign", "sin",
    "softmax", "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "sum", "t", "tanh",
    "tensor", "tile", "transpose", "unsqueeze", "var", "where", "zeros", "zeros_like",
]
__all__ += ["addmm", "allclose", "argsort", "bmm", "chunk", "cumprod", "cumsum", "einsum",
            "flip", "ger", "index_select", "lerp", "logsumexp", "outer", "sort", "tensordot",
            "topk", "tril", "triu"]
__all__ += ["bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "logical_and",
            "logical_not", "logical_or", "logical_xor"]
__all__ += ["as_tensor", "ceil", "clone", "expm1", "floor", "inference_mode", "isfinite",
            "isinf", "log1p", "masked_select", "narrow", "nonzero", "round", "scatter",
            "set_printoptions", "unbind"]  # (eager/extras.py)
