"""Matrix multiplication."""

from __future__ import annotations

import string
from collections.abc import Sequence
from math import prod
from typing import Any, NoReturn

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.array import expand_dims, squeeze
from graphc.ops.constant import zeros_like
from graphc.ops.core import apply
from graphc.ops.einsum import einsum
from graphc.ops.reduce import reduce_sum
from graphc.ops.shape import identity, reshape, reshape_like, static_shape, transpose
from graphc.registry import GradOp, OpDef, register
from graphc.site import user_site


def _matmul_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    a, b = types
    if a.dtype != b.dtype:
        raise TypeError(f"operands have different dtypes: {a} and {b}; convert one with gc.cast")
    if a.dtype.is_bool:
        raise TypeError("matmul of bool tensors is not supported")
    for side, t in (("a", a), ("b", b)):
        if t.shape is not None and len(t.shape) != 2:
            raise ValueError(f"{side} must be a matrix (rank 2), got shape {shapes.fmt(t.shape)}")
    if a.shape is None or b.shape is None:
        return TensorType(a.dtype, (None, None))
    k = a.shape[0] if attrs["transpose_a"] else a.shape[1]
    k2 = b.shape[1] if attrs["transpose_b"] else b.shape[0]
    if k is not None and k2 is not None and k != k2:
        flags = "".join(f", {f}=True" for f in ("transpose_a", "transpose_b") if attrs[f])
        raise ValueError(f"inner dimensions differ: a has shape {shapes.fmt(a.shape)} and "
                         f"b has shape {shapes.fmt(b.shape)}{flags}")
    return TensorType(a.dtype, shapes.product(a.shape, b.shape, attrs["transpose_a"],
                                              attrs["transpose_b"]))


def product_dims(dims: Sequence[tuple[Any, ...]], attrs: Any) -> tuple[Any, ...] | None:
    """The dims rule (OpDef.dims) of the ops whose result is op(a) @ op(b)."""
    if len(dims[0]) != 2 or len(dims[1]) != 2:
        return None
    return shapes.product(dims[0], dims[1], attrs["transpose_a"], attrs["transpose_b"])


def _matmul_ref(a: np.ndarray, b: np.ndarray, transpose_a: bool, transpose_b: bool) -> Any:
    return (a.T if transpose_a else a) @ (b.T if transpose_b else b)


def _matmul_grad(op: GradOp, g: Any) -> tuple[Any, Any]:
    # forward c = op(a) @ op(b), op = optional transpose; backward (for ta=tb=False)
    # da = g @ b^T and db = a^T @ g; the flags move the transposes onto the other operands.
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    da = db = None
    if op.wants[0]:
        da = matmul(b, g, transpose_a=tb, transpose_b=True) if ta else \
            matmul(g, b, transpose_b=not tb)
    if op.wants[1]:
        db = matmul(g, a, transpose_a=True, transpose_b=ta) if tb else \
            matmul(a, g, transpose_a=not ta)
    return da, db


MATMUL = register(OpDef("matmul", _matmul_infer, _matmul_ref, _matmul_grad, dims=product_dims))


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           name: str | None = None) -> Tensor:
    """The matrix product op(a) @ op(b), op an optional transpose (of the last two dims).

    Two rank-2 operands are one matmul op. Other ranks follow numpy's and PyTorch's matmul,
    built from that op and reshapes, so they work eagerly and in graphs, with gradients:

    - a 1-D operand is made a matrix (a row on the left, a column on the right) and the
      added dim is removed from the result: (k,) @ (k, m) -> (m,), (n, k) @ (k,) -> (n,),
      (k,) @ (k,) -> ();
    - one operand of rank > 2 with a 1-D or 2-D other multiplies each matrix (the last two
      dims) of the higher-rank one: (..., n, k) @ (k, m) -> (..., n, m) (as one matmul of
      the merged rows), (n, k) @ (..., k, m) -> (..., n, m), (..., n, k) @ (k,) -> (..., n);
    - both operands of rank > 2, batches of matrices of the same batch dims: (..., n, k) @
      (..., k, m) -> (..., n, m) (an einsum op: np.matmul), as attention's q @ k^T; batch
      dims that would broadcast (a dim of 1 against a longer one) are a ValueError.

    A transpose flag needs a matrix operand (rank >= 2). In a graph the ranks must be known
    when it is built (an operand of unknown rank is taken as a matrix), and an operand of
    rank > 2 with a matrix or vector needs its inner dimension known (its own or the other
    operand's)."""
    ta, tb = bool(transpose_a), bool(transpose_b)
    sa, sb = static_shape(a), static_shape(b)
    if sa is None or sb is None or (len(sa) == 2 and len(sb) == 2):
        return apply(MATMUL, a, b, name=name, transpose_a=ta, transpose_b=tb)
    ra, rb = len(sa), len(sb)
    if ra == 0 or rb == 0:
        _fail(f"both operands must have at least 1 dim, but they have shapes "
              f"{shapes.fmt(sa)} and {shapes.fmt(sb)}")
    for side, rank, flag in (("a", ra, ta), ("b", rb, tb)):
        if rank == 1 and flag:
            _fail(f"transpose_{side} needs a matrix, but {side} is 1-D (shape "
                  f"{shapes.fmt(sa if side == 'a' else sb)})")
    ka = sa[0] if ra == 1 else sa[-2 if ta else -1]
    kb = sb[0] if rb == 1 else sb[-1 if tb else -2]
    if ka is not None and kb is not None and ka != kb:
        flags = "".join(f", {f}=True" for f, on in (("transpose_a", ta), ("transpose_b", tb))
                        if on)
        _fail(f"inner dimensions differ: a has shape {shapes.fmt(sa)} and b has shape "
              f"{shapes.fmt(sb)}{flags}")
    a, b = _operands(a, b)
    if a.dtype != b.dtype:
        raise TypeError(f"matmul (at {user_site()}): operands have different dtypes: "
                        f"{a.dtype.name}{shapes.fmt(sa)} and {b.dtype.name}{shapes.fmt(sb)}; "
                        "convert one with gc.cast")
    if ra > 2 and rb > 2:
        return _batched(a, b, sa, sb, ta, tb, name)
    if rb > 2:  # a @ b is the transpose of op(b)^T @ op(a)^T, whose left operand has rank > 2
        left = b if tb else _swap_last(b)
        if ra == 1:
            return _batch_left(left, a, False, name)
        return _swap_last(_batch_left(left, a, not ta, None), name)
    if ra > 2:
        return _batch_left(_swap_last(a) if ta else a, b, tb, name)
    a2 = expand_dims(a, 0) if ra == 1 else a
    b2 = expand_dims(b, 1) if rb == 1 else b
    product = apply(MATMUL, a2, b2, transpose_a=ta, transpose_b=tb)
    return squeeze(product, [0] * (ra == 1) + [1] * (rb == 1), name=name)


