"""Making eager tensors: from data (copied, or shared with numpy), random, filled, ranges."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import graph as graph_ir
from graphc.dtypes import DType, as_dtype
from graphc.eager.defaults import get_default_dtype
from graphc.eager.tensor import Tensor, _check_differentiable
from graphc.ops.constant import FILL_LIKE
from graphc.ops.core import apply
from graphc.runtime.arrays import host
from graphc.runtime.cuda.device import check_device, to_device

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the generator behind randn and rand."""
    global _rng
    _rng = np.random.default_rng(seed)


def _default_np_dtype(data: Any) -> np.dtype:
    """PyTorch's defaults: numpy data keeps its dtype; Python floats take the default dtype
    (float32 unless set_default_dtype changed it), ints int64."""
    if isinstance(data, np.ndarray | np.generic):
        return as_dtype(data.dtype).np
    kind = np.asarray(data).dtype.kind
    if kind not in "biuf":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} data")
    return {"b": np.dtype(np.bool_), "f": get_default_dtype().np}.get(kind, np.dtype(np.int64))


def _float_dtype(dtype: Any) -> DType:
    """`dtype`, or the default floating-point dtype when it is None."""
    return get_default_dtype() if dtype is None else as_dtype(dtype)


def _make(array: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    """A leaf holding `array`, moved to `device` (values are made on the host, so a seed
    gives the same numbers on every device)."""
    t = Tensor(to_device(array) if check_device(device) == "cuda" else array)
    _check_differentiable(t.dtype, requires_grad)
    t.requires_grad = requires_grad
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           device: Any = "cpu") -> Tensor:
    """A new leaf tensor holding a copy of `data` (a list, scalar, array or tensor)."""
    if isinstance(data, Tensor):
        data = host(data.array)
    np_dtype = as_dtype(dtype).np if dtype is not None else _default_np_dtype(data)
    return _make(np.array(data, dtype=np_dtype, copy=True), requires_grad, device)


def _shape(shape: tuple[Any, ...], size: Any = None, function: str = "") -> tuple[int, ...]:
    """The shape from PyTorch's spellings: zeros(2, 3), zeros((2, 3)), zeros(size=(2, 3))."""
    if size is not None:
        if shape:
            raise TypeError(f"{function}(): give the sizes or size=, not both")
        shape = (size,)
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


def randn(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = "cpu") -> Tensor:
    """Samples of the standard normal distribution."""
    dims = _shape(shape, size, "randn")
    return _make(_rng.standard_normal(dims).astype(_float_dtype(dtype).np), requires_grad,
                 device)


def rand(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         device: Any = "cpu") -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    dims = _shape(shape, size, "rand")
    return _make(_rng.random(dims).astype(_float_dtype(dtype).np), requires_grad, device)


def zeros(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = "cpu") -> Tensor:
    """A tensor of zeros."""
    dims = _shape(shape, size, "zeros")
    return _make(np.zeros(dims, _float_dtype(dtype).np), requires_grad, device)


def ones(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         device: Any = "cpu") -> Tensor:
    """A tensor of ones."""
    dims = _shape(shape, size, "ones")
    return _make(np.ones(dims, _float_dtype(dtype).np), requires_grad, device)


def empty(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = "cpu") -> Tensor:
    """A tensor of the given shape (graphc fills it with zeros)."""
    return zeros(*_shape(shape, size, "empty"), dtype=dtype, requires_grad=requires_grad,
                 device=device)


def _fill_dtype(value: Any) -> DType:
    """PyTorch's dtype for a Python fill value: bool, int64, or the default float dtype."""
    kind = np.asarray(value).dtype.kind
    if kind not in "biuf":
        raise TypeError(f"full: fill_value must be a number or bool, not {type(value).__name__}")
    return as_dtype({"b": "bool", "f": get_default_dtype().name}.get(kind, "int64"))


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = "cpu") -> Tensor:
    """A tensor of shape `size` holding `fill_value` everywhere."""
    d = _fill_dtype(fill_value) if dtype is None else as_dtype(dtype)
    return _make(np.full(_shape((size,)), fill_value, d.np), requires_grad, device)


def _like(t: Any, fill: Any, dtype: Any, requires_grad: bool, device: Any,
          function: str) -> Any:
    if isinstance(t, graph_ir.Tensor):
        return _graph_like(t, fill, dtype, requires_grad, device, function)
    if not isinstance(t, Tensor):
        raise TypeError(f"{function}: expected an eager or a graph tensor, got "
                        f"{type(t).__name__}")
    d = t.dtype if dtype is None else as_dtype(dtype)
    return _make(np.full(t.shape, fill, d.np), requires_grad,
                 t.device if device is None else device)


