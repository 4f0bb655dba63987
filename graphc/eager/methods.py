"""PyTorch's Tensor methods beyond the operators (ops/operators.py), installed by
install_methods():

- METHODS, on eager and graph tensors alike, so that a model's forward() runs on either
  (graph tensors build nodes): casts, reductions, shape changes, comparisons, add/sub with
  alpha, expand and repeat. Each is a torch.* function (functions.py, reductions.py,
  expansion.py) with the tensor first.
- OP_METHODS, on both too: every op function of graphc.ops that takes a tensor first
  (`x.sign()`, `x.cast(gc.int64)`, `x.reduce_sum(1)`), generated from graphc.ops.__all__.
  Where PyTorch has a method of the same name (transpose, squeeze, split, gather, tile,
  argmax, argmin, where, add, equal, cumsum, cumprod, sort, argsort), the method is
  PyTorch's, from METHODS.
- EAGER_METHODS, on eager tensors only: formatting, conversions to int, new_*, type()
  (a graph tensor's `.type` is its TensorType), is_contiguous(), the in-place add_/sub_
  with alpha, and the in-place fills of fills.py (fill_, normal_, uniform_, masked_fill_).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import graph as graph_ir
from graphc import ops
from graphc.dtypes import DType, as_dtype
from graphc.eager import (contractions, creation, expansion, extras, fills, functions,
                          ordering, reductions)
from graphc.eager.creation import LEGACY_TYPES
from graphc.eager.tensor import Tensor
from graphc.ops import bitwise, core, operators
from graphc.ops.elementwise import (cast, equal, greater, greater_equal, less, less_equal,
                                    not_equal, where)
from graphc.ops.shape import reshape_like

_LEGACY_NAME = {dtype: f"torch.{name}" for name, dtype in LEGACY_TYPES.items()}


def _as_type(self: Any, dtype: Any) -> Any:
    """This tensor as `dtype`: itself if it has that dtype already, else a (recorded) cast."""
    d = as_dtype(dtype)
    return self if self.dtype == d else cast(self, d)


def _caster(dtype: str) -> Any:
    def method(self: Any) -> Any:
        return _as_type(self, dtype)
    method.__doc__ = f"This tensor as {dtype} (itself if it is already)."
    return method


def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """type(): the legacy type name ('torch.FloatTensor'); type(dtype): the tensor as dtype
    (a dtype or a legacy name such as 'torch.LongTensor')."""
    if dtype is None:
        return _LEGACY_NAME[self.dtype.name]
    if isinstance(dtype, str) and dtype.removeprefix("torch.") in LEGACY_TYPES:
        dtype = LEGACY_TYPES[dtype.removeprefix("torch.")]
    return _as_type(self, dtype)


def format_(self: Tensor, spec: str) -> str:
    """f"{t:.2f}" formats a 0-d tensor's value, as PyTorch does; other tensors take only an
    empty spec (their repr)."""
    if self.ndim == 0 and type(self) is Tensor:
        return format(self.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: "
                        f"only a 0-d tensor formats as a number (this one has shape "
                        f"{self.shape}; use .item() or .tolist())")
    return repr(self)


def _index(self: Tensor) -> int:
    if self.numel() != 1 or self.dtype.is_floating:
        raise TypeError(f"only integer tensors of a single element can be converted to an "
                        f"index (this one: {self.dtype.name}, shape {self.shape})")
    return int(self.item())


def _new_dtype(self: Tensor, dtype: Any) -> DType:
    return self.dtype if dtype is None else as_dtype(dtype)


def new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False
               ) -> Tensor:
    """A new leaf holding `data`, with this tensor's dtype and device by default."""
    return creation.tensor(data, dtype=_new_dtype(self, dtype), requires_grad=requires_grad,
                           device=self.device)


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False
              ) -> Tensor:
    """Zeros of `size`, with this tensor's dtype and device by default."""
    return creation.zeros(*size, dtype=_new_dtype(self, dtype), requires_grad=requires_grad,
                          device=self.device)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False
             ) -> Tensor:
    """Ones of `size`, with this tensor's dtype and device by default."""
    return creation.ones(*size, dtype=_new_dtype(self, dtype), requires_grad=requires_grad,
                         device=self.device)


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`fill_value` in `size`, with this tensor's dtype and device by default."""
    return creation.full(size, fill_value, dtype=_new_dtype(self, dtype),
                         requires_grad=requires_grad, device=self.device)


