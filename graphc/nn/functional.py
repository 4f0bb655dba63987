"""Stateless layers as functions, written on graphc's ops (both modes), with PyTorch's
names and conventions (the class dimension of a loss's input is dim 1)."""

from __future__ import annotations

from typing import Any

from graphc.nn import tf_functions as _tf
from graphc.ops.elementwise import multiply, not_equal, square
from graphc.ops.elementwise import relu as _relu
from graphc.ops.linalg import matmul
from graphc.ops.reduce import reduce_mean, reduce_sum
from graphc.ops.shape import reshape


def relu(x: Any) -> Any:
    """max(x, 0)."""
    return _relu(x)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """x @ weight^T + bias, with PyTorch's layout (weight is out_features x in_features)."""
    y = matmul(x, weight, transpose_b=True)
    return y if bias is None else y + bias


def _reduced(loss: Any, reduction: str, function: str) -> Any:
    """A loss per element, then its mean ("mean"), its sum ("sum"), or as is ("none")."""
    if reduction == "mean":
        return reduce_mean(loss)
    if reduction == "sum":
        return reduce_sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{function}: reduction must be 'mean', 'sum' or 'none', not "
                     f"{reduction!r}")


def _check_reduction(reduction: str, function: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{function}: reduction must be 'mean', 'sum' or 'none', not "
                         f"{reduction!r}")


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Squared error: its mean ("mean"), its sum ("sum"), or elementwise ("none")."""
    _check_reduction(reduction, "mse_loss")
    return _reduced(square(input - target), reduction, "mse_loss")


def _dim(dim: int | None, function: str) -> int:
    if dim is None:
        raise ValueError(f"{function}: give dim, the dimension to normalize over (PyTorch's "
                         "implicit choice is deprecated)")
    return dim


def softmax(input: Any, dim: int | None = None) -> Any:  # noqa: A002
    """exp(x) / sum(exp(x)) over `dim` (gc.nn.softmax's stable computation)."""
    return _tf.softmax(input, axis=_dim(dim, "softmax"))


def log_softmax(input: Any, dim: int | None = None) -> Any:  # noqa: A002
    """log(softmax(x)) over `dim`, computed stably (gc.nn.log_softmax)."""
    return _tf.log_softmax(input, axis=_dim(dim, "log_softmax"))


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Any:
    """Negative log-likelihood of class indices: -input[n, target[n]] (input holds
    log-probabilities, shape (N, C) or (N, C, d1, ...); target (N) or (N, d1, ...)).
    `weight` (C) weighs each class; targets equal to `ignore_index` count for nothing.
    "mean" divides by the total weight of the counted targets, as PyTorch does."""
    function = "nll_loss"
    _check_reduction(reduction, function)
    target = _tf._labels_for(target, input)
    shape, target_shape = _tf._shape(input), _tf._shape(target)
    if shape is None or len(shape) < 1:
        raise ValueError(f"{function}: input must have a known rank, (C), (N, C) or (N, C, "
                         f"d1, ...); got shape {_tf._fmt(shape)}")
    if not _tf._dtype(target).is_integer:
        raise TypeError(f"{function}: target must hold class indices (an integer tensor), "
                        f"not {_tf._dtype(target).name}")
    axis = 0 if len(shape) == 1 else 1
    expected = shape[:axis] + shape[axis + 1:]
    if target_shape is None or not _tf._compatible(target_shape, expected):
        raise ValueError(f"{function}: target must have input's shape without the class "
                         f"dimension {axis}, {_tf._fmt(expected)}; got "
                         f"{_tf._fmt(target_shape)}")
    depth = _tf._class_count(input, axis, function)
    dtype = _tf._dtype(input)
    valid = not_equal(target, ignore_index)
    hot = _tf._one_hot(target, depth, dtype, axis, valid)
    if weight is not None:
        hot = multiply(hot, reshape(weight, (depth,) + (1,) * (len(shape) - axis - 1)))
    losses = -reduce_sum(multiply(hot, input), axis)
    if reduction == "mean":
        return reduce_sum(losses) / reduce_sum(hot)
    return _reduced(losses, reduction, function)


def cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """Softmax cross entropy of logits `input` ((N, C) or (N, C, d1, ...), classes on dim
    1) against `target`: class indices (N) or (N, d1, ...), as nll_loss(log_softmax(input,
    1), target); or class probabilities shaped like input (no weight or ignore_index then).
    Reduced by the mean over the examples (weighted as nll_loss), their sum, or "none"."""
    if label_smoothing:
        raise NotImplementedError("cross_entropy: label_smoothing is not supported yet")
    shape = _tf._shape(input)
    axis = 0 if shape is not None and len(shape) == 1 else 1
    if not _tf._dtype(target).is_integer:  # class probabilities
        _check_reduction(reduction, "cross_entropy")
        if weight is not None:
            raise NotImplementedError("cross_entropy: weight with class-probability targets "
                                      "is not supported yet")
        losses = _tf._softmax_cross_entropy(target, input, axis, "cross_entropy")
        return _reduced(losses, reduction, "cross_entropy")
    return nll_loss(_tf.log_softmax(input, axis), target, weight, ignore_index, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """-[p z log(sigmoid(x)) + (1 - z) log(1 - sigmoid(x))] for logits x, targets z and
    pos_weight p (1 if None), elementwise, times `weight`, then reduced. Computed as
    gc.nn.sigmoid_cross_entropy_with_logits, finite for any x."""
    function = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, function)
    if pos_weight is None:
        losses = _tf.sigmoid_cross_entropy_with_logits(labels=target, logits=input)
    else:  # (1 - z) x + (1 + (p - 1) z) softplus(-x)
        log_weight = 1 + multiply(pos_weight - 1, target)
        losses = multiply(1 - target, input) + multiply(log_weight, _tf.softplus(-input))
    if weight is not None:
        losses = multiply(losses, weight)
    return _reduced(losses, reduction, function)
