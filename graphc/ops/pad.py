"""Padding: the `pad` op (TensorFlow's tf.pad, the op under PyTorch's F.pad and its
nn.*Pad* modules), and its gradient op, `pad_grad`.

Modes. "constant" surrounds the input with a value; "reflect" mirrors it about its edge
elements, which are not repeated (abc -> cb|abc|ba); "symmetric" mirrors it about its edges,
repeating them (abc -> ba|abc|cb; TensorFlow's SYMMETRIC); "replicate" repeats the edge
element (abc -> aa|abc|cc; numpy's "edge"); "circular" wraps around (abc -> bc|abc|ab;
numpy's "wrap"). The pads of one dim are limited as TensorFlow and PyTorch limit them:
less than the dim's size for "reflect", at most its size for "symmetric" and "circular",
and "replicate" needs an element to repeat. Pads are non-negative (PyTorch's cropping by a
negative pad is F.pad's, which slices first: graphc/nn/padding.py).

Every mode but "constant" reads each output element from one input element, chosen dim by
dim: along a dim of size n, output position i reads input position idx[i], where idx is
np.pad(arange(n), pads, mode). So padding is x -> P x with P a selection, its gradient
P^T g adds each output's gradient back into the input element it read (`pad_grad`), and
pad_grad's own gradient is P h: the same padding of h. The gradient of "constant" padding
is the middle block of g, a slice.

Backends. The ops set OpDef.host: the numba backend runs them in its host program on
these numpy references (np.pad, and a sum over the pads' slabs), as for ops/conv.py's; on
CUDA they run on the references on host copies, with the backend's FallbackWarning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.ops.index import getitem
from graphc.registry import GradOp, OpDef, register

Pads = tuple[tuple[int, int], ...]

MODES = ("constant", "reflect", "symmetric", "replicate", "circular")
ALIASES = {"edge": "replicate", "wrap": "circular"}  # numpy's names


# -- shape rules ---------------------------------------------------------------------------
def check_pads(shape: shapes.Shape, paddings: Pads, mode: str) -> None:
    """Raise ValueError, naming the shape, the dim and its pads, where the pads do not suit
    the input's shape in this mode (dims of unknown size are not checked)."""
    if shape is None:
        return
    if len(shape) != len(paddings):
        raise ValueError(f"paddings {_fmt_pads(paddings)} must have one (before, after) pair "
                         f"per dimension of the input, shape {shapes.fmt(shape)}")
    for axis, (n, (before, after)) in enumerate(zip(shape, paddings)):
        if n is None or before == after == 0:
            continue
        rule = None
        if mode == "reflect" and max(before, after) >= n:
            rule = "each pad must be less than the dimension size"
        elif mode in ("symmetric", "circular") and max(before, after) > n:
            rule = "each pad must be no greater than the dimension size" + (
                " (a pad may not wrap around more than once)" if mode == "circular" else "")
        elif mode == "replicate" and n == 0:
            rule = "a dimension of size 0 has no element to repeat"
        if rule is not None:
            raise ValueError(f"mode '{mode}' pads dimension {axis} (size {n}) of shape "
                             f"{shapes.fmt(shape)} by ({before}, {after}): {rule}")


def _pad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    paddings = attrs["paddings"]
    check_pads(x.shape, paddings, attrs["mode"])
    dims = (None,) * len(paddings) if x.shape is None else x.shape
    return TensorType(x.dtype, tuple(None if d is None else d + before + after
                                     for d, (before, after) in zip(dims, paddings)))


def _pad_grad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (g,) = types
    paddings = attrs["paddings"]
    if g.shape is not None and len(g.shape) != len(paddings):
        raise ValueError(f"the gradient has shape {shapes.fmt(g.shape)}, but the padding "
                         f"{_fmt_pads(paddings)} has {len(paddings)} dimensions")
    dims = (None,) * len(paddings) if g.shape is None else g.shape
    inner: list[int | None] = []
    for d, (before, after) in zip(dims, paddings):
        if d is not None and d < before + after:
            raise ValueError(f"the gradient has shape {shapes.fmt(g.shape)}, smaller than "
                             f"the padding {_fmt_pads(paddings)}")
        inner.append(None if d is None else d - before - after)
    check_pads(tuple(inner), paddings, attrs["mode"])
    return TensorType(g.dtype, tuple(inner))


