"""Shape ops: transpose, reshape, identity, stop_gradient, and the broadcasting pair
`broadcast_like` / `sum_to` that gradient rules use to undo numpy broadcasting."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any, TypeVar

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.registry import OpDef, like_input, register

Dim = TypeVar("Dim")  # a dim as an int, or (in generated code) an expression


def insert_ones(shape: Sequence[Dim], axes: Sequence[int], one: Dim) -> list[Dim]:
    """shape with `one` inserted at each of `axes` (positions in the result)."""
    out = list(shape)
    for a in sorted(axes):
        out.insert(a, one)
    return out


# -- broadcast_like / sum_to: each is the other's gradient --------------------------------
def _broadcast_like_ref(x: np.ndarray, like: np.ndarray, axes: tuple[int, ...] = ()) -> Any:
    return np.broadcast_to(np.expand_dims(x, axes) if axes else x, like.shape)


def _sum_to_ref(x: np.ndarray, like: np.ndarray, axes: tuple[int, ...] = ()) -> Any:
    target = tuple(insert_ones(like.shape, axes, 1))
    lead = x.ndim - len(target)
    summed = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(target) if d == 1 and x.shape[lead + i] != 1)
    out = np.sum(x, axis=summed, keepdims=True) if summed else x
    return out.reshape(like.shape)


def _statically_same_shape(x: Tensor, like: Tensor) -> bool:
    """Whether the shapes are known to be equal already (then the *_like ops are no-ops)."""
    return x.shape == like.shape and shapes.is_fully_defined(x.shape)


def _like_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    return TensorType(types[0].dtype, types[1].shape)


# forward y = x (with size-1 dims at `axes`) broadcast to like's shape; backward dx = sum_to(g, x)
BROADCAST_LIKE = register(OpDef(
    "broadcast_like", _like_infer, _broadcast_like_ref,
    lambda op, g: (sum_to(g, op.inputs[0], op.attrs["axes"]), None), view=True,
    dims=like_input(1), shape_only=(1,)))
# forward y = x summed down to like's shape (like's shape with 1s at `axes` matches
# x's trailing dims); backward dx = broadcast_like(g, x)
SUM_TO = register(OpDef(
    "sum_to", _like_infer, _sum_to_ref,
    lambda op, g: (broadcast_like(g, op.inputs[0], op.attrs["axes"]), None), view=True,
    dims=like_input(1), shape_only=(1,)))


def broadcast_like(x: Tensor, like: Tensor, axes: Sequence[int] = ()) -> Tensor:
    """x broadcast to the run-time shape of `like`, after inserting size-1 dims at `axes`."""
    if not axes and _statically_same_shape(x, like):
        return x
    return apply(BROADCAST_LIKE, x, like, axes=tuple(axes))


def sum_to(x: Tensor, like: Tensor, axes: Sequence[int] = ()) -> Tensor:
    """x summed over the dims broadcasting added, down to the run-time shape of `like`."""
    if not axes and _statically_same_shape(x, like):
        return x
    return apply(SUM_TO, x, like, axes=tuple(axes))


# -- reshape --------------------------------------------------------------------------------
def _reshape_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    shape = attrs["shape"]
    if sum(d == -1 for d in shape) > 1:
        raise ValueError(f"shape {shape} has more than one -1")
    known = prod(d for d in shape if d != -1)
    if shapes.is_fully_defined(x.shape):
        size = prod(x.shape)  # type: ignore[arg-type]
        if -1 in shape:
            if known == 0 or size % known:
                raise ValueError(f"cannot reshape {shapes.fmt(x.shape)} into {shape}")
            shape = tuple(size // known if d == -1 else d for d in shape)
        elif size != known:
            raise ValueError(f"cannot reshape {shapes.fmt(x.shape)} ({size} elements) into "
                             f"{shapes.fmt(shape)} ({known} elements)")
    return TensorType(x.dtype, tuple(None if d == -1 else d for d in shape))


# forward y = x with a new shape; backward dx = g reshaped like x
RESHAPE = register(OpDef("reshape", _reshape_infer, lambda x, shape: np.reshape(x, shape),
                         lambda op, g: (reshape_like(g, op.inputs[0]),), view=True))
RESHAPE_LIKE = register(OpDef("reshape_like", _like_infer,
                              lambda x, like: np.reshape(x, like.shape),
                              lambda op, g: (reshape_like(g, op.inputs[0]), None),
                              view=True, dims=like_input(1), shape_only=(1,)))


def reshape(x: Any, shape: Any, name: str | None = None) -> Tensor:
    """x with the same elements in a new shape; one dim may be -1 (inferred). The shape may
    be tf.shape(y) of another tensor y: x then takes y's shape at run time."""
    dims, like = shape_argument(shape, "reshape")
    if like is not None:
        return reshape_like(x, like)
    return apply(RESHAPE, x, name=name, shape=tuple(int(d) for d in dims))


