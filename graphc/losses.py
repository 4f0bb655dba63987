"""TensorFlow 1's tf.losses (gc.losses): loss functions that weight each element's loss and
reduce them to one number, and the graph's collection of losses.

Every function computes elementwise losses, multiplies them by `weights` (a scalar, or a
tensor of the losses' rank whose every dimension is 1 or the losses'), and reduces as
`reduction` says; TensorFlow 1's default, SUM_BY_NONZERO_WEIGHTS, is the weighted sum
divided by the number of losses whose (broadcast) weight is not 0, and 0 when there are
none. The result is added to the graph's "losses" collection (get_losses, get_total_loss).

One difference: TensorFlow 1 casts losses and weights to float32 for the weighting and the
reduction (and the result back); graphc keeps the losses' own dtype, so float64 losses are
reduced in float64. Labels are cast to the predictions' (logits') dtype, as there.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType
from graphc.graph import Graph, Tensor, get_default_graph
from graphc.nn import tf_functions as nn
from graphc.ops.array import squeeze
from graphc.ops.constant import ones_like
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import (abs, cast, equal, log, minimum, multiply, relu, square,
                                    where)
from graphc.ops.reduce import reduce_sum
from graphc.ops.shape import identity, stop_gradient

__all__ = [
    "Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss", "hinge_loss",
    "huber_loss", "log_loss", "mean_squared_error", "sigmoid_cross_entropy",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy",
]

LOSSES = "losses"  # TensorFlow's GraphKeys.LOSSES
REGULARIZATION_LOSSES = "regularization_losses"  # GraphKeys.REGULARIZATION_LOSSES


class Reduction:
    """How a loss function reduces its weighted elementwise losses (TensorFlow 1's names)."""

    NONE = "none"  # the weighted losses, in their shape
    SUM = "weighted_sum"  # their sum
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"  # sum / number of elements
    MEAN = "weighted_mean"  # sum / sum of the (broadcast) weights
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"  # sum / count of weights != 0
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


# -- helpers --------------------------------------------------------------------------------
@contextlib.contextmanager
def _scope(scope: str | None, default: str, *values: Any) -> Iterator[Graph]:
    graph = next((v.graph for v in values if isinstance(v, Tensor) and v.graph is not None),
                 None) or get_default_graph()
    with graph.as_default(), graph.name_scope(scope or default):
        yield graph


def _tensor(value: Any, dtype: DType | None, function: str) -> Tensor:
    """value as a tensor; cast to `dtype` when given (labels take the predictions' dtype)."""
    t = convert_to_tensor(value, None, op=function) if not isinstance(value, Tensor) else value
    if dtype is not None and t.dtype != dtype:
        t = cast(t, dtype)
    return t


def _floating(t: Tensor, what: str, function: str) -> Tensor:
    if not t.dtype.is_floating:
        raise TypeError(f"{function}: {what} must be floating point, got {t.dtype.name} "
                        f"'{t.name}'")
    return t


def _same_shape(labels: Tensor, predictions: Tensor, function: str,
                what: tuple[str, str] = ("labels", "predictions")) -> None:
    if labels.shape is not None and predictions.shape is not None and \
            not shapes.compatible(labels.shape, predictions.shape):
        raise ValueError(f"{function}: {what[0]} and {what[1]} must have the same shape; "
                         f"{what[0]} have shape {shapes.fmt(labels.shape)} and {what[1]} "
                         f"{shapes.fmt(predictions.shape)}")


def _check_broadcastable(weights: Any, losses: Tensor, function: str) -> None:
    """TensorFlow's rule for weights: a scalar, or the losses' rank with every dimension 1
    or the losses' (checked where the shapes are known when the graph is built)."""
    w_shape = weights.shape if isinstance(weights, Tensor) else np.shape(weights)
    if w_shape is None or w_shape == () or losses.shape is None:
        return
    ok = len(w_shape) == len(losses.shape) and all(
        w is None or v is None or w == 1 or w == v for w, v in zip(w_shape, losses.shape))
    if not ok:
        raise ValueError(f"{function}: weights can not be broadcast to values. "
                         f"values.rank={len(losses.shape)}. weights.rank={len(w_shape)}. "
                         f"values.shape={shapes.fmt(losses.shape)}. "
                         f"weights.shape={shapes.fmt(w_shape)}.")


def _count(losses: Tensor, weights: Any, dtype: DType) -> Any:
    """The number of losses with a (broadcast) weight that is not 0, in `dtype`: a constant
    when the weight is a nonzero Python number and the losses' shape is known."""
    if not isinstance(weights, Tensor) and np.ndim(weights) == 0 and float(weights) != 0:
        if losses.shape is not None and shapes.is_fully_defined(losses.shape):
            return np.asarray(float(np.prod([int(d) for d in losses.shape if d is not None])),
                              dtype.np)
        return reduce_sum(ones_like(losses), name="num_elements")
    w = weights if isinstance(weights, Tensor) else convert_to_tensor(weights, dtype)
    present = where(equal(w, 0), 0, ones_like(losses))
    return reduce_sum(present, name="num_present")


def _safe_div(total: Tensor, count: Any) -> Tensor:
    """total / count, 0 where count is 0 (TensorFlow's div_no_nan)."""
    if not isinstance(count, Tensor):
        return total / count if float(count) != 0 else total * 0
    empty = equal(count, 0)
    return where(empty, 0, total / where(empty, 1, count), name="value")


def compute_weighted_loss(losses: Any, weights: Any = 1.0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """losses * weights, reduced as `reduction` says (default: the sum over the number of
    nonzero weights); added to `loss_collection` (None: to none)."""
    function = "compute_weighted_loss"
    Reduction.validate(reduction)
    with _scope(scope, "weighted_loss", losses, weights):
        losses = _floating(_tensor(losses, None, function), "losses", function)
        return _reduce(losses, weights, reduction, loss_collection, function)


def _reduce(losses: Tensor, weights: Any, reduction: str, loss_collection: str | None,
            function: str) -> Tensor:
    Reduction.validate(reduction)
    dtype = losses.dtype
    _check_broadcastable(weights, losses, function)
    if isinstance(weights, Tensor):
        if weights.dtype.is_bool:
            raise TypeError(f"{function}: weights must be numbers, got a bool tensor")
        weights = weights if weights.dtype == dtype else cast(weights, dtype)
    else:
        weights = np.asarray(weights, dtype.np)
    weighted = multiply(losses, weights)
    if reduction == Reduction.NONE:
        loss = weighted
    else:
        total = reduce_sum(weighted)
        if reduction == Reduction.SUM:
            loss = total
        elif reduction == Reduction.MEAN:
            loss = _safe_div(total, reduce_sum(multiply(ones_like(losses), weights)))
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            loss = _safe_div(total, _count(losses, 1.0, dtype))
        else:
            loss = _safe_div(total, _count(losses, weights, dtype))
    if loss.node.name.rsplit("/", 1)[-1] != "value" and reduction != Reduction.NONE:
        loss = identity(loss, name="value")
    if loss_collection is not None:
        add_loss(loss, loss_collection)
    return loss


# -- the loss functions ----------------------------------------------------------------------
def absolute_difference(labels: Any, predictions: Any, weights: Any = 1.0,
                        scope: str | None = None, loss_collection: str | None = LOSSES,
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """|predictions - labels|, weighted and reduced."""
    function = "absolute_difference"
    with _scope(scope, function, predictions, labels, weights):
        predictions, labels = _pair(labels, predictions, function)
        return _reduce(abs(predictions - labels), weights, reduction, loss_collection,
                       function)


def mean_squared_error(labels: Any, predictions: Any, weights: Any = 1.0,
                       scope: str | None = None, loss_collection: str | None = LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """(predictions - labels)^2, weighted and reduced (by default their mean)."""
    function = "mean_squared_error"
    with _scope(scope, function, predictions, labels, weights):
        predictions, labels = _pair(labels, predictions, function)
        return _reduce(square(predictions - labels), weights, reduction, loss_collection,
                       function)


def huber_loss(labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0,
               scope: str | None = None, loss_collection: str | None = LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """With x = |predictions - labels|: x^2 / 2 where x <= delta, delta * x - delta^2 / 2
    beyond (computed as TensorFlow does: q = min(x, delta), q^2 / 2 + delta * (x - q))."""
    function = "huber_loss"
    with _scope(scope, function, predictions, labels, weights):
        predictions, labels = _pair(labels, predictions, function)
        error = abs(predictions - labels)
        quadratic = minimum(error, delta)
        losses = 0.5 * square(quadratic) + delta * (error - quadratic)
        return _reduce(losses, weights, reduction, loss_collection, function)


def log_loss(labels: Any, predictions: Any, weights: Any = 1.0, epsilon: float = 1e-7,
             scope: str | None = None, loss_collection: str | None = LOSSES,
             reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """-labels log(predictions + epsilon) - (1 - labels) log(1 - predictions + epsilon):
    the cross entropy of probabilities `predictions` against labels in [0, 1]."""
    function = "log_loss"
    with _scope(scope, function, predictions, labels, weights):
        p, z = _pair(labels, predictions, function)
        losses = -multiply(z, log(p + epsilon)) - multiply(1 - z, log(1 - p + epsilon))
        return _reduce(losses, weights, reduction, loss_collection, function)


def hinge_loss(labels: Any, logits: Any, weights: Any = 1.0, scope: str | None = None,
               loss_collection: str | None = LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """max(0, 1 - (2 labels - 1) logits), labels 0 or 1 (taken as -1 and 1)."""
    function = "hinge_loss"
    with _scope(scope, function, logits, labels, weights):
        logits, labels = _pair(labels, logits, function, ("labels", "logits"))
        return _reduce(relu(1 - multiply(2 * labels - 1, logits)), weights, reduction,
                       loss_collection, function)


def sigmoid_cross_entropy(multi_class_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """gc.nn.sigmoid_cross_entropy_with_logits per element, weighted and reduced; with
    label_smoothing s the labels become labels (1 - s) + s / 2."""
    function = "sigmoid_cross_entropy"
    with _scope(scope, "sigmoid_cross_entropy_loss", logits, multi_class_labels, weights):
        logits, labels = _pair(multi_class_labels, logits, function,
                               ("multi_class_labels", "logits"))
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                      name="xentropy")
        return _reduce(losses, weights, reduction, loss_collection, function)


def softmax_cross_entropy(onehot_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """gc.nn.softmax_cross_entropy_with_logits_v2 per example (logits [batch, classes]),
    weighted (weights a scalar or [batch]) and reduced; no gradient flows into the labels.
    With label_smoothing s the labels become labels (1 - s) + s / classes."""
    function = "softmax_cross_entropy"
    with _scope(scope, "softmax_cross_entropy_loss", logits, onehot_labels, weights):
        logits, labels = _pair(onehot_labels, logits, function, ("onehot_labels", "logits"))
        if label_smoothing > 0:
            classes = nn._class_count(logits, -1, function)
            labels = labels * (1 - label_smoothing) + label_smoothing / classes
        losses = nn.softmax_cross_entropy_with_logits_v2(
            labels=stop_gradient(labels), logits=logits, name="xentropy")
        return _reduce(losses, weights, reduction, loss_collection, function)


def sparse_softmax_cross_entropy(labels: Any, logits: Any, weights: Any = 1.0,
                                 scope: str | None = None,
                                 loss_collection: str | None = LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """gc.nn.sparse_softmax_cross_entropy_with_logits per example (integer labels [batch],
    or [batch, 1], with logits [batch, classes]), weighted and reduced."""
    function = "sparse_softmax_cross_entropy"
    with _scope(scope, "sparse_softmax_cross_entropy_loss", logits, labels, weights):
        labels = _tensor(labels, None, function)
        logits = _floating(_tensor(logits, None, function), "logits", function)
        # TensorFlow's _remove_squeezable_dimensions: labels [batch, 1] as [batch], weights
        # of one more dimension than the labels without their last one
        if labels.shape is not None and logits.shape is not None and \
                len(labels.shape) == len(logits.shape) and labels.shape[-1] in (1, None):
            labels = squeeze(labels, [-1])
        w_shape = weights.shape if isinstance(weights, Tensor) else np.shape(weights)
        if w_shape is not None and labels.shape is not None and \
                len(w_shape) == len(labels.shape) + 1:
            weights = squeeze(weights, [-1]) if isinstance(weights, Tensor) else \
                np.squeeze(np.asarray(weights), -1)
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                             name="xentropy")
        return _reduce(losses, weights, reduction, loss_collection, function)


def _pair(labels: Any, predictions: Any, function: str,
          what: tuple[str, str] = ("labels", "predictions")) -> tuple[Tensor, Tensor]:
    """(predictions, labels) as tensors, the labels in the predictions' floating dtype, of
    compatible shapes."""
    p = _floating(_tensor(predictions, None, function), what[1], function)
    z = _tensor(labels, p.dtype, function)
    _same_shape(z, p, function, what)
    return p, z


# -- the losses collection -------------------------------------------------------------------
def add_loss(loss: Tensor, loss_collection: str = LOSSES) -> None:
    """Add `loss` to the graph's `loss_collection` (get_losses and get_total_loss read it)."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"add_loss takes a graph tensor, got {type(loss).__name__}")
    if loss_collection:
        graph = loss.graph or get_default_graph()
        graph.collections.setdefault(loss_collection, []).append(loss)


def get_losses(scope: str | None = None, loss_collection: str = LOSSES) -> list[Tensor]:
    """The losses in the default graph's `loss_collection`, those whose node name
    re.match-es `scope` if given."""
    found = get_default_graph().collections.get(loss_collection, [])
    return [t for t in found if scope is None or re.match(scope, t.node.name)]


def get_regularization_losses(scope: str | None = None) -> list[Tensor]:
    """The losses in the "regularization_losses" collection (filtered by `scope`)."""
    return get_losses(scope, REGULARIZATION_LOSSES)


def get_regularization_loss(scope: str | None = None,
                            name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses, or a float32 0 if there are none."""
    losses = get_regularization_losses(scope)
    if not losses:
        return convert_to_tensor(np.float32(0.0), op="get_regularization_loss")
    return _add_n(losses, name)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: str | None = None) -> Tensor:
    """The sum of get_losses(scope) (and of the regularization losses); a ValueError if
    there is none."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: no losses have been added to the graph's losses "
                         "collection (gc.losses functions and add_loss add them)")
    return _add_n(losses, name)


def _add_n(losses: list[Tensor], name: str) -> Tensor:
    dtypes = {t.dtype.name for t in losses}
    if len(dtypes) > 1:
        raise TypeError(f"cannot add losses of different dtypes: {sorted(dtypes)}")
    total = losses[0]
    graph = total.graph or get_default_graph()
    with graph.as_default():
        for t in losses[1:]:
            total = total + t
        return identity(total, name=name)
