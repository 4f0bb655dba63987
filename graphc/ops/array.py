"""Array ops TensorFlow 1 programs use: one_hot; expand_dims, squeeze; concat, stack, split,
unstack, and the two ops a split is made of, split_part and split_pad; gather, and its
gradient scatter_add; tile, and its gradient tile_sum.

A split is made of single-output ops, one per part (`split_part`), so each part is an
ordinary tensor in graphs, in eager mode and in native code. Where a part lies along the
axis is given by `parts`: an int (that many equal parts), a tuple of sizes (one may be -1:
what is left), or None (the sizes along the axis of the op's extra inputs, at run time: how
concat's gradient cuts its output's gradient back into its inputs' shapes).

expand_dims and squeeze are reshapes (views, no copy) wherever the new shape is known when
the graph is built, but for at most one unknown dimension; otherwise they are ops of their
own, which copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of, float32
from graphc.dtypes import bool as bool_
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.ops.elementwise import where
from graphc.ops.constant import constant
from graphc.ops.reduce import reduce_prod
from graphc.ops.shape import SHAPE_OF, identity, reshape, reshape_like, static_shape
from graphc.registry import GradOp, OpDef, register


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or core.is_eager(value)


def static_int(value: Any, what: str, function: str) -> int:
    """A Python int argument (a tensor, a float or a bool is a TypeError)."""
    if _is_tensor(value):
        raise TypeError(f"{function}: {what} must be an int known when the graph is built, "
                        "not a tensor")
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{function}: {what} must be an int, not {type(value).__name__} "
                        f"{value!r}")
    return int(value)


def axis_index(axis: Any, rank: int, function: str, shape: shapes.Shape = None) -> int:
    """axis in [-rank, rank) as a non-negative int; a ValueError naming the shape if not."""
    axis = static_int(axis, "axis", function)
    if not -rank <= axis < rank:
        where_ = f"shape {shapes.fmt(shape)}" if shape is not None else f"rank {rank}"
        raise ValueError(f"{function}: axis {axis} is out of range for a tensor of {where_} "
                         f"(rank {rank})")
    return axis % rank


def static_rank(x: Any, function: str) -> int:
    shape = static_shape(x)
    if shape is None:
        raise ValueError(f"{function}: the input's rank must be known when the graph is built")
    return len(shape)


# -- one_hot --------------------------------------------------------------------------------
def _one_hot_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (indices,) = types
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers (int32 or int64), not {indices.dtype.name}")
    if indices.shape is None:
        return TensorType(attrs["dtype"], None)
    shape = list(indices.shape)
    shape.insert(attrs["axis"], attrs["depth"])
    return TensorType(attrs["dtype"], tuple(shape))


def _one_hot_ref(indices: np.ndarray, depth: int, on_value: Any, off_value: Any, axis: int,
                 dtype: DType) -> np.ndarray:
    rank = indices.ndim + 1
    classes = np.arange(depth).reshape([depth if d == axis else 1 for d in range(rank)])
    hot = np.expand_dims(indices, axis) == classes
    return np.where(hot, dtype.np.type(on_value), dtype.np.type(off_value)).astype(dtype.np)


# forward y = on_value where the index equals the position along axis, else off_value (an
# index outside 0..depth-1 gives a line of off_value); indices have no gradient
ONE_HOT = register(OpDef("one_hot", _one_hot_infer, _one_hot_ref))


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: Any = None, dtype: Any = None, name: str | None = None) -> Any:
    """Integer indices as one-hot vectors of length `depth` along a new axis (`axis`, by
    default -1: the last): on_value (1) where the index is the position, off_value (0)
    elsewhere; an index outside 0..depth-1 gives only off_value (TensorFlow's rule).

    dtype is float32 unless given or implied by on_value/off_value (Python ints make
    int32, as in TensorFlow). on_value and off_value may be tensors (then the result is a
    selection between them, and gradients flow into them)."""
    depth = static_int(depth, "depth", "one_hot")
    if depth < 0:
        raise ValueError(f"one_hot: depth must be >= 0, got {depth}")
    rank = static_rank(indices, "one_hot") + 1
    axis = axis_index(-1 if axis is None else axis, rank, "one_hot")
    given = [v for v in (on_value, off_value) if v is not None]
    if dtype is not None:
        dt = as_dtype(dtype)
    elif given:
        first = given[0]
        dt = as_dtype(first.dtype) if _is_tensor(first) else default_dtype_of(first)
    else:
        dt = float32
    on: Any = dt.np.type(1).item() if on_value is None else on_value
    off: Any = dt.np.type(0).item() if off_value is None else off_value
    for label, value in (("on_value", on), ("off_value", off)):
        if _is_tensor(value) and as_dtype(value.dtype) != dt:
            raise TypeError(f"one_hot: {label} is {as_dtype(value.dtype).name}, but the "
                            f"result's dtype is {dt.name}")
    if _is_tensor(on) or _is_tensor(off):
        hot = apply(ONE_HOT, indices, depth=depth, on_value=True, off_value=False,
                    axis=axis, dtype=bool_)
        return where(hot, on, off, name=name)
    on, off = (core.as_array(v, dt, "one_hot").item() for v in (on, off))
    return apply(ONE_HOT, indices, name=name, depth=depth, on_value=on, off_value=off,
                 axis=axis, dtype=dt)


# -- expand_dims and squeeze ----------------------------------------------------------------
def _expand_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    if x.shape is None:
        return TensorType(x.dtype, None)
    shape = list(x.shape)
    shape.insert(attrs["axis"], 1)
    return TensorType(x.dtype, tuple(shape))


def _squeeze_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    if x.shape is None:
        return TensorType(x.dtype, None)
    axes = attrs["axes"]
    for a in axes:
        if x.shape[a] not in (1, None):
            raise ValueError(f"cannot squeeze axis {a} of shape {shapes.fmt(x.shape)}: its "
                             f"size is {x.shape[a]}, not 1")
    return TensorType(x.dtype, tuple(d for i, d in enumerate(x.shape) if i not in axes))


# forward y = x with a 1 inserted at axis (numpy's and CUDA's a view, numba's a copy);
# backward dx = g reshaped like x
EXPAND_DIMS = register(OpDef("expand_dims", _expand_infer,
                             lambda x, axis: np.expand_dims(x, axis),
                             lambda op, g: (reshape_like(g, op.inputs[0]),), view=True))
# forward y = x without the size-1 dims at axes (a view, or numba's copy); backward dx = g
# reshaped like x
SQUEEZE = register(OpDef("squeeze", _squeeze_infer, lambda x, axes: np.squeeze(x, axes),
                         lambda op, g: (reshape_like(g, op.inputs[0]),), view=True))


def _as_reshape(x: Any, shape: Sequence[int | None], name: str | None) -> Tensor | None:
    """x reshaped to `shape` when one static shape (at most one unknown dim, for -1)
    describes it; else None."""
    unknown = [d for d in shape if d is None]
    if len(unknown) > 1 or (unknown and prod(d for d in shape if d is not None) == 0):
        return None
    return reshape(x, [-1 if d is None else d for d in shape], name=name)


def expand_dims(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002 - TF's
                dim: Any = None) -> Any:
    """x with a new dimension of size 1 inserted at `axis` (in [-rank-1, rank]; -1 is the
    end). TensorFlow 1's `dim` is the same argument."""
    if dim is not None:
        if axis is not None:
            raise ValueError("expand_dims: give axis or dim (its TensorFlow 1 name), not both")
        axis = dim
    if axis is None:
        raise ValueError("expand_dims: axis is required")
    shape = static_shape(input)
    if shape is None:
        raise ValueError("expand_dims: the input's rank must be known when the graph is built")
    axis = axis_index(axis, len(shape) + 1, "expand_dims", shape)
    new = list(shape)
    new.insert(axis, 1)
    reshaped = _as_reshape(input, new, name)
    return reshaped if reshaped is not None else apply(EXPAND_DIMS, input, name=name, axis=axis)


def squeeze(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002 - TF's name
            squeeze_dims: Any = None) -> Any:
    """x without its dimensions of size 1: those at `axis` (an int or a list; each must
    be 1, else a ValueError, when the graph is built or at run time), or, when axis is
    None, every dimension known to be 1 when the graph is built (a dimension unknown until
    run time is kept; TensorFlow would drop it if it were 1: name the axes to be exact).
    TensorFlow 1's `squeeze_dims` is the same argument."""
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("squeeze: give axis or squeeze_dims (its TensorFlow 1 name), "
                             "not both")
        axis = squeeze_dims
    shape = static_shape(input)
    if shape is None:
        raise ValueError("squeeze: the input's rank must be known when the graph is built")
    rank = len(shape)
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        items = [axis] if not isinstance(axis, list | tuple | np.ndarray) else list(axis)
        axes = tuple(sorted({axis_index(a, rank, "squeeze", shape) for a in items}))
        for a in axes:
            if shape[a] not in (1, None):
                raise ValueError(f"squeeze: cannot squeeze axis {a} of shape "
                                 f"{shapes.fmt(shape)}: its size is {shape[a]}, not 1")
    new = [d for i, d in enumerate(shape) if i not in axes]
    if all(shape[a] == 1 for a in axes):
        reshaped = _as_reshape(input, new, name)
        if reshaped is not None:
            return reshaped
    return apply(SQUEEZE, input, name=name, axes=axes)


# -- split_part and split_pad: a part of a tensor along an axis, and its way back ------------
def part_range(dim: int, parts: Any, index: int, ref_dims: Sequence[int] = ()) -> tuple[int, int]:
    """(begin, size) of part `index` of a dimension of `dim` elements (see the module's
    docstring for `parts`); a ValueError if the parts do not fit it."""
    if parts is None:
        begin, size = sum(ref_dims[:-1]), ref_dims[-1]
        if begin + size > dim:
            raise ValueError(f"part {index} ({begin}:{begin + size}) lies beyond the "
                             f"dimension of {dim}")
        return begin, size
    if isinstance(parts, int):
        if dim % parts:
            raise ValueError(f"cannot split a dimension of {dim} into {parts} equal parts")
        return index * (dim // parts), dim // parts
    known = sum(s for s in parts if s != -1)
    if (-1 not in parts and known != dim) or known > dim:
        raise ValueError(f"sizes {list(parts)} do not add up to the dimension of {dim}")
    sizes = [dim - known if s == -1 else s for s in parts]
    return sum(sizes[:index]), sizes[index]


def _part_size(dim: int | None, parts: Any, index: int, refs: Sequence[TensorType],
               axis: int) -> int | None:
    """The static size of the part, where known."""
    if parts is None:
        return refs[-1].shape[axis] if refs[-1].shape is not None else None
    if dim is not None:
        return part_range(dim, parts, index)[1]
    if isinstance(parts, int):
        return None
    return None if parts[index] == -1 else parts[index]


def _split_part_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, refs = types[0], types[1:]
    axis, parts, index = attrs["axis"], attrs["parts"], attrs["index"]
    if parts is None and not refs:
        raise ValueError("a part given by the sizes of other tensors needs them as inputs")
    if x.shape is None:
        return TensorType(x.dtype, None)
    size = _part_size(x.shape[axis], parts, index, refs, axis)
    return TensorType(x.dtype, x.shape[:axis] + (size,) + x.shape[axis + 1:])


def _split_pad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, like = types[0], types[1]
    if g.dtype != like.dtype:
        raise TypeError(f"the part is {g.dtype.name}, the whole {like.dtype.name}")
    if g.shape is not None and like.shape is not None and len(g.shape) != len(like.shape):
        raise ValueError(f"a part of shape {shapes.fmt(g.shape)} cannot lie in a tensor of "
                         f"shape {shapes.fmt(like.shape)}")
    return like


def _split_part_ref(x: np.ndarray, *refs: np.ndarray, axis: int, parts: Any,
                    index: int) -> np.ndarray:
    begin, size = part_range(x.shape[axis], parts, index, [r.shape[axis] for r in refs])
    return x[(slice(None),) * axis + (slice(begin, begin + size),)]


def _split_pad_ref(g: np.ndarray, like: np.ndarray, *refs: np.ndarray, axis: int, parts: Any,
                   index: int) -> np.ndarray:
    begin, size = part_range(like.shape[axis], parts, index, [r.shape[axis] for r in refs])
    expected = like.shape[:axis] + (size,) + like.shape[axis + 1:]
    if g.shape != expected:
        raise ValueError(f"a part of shape {g.shape} does not fit part {index} "
                         f"{expected} of shape {like.shape}")
    out = np.zeros(like.shape, g.dtype)
    out[(slice(None),) * axis + (slice(begin, begin + size),)] = g
    return out


def _split_part_grad(op: GradOp, g: Any) -> tuple[Any, ...]:
    x, refs = op.inputs[0], op.inputs[1:]
    return (split_pad(g, x, refs, **op.attrs),) + (None,) * len(refs)


def _split_pad_grad(op: GradOp, g: Any) -> tuple[Any, ...]:
    refs = op.inputs[2:]
    return (split_part(g, refs, **op.attrs), None) + (None,) * len(refs)


# forward y = part `index` of x along axis (a copy); backward dx = zeros like x with g there
SPLIT_PART = register(OpDef("split_part", _split_part_infer, _split_part_ref,
                            _split_part_grad))
# forward y = zeros like `like` with g as its part `index` along axis; backward dg = that
# part of the gradient
SPLIT_PAD = register(OpDef("split_pad", _split_pad_infer, _split_pad_ref, _split_pad_grad))


def split_part(x: Any, refs: Sequence[Any] = (), *, axis: int, parts: Any, index: int,
               name: str | None = None) -> Any:
    """Part `index` of x along axis (see the module's docstring for `parts` and `refs`)."""
    return apply(SPLIT_PART, x, *refs, name=name, axis=axis, parts=parts, index=index)


def split_pad(g: Any, like: Any, refs: Sequence[Any] = (), *, axis: int, parts: Any,
              index: int, name: str | None = None) -> Any:
    """Zeros in the shape of `like` with g as its part `index` along axis."""
    return apply(SPLIT_PAD, g, like, *refs, name=name, axis=axis, parts=parts, index=index)


# -- concat, stack, split, unstack -------------------------------------------------------------
def _concat_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    axis = attrs["axis"]
    first = types[0]
    for t in types[1:]:
        if t.dtype != first.dtype:
            raise TypeError(f"values have different dtypes: {first} and {t}; convert them "
                            "with gc.cast")
    known = [t.shape for t in types if t.shape is not None]
    if len(known) < len(types):
        return TensorType(first.dtype, None)
    rank = len(known[0])
    if rank == 0 or any(len(s) != rank for s in known):
        listed = ", ".join(shapes.fmt(s) for s in known)
        raise ValueError(f"values must have one rank of at least 1: got shapes {listed}")
    out: list[int | None] = []
    for d in range(rank):
        dims = [s[d] for s in known]
        if d == axis:
            out.append(None if None in dims else sum(dims))  # type: ignore[arg-type]
            continue
        sizes = {x for x in dims if x is not None}
        if len(sizes) > 1:
            listed = ", ".join(shapes.fmt(s) for s in known)
            raise ValueError(f"shapes {listed} differ in dimension {d}, which is not the "
                             f"axis {axis}")
        out.append(sizes.pop() if sizes else None)
    return TensorType(first.dtype, tuple(out))


def _concat_grad(op: GradOp, g: Any) -> list[Any]:
    axis, values = op.attrs["axis"], op.inputs
    dims = [static_shape(v) for v in values]
    static = all(s is not None and s[axis] is not None for s in dims)
    sizes = tuple(s[axis] for s in dims) if static else None  # type: ignore[index]
    return [split_part(g, () if static else values[:i + 1], axis=axis, parts=sizes, index=i)
            if want else None for i, want in enumerate(op.wants)]


# forward y = the inputs joined along axis; backward dx_i = the part of g at x_i's place
CONCAT = register(OpDef("concat", _concat_infer,
                        lambda *xs, axis: np.concatenate(xs, axis=axis), _concat_grad))


def _values(values: Any, function: str) -> list[Any]:
    if _is_tensor(values) or isinstance(values, np.ndarray):
        raise TypeError(f"{function}: values must be a list of tensors, not one "
                        f"{type(values).__name__}")
    items = list(values)
    if not items:
        raise ValueError(f"{function}: values is empty")
    return items


def _common_rank(items: Sequence[Any], function: str) -> int:
    ranks = {len(s) for s in (static_shape(v) for v in items) if s is not None}
    if not ranks:
        raise ValueError(f"{function}: the rank of the values must be known when the graph is "
                         "built")
    if len(ranks) > 1:
        listed = ", ".join(shapes.fmt(static_shape(v)) for v in items)
        raise ValueError(f"{function}: values must have one rank; got shapes {listed}")
    return ranks.pop()


def concat(values: Any, axis: Any, name: str | None = None) -> Any:
    """The tensors of `values` (one dtype and rank, equal but along `axis`) joined along
    `axis` (negative counts from the end)."""
    items = _values(values, "concat")
    rank = _common_rank(items, "concat")
    if rank == 0:
        raise ValueError("concat: cannot join scalars; use stack")
    axis = axis_index(axis, rank, "concat")
    if len(items) == 1:
        return identity(items[0], name=name)
    return apply(CONCAT, *items, name=name, axis=axis)


def stack(values: Any, axis: Any = 0, name: str | None = None) -> Any:
    """The tensors of `values` (one shape) stacked along a new axis `axis` (in
    [-rank-1, rank])."""
    items = _values(values, "stack")
    rank = _common_rank(items, "stack")
    axis = axis_index(axis, rank + 1, "stack")
    known = {s for s in (static_shape(v) for v in items) if shapes.is_fully_defined(s)}
    if len(known) > 1:
        raise ValueError(f"stack: values must have one shape; got shapes "
                         f"{', '.join(shapes.fmt(static_shape(v)) for v in items)}")
    expanded = [expand_dims(v, axis) for v in items]
    if len(expanded) == 1:
        return identity(expanded[0], name=name)
    return apply(CONCAT, *expanded, name=name, axis=axis)


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: Any = None,
          name: str | None = None) -> list[Any]:
    """value cut along `axis` into a list of tensors: num_or_size_splits equal parts (an
    int; the dimension must divide evenly), or parts of the sizes listed (one size may be
    -1: what is left). Each part is a copy."""
    shape = static_shape(value)
    if shape is None:
        raise ValueError("split: the input's rank must be known when the graph is built")
    axis = axis_index(axis, len(shape), "split", shape)
    dim = shape[axis]
    if _is_tensor(num_or_size_splits):
        raise TypeError("split: num_or_size_splits must be an int or a list of ints known "
                        "when the graph is built, not a tensor")
    if isinstance(num_or_size_splits, int | np.integer) and \
            not isinstance(num_or_size_splits, bool):
        parts: Any = int(num_or_size_splits)
        if parts < 1:
            raise ValueError(f"split: the number of parts must be at least 1, got {parts}")
        count = parts
    else:
        parts = tuple(static_int(s, "each size", "split") for s in num_or_size_splits)
        if not parts or parts.count(-1) > 1 or any(s < -1 for s in parts):
            raise ValueError(f"split: sizes {list(parts)} must be a non-empty list of sizes "
                             ">= 0, with at most one -1")
        count = len(parts)
    if num is not None and static_int(num, "num", "split") != count:
        raise ValueError(f"split: num is {num} but there are {count} parts")
    if dim is not None:
        try:
            part_range(dim, parts, 0)
        except ValueError as err:
            raise ValueError(f"split: {err} (axis {axis} of shape {shapes.fmt(shape)})") \
                from None
    return [apply(SPLIT_PART, value, name=name, axis=axis, parts=parts, index=i)
            for i in range(count)]


def unstack(value: Any, num: Any = None, axis: Any = 0, name: str | None = None) -> list[Any]:
    """value cut along `axis` into its slices (a list of tensors of one rank less); their
    number is the dimension's size, which must be known when the graph is built, or `num`."""
    shape = static_shape(value)
    if shape is None:
        raise ValueError("unstack: the input's rank must be known when the graph is built")
    axis = axis_index(axis, len(shape), "unstack", shape)
    dim = shape[axis]
    if num is None and dim is None:
        raise ValueError(f"unstack: the number of slices (axis {axis} of shape "
                         f"{shapes.fmt(shape)}) is not known; give num")
    count = static_int(num, "num", "unstack") if num is not None else int(dim)  # type: ignore[arg-type]
    if dim is not None and count != dim:
        raise ValueError(f"unstack: num is {count} but axis {axis} of shape "
                         f"{shapes.fmt(shape)} has {dim} slices")
    return [squeeze(apply(SPLIT_PART, value, axis=axis, parts=count, index=i), axis,
                    name=name) for i in range(count)]


# -- gather and scatter_add -------------------------------------------------------------------
def check_indices(indices: np.ndarray, size: int, function: str) -> None:
    """Every index in 0..size-1 (TensorFlow's rule on the CPU), else a ValueError."""
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        bad = indices[(indices < 0) | (indices >= size)].ravel()[0]
        raise ValueError(f"{function}: index {bad} is out of range for a dimension of {size}")


def _gather_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    params, indices = types
    axis = attrs["axis"]
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers (int32 or int64), not {indices.dtype.name}")
    if params.shape is None or indices.shape is None:
        return TensorType(params.dtype, None)
    return TensorType(params.dtype, params.shape[:axis] + indices.shape + params.shape[axis + 1:])


def _gather_ref(params: np.ndarray, indices: np.ndarray, axis: int) -> np.ndarray:
    check_indices(indices, params.shape[axis], "gather")
    return np.take(params, indices, axis=axis)


def _scatter_add_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, indices, like = types
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers (int32 or int64), not {indices.dtype.name}")
    if g.dtype != like.dtype:
        raise TypeError(f"the values are {g.dtype.name}, the result {like.dtype.name}")
    return like


def _scatter_add_ref(g: np.ndarray, indices: np.ndarray, like: np.ndarray,
                     axis: int) -> np.ndarray:
    check_indices(indices, like.shape[axis], "scatter_add")
    expected = like.shape[:axis] + indices.shape + like.shape[axis + 1:]
    if g.shape != expected:
        raise ValueError(f"values of shape {g.shape} do not fit {expected}, the shape "
                         f"gathering {indices.shape} indices from {like.shape} gives")
    out = np.zeros(like.shape, g.dtype)
    np.add.at(out, (slice(None),) * axis + (indices,), g)  # type: ignore[arg-type]
    return out


# forward y = the slices of params at indices along axis; backward dparams = the
# gradient's slices added back at their indices (scatter_add); indices have no gradient
GATHER = register(OpDef(
    "gather", _gather_infer, _gather_ref,
    lambda op, g: (scatter_add(g, op.inputs[1], op.inputs[0], op.attrs["axis"]), None)))
# forward y = zeros like `like` with the slices of g added at indices along axis (repeated
# indices add up); backward dg = the gradient gathered at indices
SCATTER_ADD = register(OpDef(
    "scatter_add", _scatter_add_infer, _scatter_add_ref,
    lambda op, g: (apply(GATHER, g, op.inputs[1], axis=op.attrs["axis"]), None, None)))


def scatter_add(values: Any, indices: Any, like: Any, axis: int) -> Any:
    """Zeros in the shape of `like` with the slices of values added at indices along axis:
    gather's gradient (TensorFlow's unsorted_segment_sum, for the indices of a gather)."""
    return apply(SCATTER_ADD, values, indices, like, axis=axis)


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str | None = None,
           axis: Any = None, batch_dims: int = 0) -> Any:
    """The slices of params at `indices` (integers, any shape) along `axis` (default 0):
    the result's shape is params' before the axis, then indices', then params' after it.
    An index outside 0..n-1 is an error (TensorFlow's rule on the CPU), on every backend.
    The gradient adds the output's gradient back at the indices (repeated ones add up)."""
    if batch_dims:
        raise ValueError("gather: batch_dims is not supported (only 0)")
    rank = static_rank(params, "gather")
    axis = axis_index(0 if axis is None else axis, rank, "gather", static_shape(params))
    indices = indices_for(indices, params, "gather")
    if not _is_tensor(params) and _is_tensor(indices):  # params of their own dtype
        params = own_dtype(params, indices, "gather")
    return apply(GATHER, params, indices, name=name, axis=axis)


