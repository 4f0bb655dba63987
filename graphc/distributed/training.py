"""Data-parallel training: the DistributedOptimizer, broadcasting the initial weights, the
eager allreduce of gradients, sharding data, and checkpoints written by rank 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from graphc.distributed.comm import mpi, rank, size, world
from graphc.distributed.ops import Average, Sum, allreduce_many, broadcast
from graphc.graph import Node
from graphc.ops.control import group
from graphc.saver import Saver as _Saver
from graphc.variables import Variable, global_variables

DEFAULT_BUCKET_BYTES: int | None = None  # None: one buffer per dtype and step


class DistributedOptimizer:
    """An optimizer (graphc.optim's SGD, Adam, ...; gc.train's) whose gradients are averaged
    (or summed) over every rank before its update, so all ranks take the same step.

    Static graphs: minimize(loss) builds the optimizer's update with the gradients packed
    into one contiguous buffer per dtype (or buckets of at most `bucket_bytes`), so a step
    issues one allreduce, not one per parameter; the packing is planned while the graph is
    built. Eager: step() allreduces the parameters' .grad the same way (one Allreduce) and
    then steps. Anything else (zero_grad, params, hyper, state) is the wrapped optimizer's.
    """

    def __init__(self, optimizer: Any, op: str = Average,
                 bucket_bytes: int | None = DEFAULT_BUCKET_BYTES) -> None:
        if op not in (Average, Sum):
            raise ValueError(f"DistributedOptimizer: op must be Average or Sum, not {op!r}")
        if bucket_bytes is not None and bucket_bytes <= 0:
            raise ValueError(f"DistributedOptimizer: bucket_bytes must be positive, not "
                             f"{bucket_bytes!r}")
        self.optimizer = optimizer
        self.op = op
        self.bucket_bytes = bucket_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.optimizer, name)

    def reduce_gradients(self, grads: list[Any]) -> list[Any]:
        """The graph's gradients, each reduced over every rank (None stays None)."""
        return allreduce_many(grads, op=self.op, bucket_bytes=self.bucket_bytes)

    def minimize(self, loss: Any, global_step: Any = None, var_list: Any = None,
                 name: str | None = None) -> Node:
        if hasattr(self.optimizer, "apply_gradients"):  # TensorFlow 1's (gc.train)
            return self.optimizer.apply_gradients(
                self.compute_gradients(loss, var_list=var_list), global_step=global_step,
                name=name)
        if global_step is not None or var_list is not None:
            raise TypeError("DistributedOptimizer: global_step and var_list belong to "
                            "gc.train's optimizers; graphc.optim's train their params")
        return self.optimizer.minimize(loss, name=name, process_gradients=self.reduce_gradients)

    def compute_gradients(self, loss: Any, var_list: Any = None, **options: Any
                          ) -> list[tuple[Any, Any]]:
        """TensorFlow 1's (for gc.train's optimizers, as Horovod's): the wrapped optimizer's
        (gradient, variable) pairs, the gradients reduced over every rank, packed."""
        pairs = self.optimizer.compute_gradients(loss, var_list=var_list, **options)
        reduced = self.reduce_gradients([g for g, _ in pairs])
        return list(zip(reduced, [v for _, v in pairs], strict=True))

    def step(self) -> None:
        allreduce_gradients(self.optimizer.params, op=self.op, bucket_bytes=self.bucket_bytes)
        self.optimizer.step()

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()


# -- eager -------------------------------------------------------------------------------------
def _parameters(model_or_params: Any) -> list[Any]:
    if hasattr(model_or_params, "parameters"):
        return list(model_or_params.parameters())
    return list(model_or_params)


def _buckets(arrays: Sequence[np.ndarray], bucket_bytes: int | None) -> list[list[int]]:
    by_dtype: dict[Any, list[list[int]]] = {}
    for i, a in enumerate(arrays):
        groups = by_dtype.setdefault(a.dtype, [[]])
        used = sum(arrays[j].nbytes for j in groups[-1])
        if bucket_bytes is not None and groups[-1] and used + a.nbytes > bucket_bytes:
            groups.append([])
        groups[-1].append(i)
    return [g for groups in by_dtype.values() for g in groups]


def allreduce_arrays(arrays: Sequence[np.ndarray], op: str = Average,
                     bucket_bytes: int | None = DEFAULT_BUCKET_BYTES) -> None:
    """Reduce numpy arrays over every rank, in place, packed into one buffer per dtype (or
    bucket): one MPI Allreduce each."""
    MPI = mpi()
    for bucket in _buckets(arrays, bucket_bytes):
        members = [arrays[i] for i in bucket]
        buffer = np.concatenate([a.ravel() for a in members])
        world().Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        if op == Average:
            buffer *= buffer.dtype.type(1.0 / size())
        offset = 0
        for a in members:
            a[...] = buffer[offset:offset + a.size].reshape(a.shape)
            offset += a.size