def _graph_like(t: graph_ir.Tensor, fill: Any, dtype: Any, requires_grad: bool, device: Any,
                function: str) -> graph_ir.Tensor:
    """A graph node holding `fill` in the run-time shape of the graph tensor t (so a model
    function written for eager tensors builds a graph too)."""
    if requires_grad:
        raise TypeError(f"{function}: requires_grad=True is for eager tensors, and the input "
                        f"'{t.name}' is a graph tensor; in a graph, gc.gradients gives "
                        "gradients with respect to a placeholder or a Variable")
    if device is not None:
        check_device(device)  # (a graph's device is its Session's)
    d = t.dtype if dtype is None else as_dtype(dtype)
    return apply(FILL_LIKE, t, name=function, value=d.np.type(fill).item(), dtype=d)


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False,  # noqa: A002
               device: Any = None) -> Any:
    """Zeros of input's shape, dtype and device (of a graph tensor: a graph node)."""
    return _like(input, 0, dtype, requires_grad, device, "zeros_like")


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False,  # noqa: A002
              device: Any = None) -> Any:
    """Ones of input's shape, dtype and device (of a graph tensor: a graph node)."""
    return _like(input, 1, dtype, requires_grad, device, "ones_like")


def full_like(input: Any, fill_value: Any, dtype: Any = None,  # noqa: A002
              requires_grad: bool = False, device: Any = None) -> Any:
    """`fill_value` in input's shape, dtype and device (of a graph tensor: a graph node)."""
    return _like(input, fill_value, dtype, requires_grad, device, "full_like")


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (computed in float64, then
    rounded to `dtype`)."""
    values = np.linspace(float(start), float(end), int(steps))
    return _make(values.astype(_float_dtype(dtype).np), requires_grad, device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Values from start (default 0) up to end, exclusive, by step: int64 when all three are
    integers, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = "int64" if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(as_dtype(dtype).np), requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None,
            requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Integers drawn uniformly from [low, high) (randint(high, size) draws from [0, high))."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: give size, a tuple of dims")
    values = _rng.integers(low, high, _shape((size,)))
    return _make(values.astype(as_dtype(dtype or "int64").np), requires_grad, device)


def randperm(n: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = "cpu") -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _make(_rng.permutation(int(n)).astype(as_dtype(dtype or "int64").np),
                 requires_grad, device)


def _eager_input(input: Any, function: str, instead: str) -> None:  # noqa: A002
    if isinstance(input, graph_ir.Tensor):
        raise TypeError(f"{function}: the input '{input.name}' is a graph tensor; eager "
                        f"random values cannot fill a graph tensor's run-time shape (in a "
                        f"graph, use {instead})")


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Standard normal samples in input's shape (and dtype, device)."""
    _eager_input(input, "randn_like", "gc.random_normal(shape)")
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 device=input.device)


def rand_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Uniform [0, 1) samples in input's shape (and dtype, device)."""
    _eager_input(input, "rand_like", "gc.random_uniform_like(x)")
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=input.device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = "cpu") -> Tensor:
    """The n x m identity matrix (m defaults to n)."""
    return _make(np.eye(n, m, dtype=_float_dtype(dtype).np), requires_grad, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory: changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    as_dtype(array.dtype)  # a TypeError naming the supported dtypes for any other
    if not array.dtype.isnative:
        raise TypeError(f"from_numpy: the array's byte order is not native ({array.dtype}); "
                        "use array.astype(array.dtype.newbyteorder('='))")
    return Tensor(array)


# PyTorch's legacy tensor types by name, and their dtypes (torch.FloatTensor(...))
LEGACY_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "LongTensor": "int64",
                "IntTensor": "int32", "BoolTensor": "bool"}


def legacy_constructor(name: str) -> Any:
    """torch.FloatTensor and its kin: Tensor(...)'s spellings (sizes, or data), as the type's
    dtype."""
    dtype = as_dtype(LEGACY_TYPES[name])

    def make(*args: Any) -> Tensor:
        t = Tensor(*args)
        return t if t.dtype == dtype else Tensor(host(t.array).astype(dtype.np))
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A new {dtype.name} tensor: {name}(2, 3) of that shape, {name}([...]) " \
                   "holding a copy of the data."
    return make