def reshape_like(x: Tensor, like: Tensor) -> Tensor:
    """x reshaped to the run-time shape of `like`."""
    if _statically_same_shape(x, like):
        return x
    return apply(RESHAPE_LIKE, x, like)


# -- transpose ------------------------------------------------------------------------------
def _transpose_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    perm = attrs["perm"]
    if x.shape is None:
        return TensorType(x.dtype, None)
    if perm is not None and sorted(perm) != list(range(len(x.shape))):
        raise ValueError(f"perm {perm} is not a permutation of the {len(x.shape)} dims of "
                         f"shape {shapes.fmt(x.shape)}")
    return TensorType(x.dtype, shapes.transposed(x.shape, perm))


# forward y = x with dims permuted; backward dx = g permuted back
TRANSPOSE = register(OpDef(
    "transpose", _transpose_infer, lambda x, perm: np.transpose(x, perm),
    lambda op, g: (transpose(g, None if op.attrs["perm"] is None
                             else tuple(int(i) for i in np.argsort(op.attrs["perm"]))),),
    view=True, dims=lambda dims, attrs: shapes.transposed(dims[0], attrs["perm"])))


def transpose(x: Any, perm: Sequence[int] | None = None, name: str | None = None) -> Tensor:
    """x with its dims permuted by `perm` (reversed when None)."""
    return apply(TRANSPOSE, x, name=name, perm=None if perm is None else tuple(perm))


# -- identity and stop_gradient -------------------------------------------------------------
def _same(types: Sequence[TensorType], attrs: Any) -> TensorType:
    return types[0]


def _identity_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    """x's type; with a `shape` attr (placeholder_with_default's), that static shape
    instead, which x's must fit: a feed of the identity may be of any shape it allows."""
    (x,) = types
    if "shape" not in attrs:
        return x
    shape = attrs["shape"]
    if shape is not None and (x.shape is None or len(x.shape) != len(shape) or any(
            s is not None and d != s for d, s in zip(x.shape, shape))):
        # (TensorFlow also takes a default that is merely compatible, of unknown dims where
        # the shape has known ones; a static shape here is never a guess)
        raise ValueError(f"the default value's shape {shapes.fmt(x.shape)} does not fit "
                         f"shape {shapes.fmt(shape)}")
    return TensorType(x.dtype, shape)


# forward y = x; backward dx = g
IDENTITY = register(OpDef("identity", _identity_infer, lambda x, shape=None: x,
                          lambda op, g: (g,), view=True, dims=like_input(0)))
# forward y = x; backward nothing flows
STOP_GRADIENT = register(OpDef("stop_gradient", _same, lambda x: x, lambda op, g: (None,),
                               view=True, dims=like_input(0)))


def identity(x: Any, name: str | None = None) -> Tensor:
    """x, unchanged (a new node with the same value)."""
    return apply(IDENTITY, x, name=name)


def stop_gradient(x: Any, name: str | None = None) -> Tensor:
    """x, treated as a constant by gradients()."""
    return apply(STOP_GRADIENT, x, name=name)


# -- the shape as a tensor: tf.shape, tf.size, tf.rank ------------------------------------------
def _shape_of_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x = types[0]
    return TensorType(attrs["dtype"], (None if x.shape is None else len(x.shape),))


# forward y = x's shape at run time, as a vector of attrs["dtype"] ints; no gradient (the
# values of x do not matter)
SHAPE_OF = register(OpDef(
    "shape_of", _shape_of_infer, lambda x, dtype: np.array(np.shape(x), dtype.np),
    lambda op, g: (None,), shape_only=(0,)))


def static_shape(x: Any) -> shapes.Shape:
    """x's static shape: a tensor's (None where unknown), an eager tensor's or an array's."""
    if isinstance(x, Tensor):
        return x.shape
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


# ops constant_value computes through with their numpy references: the arithmetic of
# shapes (tf.shape(x)[1:3] * 2, tf.stack([tf.shape(x)[1], 16]), a cast)
_FOLDS = frozenset({"getitem", "reshape", "expand_dims", "squeeze", "concat", "cast", "add",
                    "subtract", "multiply", "divide", "floordiv", "floormod", "negative",
                    "maximum", "minimum", "pow", "abs", "identity", "stop_gradient", "fill",
                    "reduce_prod", "reduce_sum", "tile"})


