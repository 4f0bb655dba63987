"""Batch normalization as PyTorch has it (F.batch_norm, nn.BatchNorm1d, 2d and 3d) and as
TensorFlow 1's tf.nn.batch_normalization spells it; compositions of graphc's ops, so they
differentiate and run on every backend, in both modes.

PyTorch's rule: channels are dim 1. In training the input is normalized with its batch's
statistics over every other dim, the mean and the biased variance, and the running
statistics move toward the batch's mean and *unbiased* variance,
running = (1 - momentum) * running + momentum * batch; in evaluation the running statistics
normalize. Eagerly the running statistics (a module's buffers) are updated in place, never
recorded by autograd. In a graph they are Variables (a module's buffers read there are bound
ones, written by assignments into the buffers' own arrays), and the updates are assignments
the output waits for (control dependencies): every run that computes a training-mode output
updates them once, as every training-mode forward pass does eagerly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager.defaults import get_default_dtype
from graphc.eager.tape import no_grad
from graphc.eager.tensor import Tensor
from graphc.nn import tf_functions as _tf
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter
from graphc.ops import core
from graphc.ops.debug import check_numerics
from graphc.ops.elementwise import cast, sqrt, square
from graphc.ops.reduce import reduce_mean, reduction_count
from graphc.ops.shape import identity, reshape
from graphc.variables import Variable


# -- TensorFlow ---------------------------------------------------------------------------
def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Any:
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset (TensorFlow's
    tf.nn.batch_normalization; offset and scale may be None), computed as TensorFlow
    computes it: inv = rsqrt(variance + eps) * scale, then x * inv + (offset - mean * inv).
    The statistics and parameters broadcast against x."""
    with _tf._scope(name, "batchnorm", x, mean, variance):
        inv = 1 / sqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        return x * inv + (offset - mean * inv if offset is not None else -mean * inv)


# -- PyTorch ------------------------------------------------------------------------------
def batch_norm(input: Any, running_mean: Any, running_var: Any,  # noqa: A002
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: Any = 0.1, eps: float = 1e-5) -> Any:
    """input (N, C, ...) normalized per channel (dim 1), then times weight and plus bias
    (each (C,), where given): with the batch's mean and biased variance when `training`,
    which also moves running_mean and running_var (when given) toward the batch's mean and
    unbiased variance by `momentum`; else with running_mean and running_var. Eagerly the
    running statistics are updated in place; in a graph they must be Variables, assigned
    by every run that computes the output."""
    return _normalize(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _normalize(input: Any, running_mean: Any, running_var: Any, weight: Any,  # noqa: A002
              bias: Any, training: bool, momentum: Any, eps: float,
              updates: tuple[Any, ...] = ()) -> Any:
    """batch_norm; in a graph the output also waits for `updates` (more assignments)."""
    shape = _tf._shape(input)
    if shape is None or len(shape) < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...) with a known rank, got "
                         f"shape {_tf._fmt(shape)}")
    for label, value in (("running_mean", running_mean), ("running_var", running_var),
                         ("weight", weight), ("bias", bias)):
        _check_channels(shape, label, value)
    dtype = _tf._dtype(input)
    if dtype is not None and not dtype.is_floating:
        raise TypeError(f"batch_norm: input must be floating point (as the running "
                        f"statistics are), got {dtype.name}; convert it with .float()")
    rank = len(shape)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                               "evaluation mode")
        centered = input - _per_channel(running_mean, rank)
        return _scaled(centered, running_var, weight, bias, eps, rank)
    _check_batch(shape)
    if core.is_eager(input) and input.numel() == 0:
        return input * 1  # (an empty batch: an empty output, statistics untouched)
    axes = (0, *range(2, rank))
    mean = reduce_mean(input, axes)
    centered = input - _per_channel(mean, rank)
    variance = reduce_mean(square(centered), axes)
    out = _scaled(centered, variance, weight, bias, eps, rank)
    if running_mean is None and running_var is None:
        return _after(out, updates)
    n = reduction_count(input, axes)
    unbiased = variance * (n / (n - 1))
    if core.is_eager(input):
        with no_grad():
            for running, batch in ((running_mean, mean), (running_var, unbiased)):
                if running is not None:
                    running.copy_(running * (1 - momentum) + batch * momentum)
        return out
    return _after(out, (*updates, *[_assigned(r, b, momentum, label) for r, b, label in (
        (running_mean, mean, "running_mean"), (running_var, unbiased, "running_var"))
        if r is not None]))


def _scaled(centered: Any, variance: Any, weight: Any, bias: Any, eps: float,
            rank: int) -> Any:
    """centered / sqrt(variance + eps) * weight + bias, the variance and parameters per
    channel (C,): one scale a channel, then one multiply and one add an element."""
    scale = 1 / sqrt(variance + eps)
    scale = scale if weight is None else scale * weight
    out = centered * _per_channel(scale, rank)
    return out if bias is None else out + _per_channel(bias, rank)