def own_dtype(value: Any, like: Any, function: str) -> Any:
    """A Python or numpy value as a tensor of its own dtype (numpy's, or TensorFlow's
    default for Python numbers): eager when `like` is, else a constant in like's graph."""
    array = core.as_array(value, None, function)
    if core.is_eager(like):
        t = core.eager_type(array)  # type: ignore[misc]
        device = getattr(like, "device", "cpu")
        return t if device == "cpu" else t.to(device)
    return core.convert_to_tensor(array, None, core._graph_of((like,)), function)


def indices_for(indices: Any, like: Any, function: str) -> Any:
    """Indices given as a list or an array, as a tensor of their own integer dtype (an
    operand of an op on `like` would otherwise take like's dtype): an eager tensor, on
    like's device, when like is one; else a constant in like's graph."""
    if _is_tensor(indices):
        return indices
    array = np.asarray(indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{function}: indices must be integers, not {array.dtype} values")
    return own_dtype(array, like, function) if _is_tensor(like) else array


# -- tile and tile_sum ------------------------------------------------------------------------
def _tile_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    multiples = attrs["multiples"]
    if x.shape is None:
        return TensorType(x.dtype, None)
    if len(multiples) != len(x.shape):
        raise ValueError(f"multiples {list(multiples)} must have one entry per dimension of "
                         f"shape {shapes.fmt(x.shape)}")
    return TensorType(x.dtype, tuple(0 if m == 0 else None if d is None else d * m
                                     for d, m in zip(x.shape, multiples)))


def _tile_sum_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, like = types
    if g.dtype != like.dtype:
        raise TypeError(f"the tiles are {g.dtype.name}, the result {like.dtype.name}")
    return like


def _tile_sum_ref(g: np.ndarray, like: np.ndarray, multiples: tuple[int, ...]) -> np.ndarray:
    if g.shape != tuple(d * m for d, m in zip(like.shape, multiples)):
        raise ValueError(f"a tiling of shape {g.shape} is not {list(multiples)} tiles of "
                         f"shape {like.shape}")
    interleaved = [n for m, d in zip(multiples, like.shape) for n in (m, d)]
    axes = tuple(range(0, 2 * len(multiples), 2))
    blocks = g.reshape(interleaved)
    if g.dtype.kind != "f":
        return blocks.sum(axis=axes).astype(g.dtype)
    with np.errstate(over="ignore"):  # in float64, rounded once, as reduce_sum's
        return blocks.sum(axis=axes, dtype=np.float64).astype(g.dtype)


# forward y = x repeated multiples[k] times along each dimension k; backward dx = the sum
# of the gradient's tiles
TILE = register(OpDef("tile", _tile_infer, lambda x, multiples: np.tile(x, multiples),
                      lambda op, g: (tile_sum(g, op.inputs[0], op.attrs["multiples"]),)))
# forward y = the sum of the tiles of g, each shaped like `like`; backward dg = the gradient
# tiled
TILE_SUM = register(OpDef("tile_sum", _tile_sum_infer, _tile_sum_ref,
                          lambda op, g: (tile(g, op.attrs["multiples"]), None)))


def tile_sum(g: Any, like: Any, multiples: tuple[int, ...]) -> Any:
    """The sum of g's tiles, each shaped like `like`: tile's gradient."""
    return apply(TILE_SUM, g, like, multiples=multiples)


def tile(input: Any, multiples: Any, name: str | None = None) -> Any:  # noqa: A002 - TF's
    """input repeated multiples[k] times along each dimension k (a list of ints >= 0, one
    per dimension, known when the graph is built)."""
    if _is_tensor(multiples):
        raise TypeError("tile: multiples must be a list of ints known when the graph is "
                        "built, not a tensor")
    counts = tuple(static_int(m, "each multiple", "tile") for m in multiples)
    if any(m < 0 for m in counts):
        raise ValueError(f"tile: multiples {list(counts)} must be >= 0")
    shape = static_shape(input)
    if shape is None:
        raise ValueError("tile: the input's rank must be known when the graph is built")
    if len(counts) != len(shape):
        raise ValueError(f"tile: multiples {list(counts)} must have one entry per dimension "
                         f"of shape {shapes.fmt(shape)}")
    return apply(TILE, input, name=name, multiples=counts)


# -- the shape as a tensor: tf.shape, tf.size, tf.rank (the op is shape.SHAPE_OF) ---------
def shape_of(input: Any, name: str | None = None, out_type: Any = None) -> Any:  # noqa: A002
    """TensorFlow 1's tf.shape: input's shape as an int32 (or `out_type`) vector. A constant
    when the shape is known while building; else an op that reads it at run time, so
    `tf.shape(x)[0]` is the batch size of a placeholder of shape (None, ...)."""
    dtype = as_dtype(out_type) if out_type is not None else as_dtype("int32")
    if dtype.name not in ("int32", "int64"):
        raise TypeError(f"shape: out_type must be int32 or int64, not {dtype.name}")
    shape = static_shape(input)
    if shapes.is_fully_defined(shape):
        return constant(np.array(shape, dtype.np), name=name or "Shape")
    return apply(SHAPE_OF, input, name=name or "Shape", dtype=dtype)


def size_of(input: Any, name: str | None = None, out_type: Any = None) -> Any:  # noqa: A002
    """TensorFlow 1's tf.size: how many elements input has, an int32 (or `out_type`)
    scalar; read at run time where the shape is not known while building."""
    return reduce_prod(shape_of(input, out_type=out_type), name=name or "Size")


def rank_of(input: Any, name: str | None = None) -> Any:  # noqa: A002
    """TensorFlow 1's tf.rank: how many dimensions input has, an int32 scalar."""
    shape = static_shape(input)
    if shape is not None:
        return constant(np.int32(len(shape)), name=name or "Rank")
    return shape_of(shape_of(input))[0]