def contiguous(self: Any, memory_format: Any = None) -> Any:
    """The tensor itself when its array is C-contiguous (always, for a graph tensor, which
    has no layout), else a C-ordered copy through which gradients flow (a transpose's or a
    sliced view's, which share memory with their input)."""
    if not core.is_eager(self) or _is_contiguous(self):
        return self
    return self.clone()


def _is_contiguous(self: Tensor, memory_format: Any = None) -> bool:
    """Whether the eager tensor's array is C-contiguous."""
    array = self.array
    if isinstance(array, np.ndarray):
        return bool(array.flags.c_contiguous)
    return bool(array.is_c_contiguous())  # (a device array)


def type_as(self: Any, other: Any) -> Any:
    """This tensor as other's dtype (itself if it has that dtype already)."""
    return _as_type(self, other.dtype)


def view_as(self: Any, other: Any) -> Any:
    """This tensor's elements in other's shape (its run-time shape, where a graph tensor's
    is not known while the graph is built)."""
    shape = other.shape
    if shape is not None and None not in shape:
        return functions.reshape(self, shape)
    return reshape_like(self, other)


def view(self: Tensor, *shape: Any) -> Any:
    """This tensor's elements in `shape`, sharing its memory (on the CPU); PyTorch's error
    where its layout cannot give that shape without a copy (a transposed matrix)."""
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list):
        try:
            dtype = as_dtype(shape[0])
        except (TypeError, ValueError):
            dtype = None
        if dtype is not None:
            raise TypeError(f"view({dtype.name}): a view that reinterprets the tensor's bytes "
                            f"as another dtype is not supported; .to({dtype.name}) converts "
                            "the values")
    out = operators.METHODS["view"](self, *shape)
    if out._base is None and self.numel() and self.device == "cpu":
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return out


# the in-place updates of tensor.py, which add_ and sub_ below extend with alpha
_ADD_, _SUB_ = Tensor.add_, Tensor.sub_


def add_(self: Tensor, other: Any, *args: Any, alpha: Any = None) -> Tensor:
    """self += alpha * other, in place (alpha defaults to 1; `p.data.add_(p.grad,
    alpha=-lr)`, or the deprecated `p.data.add_(-lr, p.grad)`)."""
    other, alpha = functions.alpha_arguments("add_", self, other, args, alpha)
    return _ADD_(self, functions.scaled(other, alpha))


def sub_(self: Tensor, other: Any, *args: Any, alpha: Any = None) -> Tensor:
    """self -= alpha * other, in place (alpha defaults to 1)."""
    other, alpha = functions.alpha_arguments("sub_", self, other, args, alpha)
    return _SUB_(self, functions.scaled(other, alpha))


# PyTorch's methods, on eager and graph tensors alike
METHODS: dict[str, Any] = {
    "float": _caster("float32"), "double": _caster("float64"), "long": _caster("int64"),
    "int": _caster("int32"), "bool": _caster("bool"),
    "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max,
    "min": reductions.min, "argmax": reductions.argmax, "argmin": reductions.argmin,
    "all": reductions.all, "any": reductions.any, "norm": reductions.norm,
    "softmax": reductions.softmax, "log_softmax": reductions.log_softmax,
    "unsqueeze": functions.unsqueeze, "squeeze": functions.squeeze,
    "flatten": functions.flatten, "transpose": functions.transpose, "t": functions.t,
    "view_as": view_as, "split": functions.split, "tile": functions.tile,
    "gather": functions.gather, "equal": functions.equal, "permute": functions.permute,
    "contiguous": contiguous, "expand": expansion.expand, "expand_as": expansion.expand_as,
    "repeat": expansion.repeat, "std": reductions.std, "var": reductions.var,
    "prod": reductions.prod, "masked_fill": functions.masked_fill, "type_as": type_as,
    "dot": functions.dot, "mv": functions.mv, "clip": functions.clip,
    "isnan": functions.isnan,
    "where": lambda self, condition, other: where(condition, self, other),
    "add": functions.add, "sub": functions.sub, "subtract": functions.sub,
    "mul": functions.mul, "div": functions.div, "neg": functions.neg,
    "eq": lambda self, other: equal(self, other),
    "ne": lambda self, other: not_equal(self, other),
    "lt": lambda self, other: less(self, other), "le": lambda self, other: less_equal(self, other),
    "gt": lambda self, other: greater(self, other),
    "ge": lambda self, other: greater_equal(self, other),
}

