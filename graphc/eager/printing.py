"""How eager tensors print, as PyTorch prints them: repr(tensor) (torch/_tensor_str.py's
rules: 4 decimals, a common width, integers of a float tensor as "1.", scientific notation
for a wide range of magnitudes, summarized with "..." past 1000 elements), torch.Size, and
the names of recorded ops as grad_fn shows them (<MulBackward0>).
"""

from __future__ import annotations

import math
import sys
from typing import Any, SupportsIndex, overload

import numpy as np

from graphc.eager.defaults import get_default_dtype
from graphc.registry import OPS
from graphc.runtime.arrays import host

PRECISION = 4  # PyTorch's print options (torch.set_printoptions' defaults)
THRESHOLD: float = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE: bool | None = None  # None: chosen from the values


class Size(tuple):  # type: ignore[type-arg]
    """A tensor's shape (what .shape and .size() give): a tuple of ints that prints as
    PyTorch's, torch.Size([2, 3]); a slice of it, or it plus a tuple, is a Size too.

    graphc's own messages, formatted by graphc's code (f"shape {t.shape}"), keep writing
    shapes as tuples, (2, 3), for graph and eager tensors alike."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)!r})"

    def __format__(self, spec: str) -> str:
        if not spec and sys._getframe(1).f_globals.get("__name__", "").startswith("graphc."):
            return tuple.__repr__(self)
        return tuple.__format__(self, spec)

    @overload
    def __getitem__(self, index: SupportsIndex) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Size: ...

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)


# -- tensors ----------------------------------------------------------------------------------

class _Formatter:
    """One width and one notation for every element (PyTorch's _Formatter)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max([self.width, *(len(str(v)) for v in flat.tolist())])
            return
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite.astype(np.float64))
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        numbers = finite.tolist()
        wide = largest / smallest > 1000.0 or largest > 1.0e8
        self.sci_mode = (wide if self.int_mode else wide or smallest < 1.0e-4) \
            if SCI_MODE is None else SCI_MODE
        if self.sci_mode:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in numbers)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in numbers)
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in numbers)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return " " * (self.width - len(text)) + text


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (the first and last EDGEITEMS along each dim),
    for the formatter's width."""
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        if values.shape[0] > 2 * EDGEITEMS:
            return np.concatenate([values[:EDGEITEMS], values[-EDGEITEMS:]])
        return values
    rows = list(values[:EDGEITEMS]) + list(values[-EDGEITEMS:]) \
        if values.shape[0] > 2 * EDGEITEMS else list(values)
    return np.stack([_summarized(r) for r in rows])