def _per_channel(v: Any, rank: int) -> Any:
    """A (C,) vector shaped to broadcast along dim 1 of a rank-`rank` (N, C, ...) input."""
    return v if rank == 2 else reshape(v, (-1,) + (1,) * (rank - 2))


def _assigned(running: Any, batch: Any, momentum: Any, label: str) -> Any:
    """The assignment moving a graph Variable toward the batch's statistic."""
    if not isinstance(running, Variable):
        raise TypeError(f"batch_norm: in a graph, training updates {label}, which must be a "
                        f"Variable (a module's buffer read in the graph is one); got "
                        f"{type(running).__name__} '{getattr(running, 'name', running)}'")
    moved = running * (1 - momentum) + batch * momentum
    # (a batch known only at run time to hold one value a channel, or none, gives NaN: the
    # run stops, as PyTorch's eager check does, and commits nothing)
    return running.assign(check_numerics(moved, f"batch_norm: {label} would become NaN or "
                                         "infinite: a training batch needs more than 1 value "
                                         "per channel, and finite inputs"),
                          name=f"{label}_update")


def _after(out: Any, updates: tuple[Any, ...]) -> Any:
    """out, made to wait for the assignments `updates` (a graph's running statistics)."""
    if not updates:
        return out
    graph = out.graph
    with graph.as_default(), graph.control_dependencies(updates):
        return identity(out, name="batch_norm")


def _check_channels(shape: tuple[Any, ...], label: str, value: Any) -> None:
    """PyTorch's check that a per-channel tensor has input's C elements."""
    if value is None:
        return
    given = _tf._shape(value)
    if shape[1] is not None and given is not None and tuple(given) != (shape[1],):
        raise RuntimeError(f"batch_norm: {label} should contain {shape[1]} elements (the "
                           f"channels, dim 1 of input of shape {_tf._fmt(shape)}), not "
                           f"shape {_tf._fmt(given)}")


def _check_batch(shape: tuple[Any, ...]) -> None:
    """PyTorch's refusal of one value a channel in training (its variance is 0/0)."""
    rest = [d for i, d in enumerate(shape) if i != 1]
    if None not in rest and int(np.prod(rest)) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {_tf._fmt(shape)}")


class _BatchNorm(Module):
    """F.batch_norm with a weight (ones) and a bias (zeros) when `affine`, and running
    statistics when `track_running_stats`: buffers running_mean (zeros), running_var (ones)
    and num_batches_tracked (int64, counting the training batches). momentum=None averages
    all batches so far (the factor is 1 / num_batches_tracked). Training mode normalizes
    with the batch's statistics and updates the running ones; eval mode normalizes with the
    running ones (with the batch's when there are none). In a graph the mode when the module
    is called decides what is built, as for Dropout."""

    ranks: tuple[int, ...] = ()
    expected = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        np_dtype = (get_default_dtype() if dtype is None else as_dtype(dtype)).np
        if affine:
            self.weight = Parameter(np.ones(num_features, np_dtype))
            self.bias = Parameter(np.zeros(num_features, np_dtype))
        else:
            object.__setattr__(self, "weight", None)
            object.__setattr__(self, "bias", None)
        stats = [np.zeros(num_features, np_dtype), np.ones(num_features, np_dtype),
                 np.array(0, np.int64)] if track_running_stats else [None] * 3
        for name, value in zip(("running_mean", "running_var", "num_batches_tracked"), stats):
            self.register_buffer(name, None if value is None else Tensor(value))

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches counted (eagerly, in place)."""
        if self.track_running_stats:
            for name, value in (("running_mean", 0), ("running_var", 1),
                                ("num_batches_tracked", 0)):
                with no_grad():
                    self._buffers[name].copy_(value)

    def forward(self, input: Any) -> Any:  # noqa: A002
        rank = len(_tf._shape(input) or ())
        if rank not in self.ranks:
            raise ValueError(f"expected {self.expected} input (got {rank}D input)")
        factor: Any = 0.0 if self.momentum is None else self.momentum
        updates: tuple[Any, ...] = ()
        tracked = self.num_batches_tracked
        if self.training and self.track_running_stats and tracked is not None:
            if isinstance(tracked, Variable):  # its bound Variable: a run counts
                count: Any = tracked + 1
                updates = (tracked.assign(count, name="num_batches_tracked_update"),)
                if self.momentum is None:
                    factor = 1 / cast(count, _tf._dtype(input))
            else:
                with no_grad():
                    tracked.add_(1)
                if self.momentum is None:
                    factor = 1.0 / float(tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return _normalize(input, self.running_mean if keep else None,
                         self.running_var if keep else None, self.weight, self.bias,
                         use_batch, factor, self.eps, updates)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over N (and L), per channel C."""

    ranks, expected = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over N, H and W, per channel C."""

    ranks, expected = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs over N, D, H and W, per channel C."""

    ranks, expected = (5,), "5D"


__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "batch_norm", "batch_normalization"]