def allreduce_gradients(model_or_params: Any, op: str = Average,
                        bucket_bytes: int | None = DEFAULT_BUCKET_BYTES) -> None:
    """After backward(): replace every parameter's .grad by its average (or sum) over all
    ranks, in place: DistributedDataParallel's effect, without hooks. Every rank must hold
    gradients for the same parameters (a parameter without one on every rank is skipped;
    on some ranks only, it is an error)."""
    params = _parameters(model_or_params)
    have = [p.grad is not None for p in params]
    if size() > 1:
        everyone = world().allgather(have)
        if any(h != have for h in everyone):
            first = next(i for i in range(len(have)) if len({tuple(h)[i] for h in everyone}) > 1)
            raise RuntimeError(f"allreduce_gradients: parameter {first} has a gradient on "
                               f"some ranks only: {[h[first] for h in everyone]}")
    grads = [p.grad.array for p, h in zip(params, have) if h]
    for g in grads:
        if not isinstance(g, np.ndarray):
            raise TypeError("allreduce_gradients: gradients on a device are not supported yet "
                            "(see docs/distributed.md, NCCL)")
    allreduce_arrays(grads, op=op, bucket_bytes=bucket_bytes)


def broadcast_parameters(model_or_params: Any, root: int = 0) -> None:
    """Set every parameter (of an nn Module, or a list of Parameters) to rank `root`'s
    value, in place: call once before training so all ranks start from the same weights."""
    for p in _parameters(model_or_params):
        data = p.array
        if not isinstance(data, np.ndarray):
            raise TypeError("broadcast_parameters: parameters on a device are not supported")
        world().Bcast(data, root=root)  # in place: Parameter data is C-contiguous storage
        p._version[0] += 1


# -- static ------------------------------------------------------------------------------------
def broadcast_variables(variables: Iterable[Variable], root: int = 0,
                        name: str = "broadcast_variables") -> Node:
    """An op that sets each Variable to its value on rank `root` (run it after the
    initializer, or after restoring a checkpoint on rank `root`)."""
    variables = list(variables)
    if not variables:
        raise ValueError("broadcast_variables: there are no variables")
    graph = variables[0].graph
    assert graph is not None
    with graph.as_default(), graph.name_scope(name):
        updates = [v.assign(broadcast(v, root)) for v in variables]
        return group(updates, name="update")


def broadcast_global_variables(root: int = 0) -> Node:
    """An op that sets every global Variable of the default graph to its value on rank
    `root` (Horovod's broadcast_global_variables)."""
    return broadcast_variables(global_variables(), root, name="broadcast_global_variables")


# -- data --------------------------------------------------------------------------------------
def shard_range(n: int, rank_: int | None = None, size_: int | None = None) -> range:
    """This rank's contiguous part of range(n): ranks get n // size items, the first
    n % size ranks one more."""
    r = rank() if rank_ is None else rank_
    p = size() if size_ is None else size_
    start = r * (n // p) + min(r, n % p)
    return range(start, start + n // p + (1 if r < n % p else 0))


def shard(*data: Any, rank: int | None = None, size: int | None = None) -> Any:
    """This rank's part of each argument, along its first axis: an array (or anything
    sliceable) gives its rows, an int n gives the indices range(n) would (as a range).
    One argument gives one result; several give a tuple. All arrays must have the same
    length, so their shards line up."""
    if not data:
        raise TypeError("shard: nothing to shard")
    lengths = {x if isinstance(x, int) else len(x) for x in data}
    if len(lengths) > 1:
        raise ValueError(f"shard: the arguments have different lengths {sorted(lengths)}")
    part = shard_range(lengths.pop(), rank, size)
    results = [part if isinstance(x, int) else x[part.start:part.stop] for x in data]
    return results[0] if len(results) == 1 else tuple(results)


class Saver(_Saver):
    """graphc.Saver whose save() writes on rank 0 only (the other ranks wait for it, so the
    file is complete when save returns anywhere); restore() reads on every rank."""

    def _write_files(self, sess: Any, path: str, write_state: bool,
                     latest_filename: str | None, meta: str | None = None) -> None:
        if rank() == 0:
            super()._write_files(sess, path, write_state, latest_filename, meta)
        if size() > 1:
            world().Barrier()