def _vector(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (formatter.width + 2))
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        items = [formatter.format(v) for v in values[:EDGEITEMS].tolist()] + [" ..."] + \
            [formatter.format(v) for v in values[-EDGEITEMS:].tolist()]
    else:
        items = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, formatter)
    n = values.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        slices = [_nested(values[i], indent + 1, summarize, formatter) for i in range(EDGEITEMS)]
        slices += ["..."] + [_nested(values[i], indent + 1, summarize, formatter)
                             for i in range(n - EDGEITEMS, n)]
    else:
        slices = [_nested(values[i], indent + 1, summarize, formatter) for i in range(n)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_repr(t: Any) -> str:
    """repr(t) for an eager tensor, as PyTorch writes it: tensor([[1., 2.],\\n        [3., 4.]]),
    tensor(3.5000), tensor([1, 2, 3]), then device, dtype (when neither the default float
    dtype nor int64 or bool), and grad_fn or requires_grad."""
    prefix = "tensor("
    indent = len(prefix)
    values = host(t.array)
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    suffixes = []
    if t.device != "cpu":
        suffixes.append("device='cuda:0'")
    dtype = t.dtype
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype != get_default_dtype():
            suffixes.append(f"dtype=torch.{dtype.name}")
        body = "[]"
    else:
        if dtype != get_default_dtype() and dtype.name not in ("int64", "bool"):
            suffixes.append(f"dtype=torch.{dtype.name}")
        summarize = values.size > THRESHOLD
        formatter = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """The suffixes after the values, each on a new line where the line would pass
    LINEWIDTH (PyTorch's _add_suffixes)."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


# -- grad_fn names ------------------------------------------------------------------------------

# graphc's ops whose PyTorch counterpart has one backward name whatever the arguments
_BACKWARD = {
    "subtract": "SubBackward0", "multiply": "MulBackward0", "divide": "DivBackward0",
    "negative": "NegBackward0", "square": "PowBackward0", "sqrt": "SqrtBackward0",
    "exp": "ExpBackward0", "log": "LogBackward0", "abs": "AbsBackward0",
    "sin": "SinBackward0", "cos": "CosBackward0", "tanh": "TanhBackward0",
    "sigmoid": "SigmoidBackward0", "relu": "ReluBackward0", "erf": "ErfBackward0",
    "sign": "SignBackward0", "floor": "FloorBackward0", "round": "RoundBackward0",
    "maximum": "MaximumBackward0", "minimum": "MinimumBackward0", "where": "WhereBackward0",
    "reshape_like": "ViewBackward0",
    "expand_dims": "UnsqueezeBackward0", "cast": "ToCopyBackward0",
    "identity": "CloneBackward0", "concat": "CatBackward0", "broadcast_like": "ExpandBackward0",
    "tile": "RepeatBackward0", "gather": "IndexSelectBackward0",
    "take_along_axis": "GatherBackward0", "conv2d": "ConvolutionBackward0",
    "cumsum": "CumsumBackward0", "cumprod": "CumprodBackward0",
    "scatter_add": "ScatterAddBackward0", "index_add": "IndexAddBackward0",
    "setitem": "CopySlices", "matmul_add": "AddmmBackward0", "floormod": "RemainderBackward0",
}

# reductions: (over every dim, over some dims)
_REDUCTIONS = {
    "reduce_sum": ("SumBackward0", "SumBackward1"),
    "reduce_mean": ("MeanBackward0", "MeanBackward1"),
    "reduce_max": ("MaxBackward1", "MaxBackward0"),
    "reduce_min": ("MinBackward1", "MinBackward0"),
    "reduce_prod": ("ProdBackward0", "ProdBackward1"),
}


def backward_name(record: Any) -> str:
    """The name grad_fn prints for a recorded op (PyTorch's, where graphc's op and its
    arguments tell which it is; else the op's name in CamelCase and "Backward"); a
    Function subclass's record, its class name and "Backward", as PyTorch's."""
    name = record.name
    if name not in OPS:
        return f"{name}Backward"
    if name in _BACKWARD:
        return _BACKWARD[name]
    values, attrs = record.values, record.attrs or {}
    ndims = [getattr(v, "ndim", 0) for v in values]
    if name in _REDUCTIONS:
        axis = attrs.get("axis")
        axes = (axis,) if isinstance(axis, int) else axis
        whole = not attrs.get("keepdims") and (
            axes is None or sorted(a % max(ndims[0], 1) for a in axes) == list(range(ndims[0])))
        return _REDUCTIONS[name][0 if whole else 1]
    if name == "add":
        first, (out, bias) = record.edges[0], values[:2]
        if getattr(first, "name", None) == "matmul" and ndims[1] == 1 and \
                first.attrs.get("transpose_b") and \
                [getattr(v, "ndim", 0) for v in first.values] == [2, 2]:
            return "AddmmBackward0"  # (nn.Linear's x @ weight.T + bias)
        if getattr(first, "name", None) == "conv2d" and 0 < ndims[1] < ndims[0] and \
                bias.array.size == max(bias.shape) and max(bias.shape) in out.shape[1:]:
            return "ConvolutionBackward0"  # (nn.Conv2d's bias, added by channel)
        return "AddBackward0"
    if name == "matmul":
        return {(2, 2): "MmBackward0", (2, 1): "MvBackward0",
                (1, 1): "DotBackward0"}.get((ndims[0], ndims[1]), "UnsafeViewBackward0")
    if name == "reshape":
        first = record.edges[0]
        if getattr(first, "name", None) == "matmul" and ndims[0] == 2 and \
                values[0].shape[-1] == 1 and len(attrs.get("shape", ())) < 2:
            # (matrix @ vector and vector @ vector: a matmul of the vector as a column)
            return "MvBackward0" if len(attrs["shape"]) else "DotBackward0"
        return "ViewBackward0"
    if name == "pow":
        if record.edges[1] is None:
            return "PowBackward0"
        return "PowBackward2" if record.edges[0] is None and ndims[0] == 0 else "PowBackward1"
    if name == "transpose":
        perm = attrs.get("perm")
        if ndims[0] == 2 and perm is None:
            return "TBackward0"
        moved = sum(p != i for i, p in enumerate(perm)) if perm is not None else ndims[0]
        return "TransposeBackward0" if moved == 2 else "PermuteBackward0"
    if name == "squeeze":
        return "SqueezeBackward0" if attrs.get("axis") is None else "SqueezeBackward1"
    if name == "getitem":
        return _index_backward(attrs.get("index"))
    if name in ("max_pool", "avg_pool") and len(attrs.get("ksize", ())) in (1, 2, 3):
        spatial = len(attrs["ksize"])
        return f"MaxPool{spatial}DWithIndicesBackward0" if name == "max_pool" else \
            f"AvgPool{spatial}DBackward0"
    return "".join(part.capitalize() for part in name.split("_")) + "Backward"


def _index_backward(index: Any) -> str:
    """t[index]'s: SelectBackward0 for an int last, SliceBackward0 for a slice,
    IndexBackward0 for a list, array or tensor of indices or a mask."""
    items = [i for i in (index if isinstance(index, tuple) else (index,))
             if not (i is Ellipsis or (isinstance(i, slice) and i == slice(None)))]
    if any(not isinstance(i, int | np.integer | slice | type(None)) for i in items):
        return "IndexBackward0"
    if not items or isinstance(items[-1], slice):
        return "SliceBackward0"
    return "UnsqueezeBackward0" if items[-1] is None else "SelectBackward0"