# PyTorch's scans, sorts, flips, bands, cuts and products (ordering.py, contractions.py)
METHODS.update({
    "cumsum": ordering.cumsum, "cumprod": ordering.cumprod, "sort": ordering.sort,
    "argsort": ordering.argsort, "topk": ordering.topk, "flip": ordering.flip,
    "tril": ordering.tril, "triu": ordering.triu, "chunk": ordering.chunk,
    "index_select": ordering.index_select, "outer": contractions.outer,
    "ger": contractions.ger, "bmm": contractions.bmm, "addmm": contractions.addmm,
    "logsumexp": reductions.logsumexp, "lerp": functions.lerp, "allclose": functions.allclose,
})

# PyTorch's rounding, float tests, cuts and selections (extras.py)
METHODS.update({
    "floor": extras.floor, "ceil": extras.ceil, "round": extras.round,
    "isinf": extras.isinf, "isfinite": extras.isfinite, "log1p": extras.log1p,
    "expm1": extras.expm1, "unbind": extras.unbind, "narrow": extras.narrow,
    "masked_select": extras.masked_select, "nonzero": extras.nonzero,
})

# PyTorch's logical and bitwise functions (ops/bitwise.py): any dtype for logical_*
METHODS.update({name: getattr(bitwise, name) for name in bitwise.__all__})

# The op functions of graphc.ops that do not take a tensor first (creators, control flow,
# registries, the joins of a list of tensors): these are not methods.
NOT_METHODS = frozenset({
    "RegisterGradient", "add_n", "concat", "cond", "constant", "custom_gradient", "einsum",
    "eye", "fill",
    "group", "lin_space", "linspace", "no_op", "ones", "placeholder", "placeholder_with_default",
    "random_normal", "random_uniform", "range", "set_random_seed", "stack", "truncated_normal",
    "while_loop", "zeros"})

# Every other op function, under its own name, where neither PyTorch's methods nor the
# operator tables (ops/operators.py) have a method of that name
OP_METHODS: dict[str, Any] = {
    name: getattr(ops, name) for name in ops.__all__
    if name not in NOT_METHODS and name not in METHODS and name not in operators.METHODS
    and name not in operators.OPERATORS}

# PyTorch's methods on eager tensors only
EAGER_METHODS: dict[str, Any] = {
    "type": type_, "__format__": format_, "__int__": lambda self: int(self.item()),
    "__index__": _index, "new_tensor": new_tensor, "new_zeros": new_zeros,
    "new_ones": new_ones, "new_full": new_full, "add_": add_, "sub_": sub_, "view": view,
    "is_contiguous": _is_contiguous, "fill_": fills.fill_, "normal_": fills.normal_,
    "uniform_": fills.uniform_, "masked_fill_": fills.masked_fill_,
    "clamp_": lambda self, min=None, max=None: self._update(  # noqa: A006
        "clamp_", lambda a, _: operators.clamp(a, min, max), None),
    "relu_": lambda self: self._update("relu_", lambda a, _: ops.relu(a), None),
    "scatter": extras.scatter, "scatter_": extras.scatter_,
}


def install_methods(eager: type = Tensor, graph: type = graph_ir.Tensor) -> None:
    """Give the eager and the graph Tensor class PyTorch's methods and the op functions'
    (after the shared operators), and the eager class its own."""
    for cls in (eager, graph):
        for name, fn in METHODS.items():
            setattr(cls, name, fn)
        for name, fn in OP_METHODS.items():
            if not hasattr(cls, name):  # (an attribute of the class's own stays)
                setattr(cls, name, fn)
    for name, fn in EAGER_METHODS.items():
        setattr(eager, name, fn)
