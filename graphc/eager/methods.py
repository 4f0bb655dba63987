"""PyTorch's Tensor methods beyond the operators (ops/operators.py): casts, reductions,
shape changes, comparisons, formatting. Each is a torch.* function (functions.py,
reductions.py) with the tensor first, installed on the eager Tensor by install_methods()."""

from __future__ import annotations

from typing import Any

from graphc.dtypes import DType, as_dtype
from graphc.eager import creation, functions, reductions
from graphc.eager.creation import LEGACY_TYPES
from graphc.eager.tensor import Tensor
from graphc.ops.elementwise import (cast, cos, equal, greater, greater_equal, less, less_equal,
                                    not_equal, sin, sqrt, square)

_LEGACY_NAME = {dtype: f"torch.{name}" for name, dtype in LEGACY_TYPES.items()}


def _as_type(self: Tensor, dtype: Any) -> Tensor:
    """This tensor as `dtype`: itself if it has that dtype already, else a recorded cast."""
    d = as_dtype(dtype)
    return self if self.dtype == d else cast(self, d)  # type: ignore[return-value]


def _caster(dtype: str) -> Any:
    def method(self: Tensor) -> Tensor:
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


METHODS: dict[str, Any] = {
    "float": _caster("float32"), "double": _caster("float64"), "long": _caster("int64"),
    "int": _caster("int32"), "bool": _caster("bool"), "type": type_,
    "__format__": format_, "__int__": lambda self: int(self.item()), "__index__": _index,
    "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max,
    "min": reductions.min, "argmax": reductions.argmax, "argmin": reductions.argmin,
    "all": reductions.all, "any": reductions.any, "norm": reductions.norm,
    "softmax": reductions.softmax, "log_softmax": reductions.log_softmax,
    "unsqueeze": functions.unsqueeze, "squeeze": functions.squeeze,
    "flatten": functions.flatten, "transpose": functions.transpose, "t": functions.t,
    "view_as": lambda self, other: functions.reshape(self, other.shape),
    "sin": lambda self: sin(self), "cos": lambda self: cos(self),
    "sqrt": lambda self: sqrt(self), "square": lambda self: square(self),
    "add": functions.add, "sub": functions.sub, "mul": functions.mul, "div": functions.div,
    "neg": functions.neg,
    "eq": lambda self, other: equal(self, other),
    "ne": lambda self, other: not_equal(self, other),
    "lt": lambda self, other: less(self, other), "le": lambda self, other: less_equal(self, other),
    "gt": lambda self, other: greater(self, other),
    "ge": lambda self, other: greater_equal(self, other),
    "new_tensor": new_tensor, "new_zeros": new_zeros, "new_ones": new_ones,
    "new_full": new_full,
}


def install_methods(cls: type = Tensor) -> None:
    """Give the eager Tensor class PyTorch's methods (after the shared operators)."""
    for name, fn in METHODS.items():
        setattr(cls, name, fn)