def _fmt_pads(paddings: Pads) -> str:
    return "[" + ", ".join(f"[{before}, {after}]" for before, after in paddings) + "]"


# -- references ------------------------------------------------------------------------------
_NUMPY_MODES = {"reflect": "reflect", "symmetric": "symmetric", "replicate": "edge",
                "circular": "wrap"}


def _pad_ref(x: np.ndarray, paddings: Pads, mode: str, constant_values: Any) -> np.ndarray:
    check_pads(x.shape, paddings, mode)  # (sizes known only now: the shape rule's checks)
    if x.ndim == 0:  # (nothing to pad; numpy reads an empty pad list as floats)
        return x.copy()
    if mode == "constant":
        return np.pad(x, paddings, constant_values=constant_values)
    return np.pad(x, paddings, mode=_NUMPY_MODES[mode])  # type: ignore[call-overload]


def _sources(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Which input position along a dim of size n each output position reads."""
    return np.pad(np.arange(n), (before, after), mode=_NUMPY_MODES[mode])  # type: ignore


def _pad_grad_ref(g: np.ndarray, paddings: Pads, mode: str) -> np.ndarray:
    # (sizes known only now: the shape rule's checks)
    inner = _pad_grad_infer([TensorType(as_dtype(g.dtype), g.shape)],
                            {"paddings": paddings, "mode": mode}).shape
    assert inner is not None
    dx = g
    for axis, (before, after) in enumerate(paddings):  # one dim at a time: P is separable
        if before == after == 0:
            continue
        n = inner[axis]
        assert n is not None
        moved = np.moveaxis(dx, axis, 0)
        out = np.array(moved[before:before + n])  # each input position read where it lies
        source = _sources(n, before, after, mode)
        for i in (*range(before), *range(before + n, before + n + after)):
            out[source[i]] += moved[i]  # and each pad position's read, added back
        dx = np.moveaxis(out, 0, axis)
    return np.ascontiguousarray(dx)


# -- gradient rules and registration ---------------------------------------------------------
def _pad_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = P x (a selection: the input surrounded by a constant or by its own
    # elements); backward dx = P^T g: for "constant" the middle block of g, otherwise
    # pad_grad, which adds each pad element's gradient into the element it copies
    paddings, mode = op.attrs["paddings"], op.attrs["mode"]
    if mode == "constant":
        return (getitem(g, tuple(slice(before, -after if after else None)
                                 for before, after in paddings)),)
    return (apply(PAD_GRAD, g, paddings=paddings, mode=mode),)


def _pad_grad_grad(op: GradOp, h: Any) -> tuple[Any]:
    # forward dx = P^T g, linear in g; backward dg = P h, the same padding of h
    return (apply(PAD, h, paddings=op.attrs["paddings"], mode=op.attrs["mode"],
                  constant_values=0),)


PAD = register(OpDef("pad", _pad_infer, _pad_ref, _pad_grad, host=True))
PAD_GRAD = register(OpDef("pad_grad", _pad_grad_infer, _pad_grad_ref, _pad_grad_grad,
                          host=True))


# -- builders --------------------------------------------------------------------------------
def as_tensor(x: Any, function: str) -> Any:
    """x as is when it is a graph or eager tensor; else a constant of x."""
    if isinstance(x, Tensor) or core.is_eager(x):
        return x
    return core.convert_to_tensor(x, op=function)


def pad_op(x: Any, paddings: Sequence[Sequence[int]], mode: str = "constant",
           constant_values: Any = 0, name: str | None = None, function: str = "pad") -> Any:
    """x padded by paddings, one (before, after) pair of non-negative ints per dim of x, in
    `mode` (MODES, or numpy's "edge" and "wrap"), with constant_values (a number, cast to
    x's dtype) in mode "constant"; errors name `function`."""
    x = as_tensor(x, function)
    mode = ALIASES.get(mode, mode)
    if mode not in MODES:
        raise ValueError(f"{function}: mode must be one of {list(MODES)}, not {mode!r}")
    pads = tuple((int(before), int(after)) for before, after in paddings)
    if any(before < 0 or after < 0 for before, after in pads):
        raise ValueError(f"{function}: negative pads (cropping) are not supported: paddings "
                         f"{_fmt_pads(pads)}")
    shape = x.shape if isinstance(x, Tensor) else tuple(x.shape)
    if shape is not None and len(shape) != len(pads):
        raise ValueError(f"{function}: paddings {_fmt_pads(pads)} must have one (before, "
                         f"after) pair per dimension of the input, shape {shapes.fmt(shape)}")
    value = fill_value(constant_values, x, function) if mode == "constant" else 0
    return apply(PAD, x, name=name, paddings=pads, mode=mode, constant_values=value)


def fill_value(value: Any, x: Any, function: str) -> Any:
    """A constant value for x's padding as a Python number of x's kind: a number, a numpy
    scalar, or a scalar graph constant or eager tensor."""
    if isinstance(value, Tensor):
        if value.node.op != "constant":
            raise TypeError(f"{function}: constant_values must be a number known when the "
                            f"graph is built; {value.name} is computed at run time")
        value = value.node.attrs["value"]
    elif core.is_eager(value):
        value = value.array
    if np.ndim(value) != 0:
        raise ValueError(f"{function}: constant_values must be a scalar, got shape "
                         f"{shapes.fmt(np.shape(value))}")
    dtype = as_dtype(x.dtype)
    if dtype.is_bool and np.asarray(value).dtype.kind in "iu" and value in (0, 1):
        return bool(value)  # (the default 0 pads a bool tensor with False)
    return core.as_array(value, dtype, function).item()


def _pad_matrix(paddings: Any, shape: shapes.Shape) -> Pads:
    """TensorFlow's paddings (a [rank, 2] list, array or constant tensor of ints) as pairs,
    with TensorFlow's words for a matrix of the wrong shape."""
    value = paddings
    if isinstance(paddings, Tensor):
        if paddings.node.op != "constant":
            raise TypeError(f"pad: paddings must be known when the graph is built (a list of "
                            f"[before, after] pairs, or a constant); {paddings.name} is "
                            "computed at run time")
        value = paddings.node.attrs["value"]
    elif core.is_eager(paddings):
        value = paddings.array
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(f"pad: paddings must be a [rank, 2] matrix of ints, one [before, "
                         f"after] pair per dimension of the input; got {value!r}") from None
    if array.size == 0 and array.dtype.kind == "f":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"pad: paddings must be ints, got {array.dtype} values {value!r}")
    given = "[" + ",".join(str(d) for d in array.shape) + "]"
    inputs = "?" if shape is None else \
        "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    where = f"for 'Pad' with input shapes: {inputs}, {given}"
    if array.ndim != 2:
        problem = f"Shape must be rank 2 but is rank {array.ndim}"
    elif array.shape[1] != 2:
        problem = f"Dimension must be 2 but is {array.shape[1]}"
    elif shape is not None and array.shape[0] != len(shape):
        problem = f"Shape must be rank {array.shape[0]} but is rank {len(shape)}"
    else:
        return tuple((int(before), int(after)) for before, after in array.tolist())
    raise ValueError(f"pad: {problem} {where} (paddings must hold one [before, after] pair "
                     "per dimension of the input)")


TF_MODES = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
        constant_values: Any = 0) -> Any:
    """tensor padded as TensorFlow 1's tf.pad: paddings holds one [before, after] pair of
    ints per dimension (a list, an array or a constant tensor); mode "CONSTANT" (with
    constant_values), "REFLECT" (mirrored, edges not repeated: each pad less than its
    dimension) or "SYMMETRIC" (mirrored, edges repeated: each pad at most its dimension),
    in any case. The gradient adds each padded element's gradient back into the element it
    copies."""
    key = mode.upper() if isinstance(mode, str) else mode
    if key not in TF_MODES:
        raise ValueError(f"pad: Unknown padding mode: {mode} (expected 'CONSTANT', 'REFLECT' "
                         "or 'SYMMETRIC', in any case)")
    tensor = as_tensor(tensor, "pad")
    shape = tensor.shape if isinstance(tensor, Tensor) else tuple(tensor.shape)
    pads = _pad_matrix(paddings, shape)
    if any(before < 0 or after < 0 for before, after in pads):
        raise ValueError(f"pad: Paddings must be non-negative: {_fmt_pads(pads)}")
    return pad_op(tensor, pads, TF_MODES[key], constant_values, name)