def _batched(a: Any, b: Any, sa: Any, sb: Any, ta: bool, tb: bool, name: str | None) -> Any:
    """Batches of matrices on both sides, (..., n, k) @ (..., k, m) -> (..., n, m) (the
    attention product q @ k^T; matmul has checked the inner dims): one einsum op, whose
    numpy reference is np.matmul. The batch dims must be the same (no broadcasting of dims
    of 1)."""
    batch_a, batch_b = sa[:-2], sb[:-2]
    if len(batch_a) != len(batch_b) or any(
            x is not None and y is not None and x != y for x, y in zip(batch_a, batch_b)):
        _fail(f"a of shape {shapes.fmt(sa)} and b of shape {shapes.fmt(sb)} are batches of "
              "matrices with different batch dims; graphc multiplies batches of one shape "
              "(no broadcasting of the batch dims)")
    batch = string.ascii_lowercase[:len(batch_a)]
    left, right = batch + ("kn" if ta else "nk"), batch + ("mk" if tb else "km")
    return einsum(f"{left},{right}->{batch}nm", a, b, name=name)


def _fail(message: str) -> NoReturn:
    raise ValueError(f"matmul (at {user_site()}): {message}")


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """a and b as tensors of one kind: numbers, lists and arrays become eager tensors
    beside an eager tensor, else constants of the graph (in the other operand's dtype)."""
    given = [x for x in (a, b) if isinstance(x, Tensor) or core.is_eager(x)]
    hint = next((x.dtype for x in given if not x.dtype.is_bool), None)
    if core.is_eager(a, b):
        def eager(x: Any) -> Any:
            if isinstance(x, Tensor) or core.is_eager(x):
                return x
            return core.eager_type(core.as_array(x, hint, "matmul"))  # type: ignore[misc]
        return eager(a), eager(b)
    graph = next((x.graph for x in given if isinstance(x, Tensor)), None)
    return core.convert_to_tensor(a, hint, graph, "matmul"), \
        core.convert_to_tensor(b, hint, graph, "matmul")


def _swap_last(x: Any, name: str | None = None) -> Any:
    """x with its last two dims swapped."""
    rank = len(static_shape(x) or ())
    return transpose(x, (*range(rank - 2), rank - 1, rank - 2), name=name)


def _batch_left(x: Any, w: Any, transpose_w: bool, name: str | None) -> Any:
    """x @ op(w) for x of shape (..., n, k) and w 1-D (k,) or 2-D: one matmul of x's rows,
    merged into a matrix, reshaped back to (..., n, m) (or (..., n) for a 1-D w)."""
    # plain tuples (a device array's shape may not take negative indices); known ranks
    shape, w_shape = static_shape(x), static_shape(w)
    assert shape is not None and w_shape is not None
    lead, k = shape[:-1], shape[-1]
    vector = len(w_shape) == 1
    w2 = expand_dims(w, 1) if vector else w
    w2_shape = (w_shape[0], 1) if vector else w_shape
    if k is None:  # (its rows are merged into one matrix, which no run-time check follows)
        _fail(f"the inner dimension of operands of shapes {shapes.fmt(shape)} and "
              f"{shapes.fmt(w_shape)} must be known when the graph is built, in the operand "
              "of rank > 2")
    rows = prod(d for d in lead if d is not None) if None not in lead else -1
    if rows == -1 and k == 0:  # (reshaping to (-1, 0) could not tell how many rows)
        _fail(f"operands of shapes {shapes.fmt(shape)} and {shapes.fmt(w_shape)} have an inner "
              "dimension of 0 and leading dimensions known only at run time, which graphc "
              "does not multiply")
    product = apply(MATMUL, reshape(x, (rows, k)), w2, transpose_a=False,
                    transpose_b=transpose_w)
    m = w2_shape[0 if transpose_w else 1]
    target = lead if vector else (*lead, m)
    unknown = sum(d is None for d in target)
    if unknown == 0 or (unknown == 1 and 0 not in target):
        return reshape(product, tuple(-1 if d is None else d for d in target), name=name)
    # more than one dim known only at run time: reshape like a tensor of the result's shape
    # (zeros of the run-time shapes of x's rows and w's columns, broadcast; its static shape
    # keeps every dim known now)
    like = zeros_like(reduce_sum(x, axis=-1, keepdims=not vector))
    if not vector:
        like = like + zeros_like(reduce_sum(w2, axis=1 if transpose_w else 0))
    return reshape_like(product, like) if name is None else \
        identity(reshape_like(product, like), name=name)