def constant_value(tensor: Any) -> np.ndarray | None:
    """The value of `tensor` if it is known while building the graph, else None (TensorFlow's
    tensor_util.constant_value, tf.get_static_value): a constant's value, tf.shape(x) of a
    statically known shape, the known dims of tf.shape(x)[i] or tf.shape(x)[i:j], and what
    indexing, stacking, concatenation, reshapes, casts and elementwise arithmetic make of
    such values. A number, array or list (of numbers and such tensors) gives its array."""
    if core.is_eager(tensor):
        return np.asarray(tensor.numpy())
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list | tuple) and any(isinstance(v, Tensor) for v in tensor):
            items = [constant_value(v) for v in tensor]
            return None if any(v is None for v in items) else np.array(items)
        return np.asarray(tensor)
    node = tensor.node
    if node.op == "constant":
        return node.attrs["value"]
    if len(node.outputs) != 1:
        return None
    if node.op == SHAPE_OF.name or (node.op == "getitem" and
                                    node.inputs[0].node.op == SHAPE_OF.name):
        of = node if node.op == SHAPE_OF.name else node.inputs[0].node
        shape = of.inputs[0].shape
        if shape is None:
            return None
        dims = np.array(list(shape), dtype=object)
        if node.op == "getitem":
            try:
                dims = dims[node.attrs["index"]]
            except (IndexError, TypeError):
                return None
        if any(d is None for d in np.ravel(dims)):
            return None
        return np.array(np.asarray(dims, dtype=object).tolist(), dtype=tensor.dtype.np)
    if node.op not in _FOLDS:
        return None
    values = [constant_value(t) for t in node.inputs]
    return None if any(v is None for v in values) else core.fold_value(node, values)


def run_time_dim(entry: Any) -> tuple[Tensor, int] | None:
    """(x, i) for an entry tf.shape(x)[i] (a scalar: dim i of x at run time), else None."""
    node = getattr(entry, "node", None)
    if not isinstance(entry, Tensor) or node is None or node.op != "getitem" or \
            node.inputs[0].node.op != SHAPE_OF.name:
        return None
    index = node.attrs["index"]
    x = node.inputs[0].node.inputs[0]
    if isinstance(index, tuple) and len(index) == 1:
        index = index[0]
    if not isinstance(index, int | np.integer) or x.shape is None or \
            not -len(x.shape) <= index < len(x.shape):
        return None
    return x, int(index) % len(x.shape)


def shape_entries(shape: Any) -> list[Any] | None:
    """A shape given as entries (a list of ints and scalar tensors, or a tensor stacked from
    such: tf.stack([tf.shape(x)[0], 16])), as that list; None for any other shape."""
    if isinstance(shape, Sequence) and not isinstance(shape, str):
        return list(shape)
    node = getattr(shape, "node", None)
    if not isinstance(shape, Tensor) or node is None or node.op != "concat" or \
            node.attrs["axis"] != 0:
        return None
    entries: list[Any] = []
    for piece in node.inputs:
        known = constant_value(piece)
        if known is not None:
            entries += np.atleast_1d(known).tolist()
        elif piece.node.op in ("reshape", "expand_dims") and piece.shape == (1,) and \
                piece.node.inputs[0].shape == ():
            entries.append(piece.node.inputs[0])
        else:
            return None
    return entries


def shape_argument(shape: Any, function: str) -> tuple[Any, Any]:
    """A shape argument as (static dims, None), or (None, x) for tf.shape(x) (the run-time
    shape of x). A tensor, or a tensor in a list, whose value constant_value knows gives
    that value. Any other tensor is refused: a shape must be known while building, or be
    some tensor's shape (fill, zeros and ones take a list mixing ints and tf.shape(x)[i]
    too: constant.fill)."""
    node = getattr(shape, "node", None)
    if isinstance(shape, Tensor) and node is not None:
        if node.op == SHAPE_OF.name:
            return None, node.inputs[0]
        value = constant_value(shape)
        if value is not None and value.dtype.kind in "iu" and value.ndim <= 1:
            return np.atleast_1d(value).tolist(), None
        raise TypeError(f"{function}: the shape must be ints known while building the graph, "
                        f"or tf.shape(x) of some tensor x; {shape.name} is "
                        + ("not a vector of ints" if value is not None else
                           "computed at run time"))
    if isinstance(shape, Sequence) and any(isinstance(d, Tensor) for d in shape):
        dims = [constant_value(d) if isinstance(d, Tensor) else d for d in shape]
        if all(d is not None and np.ndim(d) == 0 and np.asarray(d).dtype.kind in "iu"
               for d in dims):
            return [int(d) for d in dims], None  # type: ignore[arg-type]
        raise TypeError(f"{function}: the shape {list(shape)} holds a tensor; its dims must be "
                        "ints known while building the graph (-1 for one dim known only at run "
                        "time), or the whole shape tf.shape(x) of some tensor x (fill, zeros "
                        "and ones also take tf.shape(x)[i] entries)")
    return shape, None
