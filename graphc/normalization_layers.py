"""TensorFlow 1's gc.layers.batch_normalization (exported by graphc/layers.py beside dense):
its variables made with gc.get_variable in a variable scope of the layer's name, as
TensorFlow 1 names them, `batch_normalization/gamma`, `beta`, `moving_mean` and
`moving_variance` (the last two not trainable), then `batch_normalization_1/...` for the
next unnamed layer.

In training the layer normalizes with the batch's moments (tf.nn.moments: the mean and the
biased variance over every axis but `axis`) and adds to the UPDATE_OPS collection the
assignments moving = moving - (moving - batch) * (1 - momentum), TensorFlow's
_assign_moving_average, which a training step runs by depending on them:

    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = optimizer.minimize(loss)

Which batch variance moves moving_variance is TensorFlow 1's choice of kernel: rank-4 (and
rank-5) float32 inputs with the channels first or last take its fused kernel, whose variance
for the moving average has Bessel's correction (n / (n - 1), n the values a channel) and
whose epsilon is at least 1.001e-5; other inputs (a dense layer's (batch, units), float64,
fused=False) take the biased variance of tf.nn.moments."""

from __future__ import annotations

from typing import Any

from graphc import initializers, shapes
from graphc.dtypes import float32
from graphc.errors import refuse_unsupported
from graphc.graph import Tensor
from graphc.graph_keys import GraphKeys, add_to_collection
from graphc.nn.normalization import batch_normalization as nn_batch_normalization
from graphc.nn.tf_functions import moments, training_flag
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import maximum, sqrt, where
from graphc.ops.reduce import reduction_count
from graphc.ops.shape import reshape
from graphc.variable_scope import get_variable, variable_scope

__all__ = ["batch_normalization"]

FUSED_EPSILON = 1.001e-5  # TensorFlow's fused kernel's least epsilon (cuDNN's requirement)


def batch_normalization(inputs: Any, axis: int = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = None, gamma_initializer: Any = None,
                        moving_mean_initializer: Any = None,
                        moving_variance_initializer: Any = None, beta_regularizer: Any = None,
                        gamma_regularizer: Any = None, beta_constraint: Any = None,
                        gamma_constraint: Any = None, training: Any = False,
                        trainable: bool = True, name: str | None = None, reuse: Any = None,
                        renorm: bool = False, renorm_clipping: Any = None,
                        renorm_momentum: float = 0.99, fused: bool | None = None,
                        virtual_batch_size: int | None = None, adjustment: Any = None
                        ) -> Tensor:
    """inputs normalized per channel (`axis`), times gamma plus beta (TensorFlow 1's
    tf.layers.batch_normalization; see the module docstring). `training` is a Python bool
    (decided now) or a bool scalar tensor, a placeholder say (decided each run: the batch's
    moments and moving averages that move where it is true, the moving averages alone where
    it is false). Regularizers, constraints, renorm, virtual batches and adjustment are not
    supported."""
    refuse_unsupported("batch_normalization", beta_regularizer=beta_regularizer,
                       gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                       gamma_constraint=gamma_constraint, renorm=renorm or None,
                       renorm_clipping=renorm_clipping, virtual_batch_size=virtual_batch_size,
                       adjustment=adjustment)
    x = convert_to_tensor(inputs, op="batch_normalization")
    rank, axis = _checked(x, axis)
    training = training_flag(training, "batch_normalization")
    channels = int(x.shape[axis])  # type: ignore[index, arg-type]
    graph = x.graph
    assert graph is not None
    with graph.as_default(), variable_scope(name, default_name="batch_normalization",
                                            reuse=reuse):
        def variable(label: str, initializer: Any, default: Any, trainable: bool) -> Any:
            return get_variable(label, (channels,), x.dtype, initializer or default,
                                trainable=trainable)
        gamma = variable("gamma", gamma_initializer, initializers.Ones(), trainable) \
            if scale else None
        beta = variable("beta", beta_initializer, initializers.Zeros(), trainable) \
            if center else None
        moving_mean = variable("moving_mean", moving_mean_initializer, initializers.Zeros(),
                               False)
        moving_variance = variable("moving_variance", moving_variance_initializer,
                                   initializers.Ones(), False)
        fused_kernel = fused is not False and x.dtype == float32 and \
            axis in {4: (1, 3), 5: (1, 4)}.get(rank, ())
        mean, variance = moving_mean, moving_variance
        if training is not False:
            mean, variance = _batch_moments(x, axis, rank, training, momentum, fused_kernel,
                                            moving_mean, moving_variance)
        mean, variance = _along(mean, axis, rank), _along(variance, axis, rank)
        beta, gamma = (None if v is None else _along(v, axis, rank) for v in (beta, gamma))
        if not fused_kernel:
            return nn_batch_normalization(x, mean, variance, beta, gamma, epsilon)
        # the fused kernel's arithmetic: centred, then one scale
        factor = 1 / sqrt(variance + max(epsilon, FUSED_EPSILON))
        out = (x - mean) * (factor if gamma is None else factor * gamma)
        return out if beta is None else out + beta


def _checked(x: Tensor, axis: int) -> tuple[int, int]:
    """x's rank and the channel axis (made non-negative), after TensorFlow's checks."""
    if not x.dtype.is_floating:
        raise TypeError(f"batch_normalization: inputs must be floating point, got "
                        f"{x.dtype.name} '{x.name}'")
    if x.shape is None:
        raise ValueError(f"batch_normalization: the rank of inputs '{x.name}' must be known")
    rank = len(x.shape)
    if isinstance(axis, list | tuple):
        if len(axis) != 1:
            raise NotImplementedError("batch_normalization: one axis only")
        axis = axis[0]
    if not -rank <= int(axis) < rank:
        raise ValueError(f"batch_normalization: invalid axis {axis} for inputs of shape "
                         f"{shapes.fmt(x.shape)}")
    axis = int(axis) % rank
    if x.shape[axis] is None:
        raise ValueError(f"batch_normalization: inputs have an undefined axis {axis} "
                         f"dimension: shape {shapes.fmt(x.shape)}")
    return rank, axis


def _batch_moments(x: Tensor, axis: int, rank: int, training: Any, momentum: float,
                   fused_kernel: bool, moving_mean: Any, moving_variance: Any
                   ) -> tuple[Any, Any]:
    """The batch's mean and biased variance (the moving ones where a `training` tensor is
    false), after adding the moving averages' assignments to UPDATE_OPS."""
    axes = tuple(a for a in range(rank) if a != axis)
    mean, variance = moments(x, axes)
    moved = variance
    if fused_kernel:  # the fused kernel's variance for the averages: Bessel's correction
        n = reduction_count(x, axes)
        moved = variance * (n / maximum(n - 1, 1) if isinstance(n, Tensor) else
                            n / max(n - 1, 1))
    decay = 1.0 - momentum  # (TensorFlow's: a Python float, then the variable's dtype)
    for var, batch in ((moving_mean, mean), (moving_variance, moved)):
        new = var - (var - batch) * decay
        if isinstance(training, Tensor):
            new = where(training, new, var)
        add_to_collection(GraphKeys.UPDATE_OPS, var.assign(new, name="AssignMovingAvg"))
    if isinstance(training, Tensor):
        return where(training, mean, moving_mean), where(training, variance, moving_variance)
    return mean, variance


def _along(v: Any, axis: int, rank: int) -> Any:
    """A (C,) vector shaped to broadcast along `axis` of a rank-`rank` input."""
    return v if axis == rank - 1 else reshape(v, [-1 if a == axis else 1 for a in range(rank)])
