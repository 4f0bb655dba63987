"""The collective ops: allreduce and broadcast, and the pack/unpack pair that lets a step
allreduce all its gradients as one contiguous buffer.

They are ordinary OpDefs (shape rule, numpy reference through mpi4py, gradient rule written
with graphc's op functions), with effect "collective": every rank runs them together, so
passes never fold, merge or move them, and a Program holding one has its schedule checked
across ranks once, when it is compiled (check.py). The numba backend calls MPI from inside
its native segment (native.py); elsewhere the reference runs on the host.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.distributed.comm import mpi, rank, size, world
from graphc.graph import TensorType
from graphc.ops.core import apply
from graphc.registry import OpDef, register

Sum = "sum"
Average = "average"


def _check_op(op: Any) -> str:
    if op not in (Sum, Average):
        raise ValueError(f"allreduce: op must be graphc.distributed.Sum or Average, not {op!r}")
    return str(op)


# -- allreduce -------------------------------------------------------------------------------
def _allreduce_infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    _check_op(attrs["op"])
    if attrs["op"] == Average and not types[0].dtype.is_floating:
        raise TypeError(f"allreduce: Average needs a floating-point tensor, not "
                        f"{types[0].dtype.name}")
    return types[0]


def _allreduce_reference(x: np.ndarray, op: str) -> np.ndarray:
    send = np.require(x, requirements="C")  # (ascontiguousarray would make a 0-d array 1-d)
    out = np.empty_like(send)
    world().Allreduce(send, out, op=mpi().SUM)
    if op == Average:
        out *= out.dtype.type(1.0 / size())
    return out


def _allreduce_grad(op: Any, g: Any) -> tuple[Any]:
    # every rank's output is the same reduction of every rank's input: the gradient of the
    # sum of all ranks' losses with respect to one rank's input is the same reduction of the
    # output gradients
    return (allreduce(g, op=op.attrs["op"]),)


ALLREDUCE = register(OpDef("allreduce", _allreduce_infer, _allreduce_reference,
                           _allreduce_grad, effect="collective"))


def allreduce(tensor: Any, op: str = Average, name: str | None = None) -> Any:
    """The elementwise Sum or Average of `tensor` over all ranks, on every rank."""
    return apply(ALLREDUCE, tensor, name=name, op=_check_op(op))


# -- broadcast -------------------------------------------------------------------------------
def _broadcast_reference(x: np.ndarray, root: int) -> np.ndarray:
    out = np.array(x, order="C")
    world().Bcast(out, root=root)
    return out


def _broadcast_infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    root = attrs["root"]
    if not isinstance(root, int) or not 0 <= root < size():
        raise ValueError(f"broadcast: root must be a rank in 0..{size() - 1}, not {root!r}")
    return types[0]


def _broadcast_grad(op: Any, g: Any) -> tuple[Any]:
    total = allreduce(g, op=Sum)  # every rank's output came from the root's input
    return (total if rank() == op.attrs["root"] else total * 0,)


BROADCAST = register(OpDef("broadcast", _broadcast_infer, _broadcast_reference,
                           _broadcast_grad, effect="collective"))


def broadcast(tensor: Any, root: int = 0, name: str | None = None) -> Any:
    """The value of `tensor` on rank `root`, on every rank."""
    return apply(BROADCAST, tensor, name=name, root=int(root))


# -- pack / unpack: many tensors as one buffer -----------------------------------------------
def _pack_infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    if not types:
        raise ValueError("allreduce_pack: no tensors")
    total = 0
    for t in types:
        if t.dtype != types[0].dtype:
            raise TypeError(f"allreduce_pack: tensors of {types[0].dtype.name} and "
                            f"{t.dtype.name} cannot share a buffer")
        if not shapes.is_fully_defined(t.shape):
            raise ValueError(f"allreduce_pack: shape {shapes.fmt(t.shape)} is not fully "
                             "known; packing is planned when the graph is built")
        total += math.prod(t.shape)  # type: ignore[arg-type]
    return TensorType(types[0].dtype, (total,))


def _pack_reference(*xs: np.ndarray) -> np.ndarray:
    return np.concatenate([np.ravel(x) for x in xs])


def _pack_grad(op: Any, g: Any) -> list[Any]:
    offsets = np.cumsum([0, *(math.prod(t.shape) for t in op.inputs)])
    return [unpack(g, int(offsets[i]), tuple(t.shape)) for i, t in enumerate(op.inputs)]


PACK = register(OpDef("allreduce_pack", _pack_infer, _pack_reference, _pack_grad))


def _unpack_infer(types: Sequence[TensorType], attrs: Mapping[str, Any]) -> TensorType:
    shape, offset = attrs["shape"], attrs["offset"]
    if types[0].shape is None or len(types[0].shape) != 1 or \
            offset + math.prod(shape) > (types[0].shape[0] or 0):
        raise ValueError(f"allreduce_unpack: {shapes.fmt(shape)} at {offset} does not fit "
                         f"in a buffer of shape {shapes.fmt(types[0].shape)}")
    return TensorType(types[0].dtype, shape)


def _unpack_reference(flat: np.ndarray, offset: int, shape: tuple[int, ...]) -> np.ndarray:
    return flat[offset:offset + math.prod(shape)].reshape(shape).copy()


UNPACK = register(OpDef("allreduce_unpack", _unpack_infer, _unpack_reference))


def pack(tensors: Sequence[Any]) -> Any:
    """One 1-D tensor holding every tensor's elements, in order (shapes fully known)."""
    return apply(PACK, *tensors)


def unpack(flat: Any, offset: int, shape: tuple[int, ...]) -> Any:
    """Elements offset .. offset + prod(shape) of a packed buffer, as `shape`."""
    return apply(UNPACK, flat, offset=int(offset),
                 shape=tuple(int(d) for d in shape))


def allreduce_many(tensors: Sequence[Any], op: str = Average,
                   bucket_bytes: int | None = None) -> list[Any]:
    """Each tensor reduced over all ranks, packed into as few buffers as the bucket size
    allows (one collective per buffer, planned now, while the graph is built: every rank
    builds the same static schedule). None entries pass through; tensors of different
    dtypes go to different buffers. bucket_bytes=None: one buffer per dtype."""
    results: list[Any] = list(tensors)
    buckets: dict[Any, list[list[int]]] = {}
    for i, t in enumerate(tensors):
        if t is None:
            continue
        nbytes = math.prod(t.shape) * t.dtype.np.itemsize
        groups = buckets.setdefault(t.dtype, [[]])
        used = sum(math.prod(tensors[j].shape) * t.dtype.np.itemsize for j in groups[-1])
        if bucket_bytes is not None and groups[-1] and used + nbytes > bucket_bytes:
            groups.append([])
        groups[-1].append(i)
    for groups in buckets.values():
        for group in groups:
            if len(group) == 1:
                results[group[0]] = allreduce(tensors[group[0]], op=op)
                continue
            reduced = allreduce(pack([tensors[i] for i in group]), op=op)
            offset = 0
            for i in group:
                shape = tuple(tensors[i].shape)
                results[i] = unpack(reduced, offset, shape)
                offset += math.prod(shape)
    return results
