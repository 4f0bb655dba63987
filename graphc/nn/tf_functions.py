"""TensorFlow 1's `tf.nn` functions (gc.nn.softmax, gc.nn.softmax_cross_entropy_with_logits...).

Each is a composition of graphc's own ops, so it runs natively on every backend, has its
gradient from the ops' gradient rules, and works on graph and eager tensors alike. The
numerically delicate pieces are written once here and shared with gc.nn.functional's
PyTorch-style losses:

- softmax and log_softmax subtract the maximum over the axis first (held by stop_gradient:
  the result does not depend on the shift, so neither does its gradient), so logits of
  +-1000 give exact probabilities and finite log-probabilities;
- softplus, log(1 + e^x), is TensorFlow's max(x, 0) + log1p(e^-|x|), with log1p computed to
  full precision (gc.log1p's composition, ops/composite.log1p_of);
- class labels become one-hot rows with graphc's one_hot (the class count C must be known
  when the graph is built).

Losses are per example, as in TensorFlow (reduce them with gc.reduce_mean).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import as_dtype, int32
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.elementwise import (
    abs,
    cast,
    equal,
    erf,
    exp,
    greater,
    greater_equal,
    less,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    sqrt,
    square,
    where,
)
from graphc.ops.elementwise import relu as _relu
from graphc.ops.elementwise import sigmoid as _sigmoid
from graphc.ops.elementwise import tanh as _tanh
from graphc.ops.array import expand_dims, gather, one_hot, squeeze
from graphc.ops.linalg import matmul
from graphc.ops.composite import log1p_of, squared_difference
from graphc.ops.composite import scope as _scope
from graphc.ops.random import random_uniform, random_uniform_like
from graphc.ops.reduce import reduce_all, reduce_max, reduce_mean, reduce_sum
# TensorFlow's tf.reduce_logsumexp, a top-level function there (not in tf.nn), is defined once
# with the other reductions (gc.reduce_logsumexp); the name stays importable from here
from graphc.ops.reduce import reduce_logsumexp  # noqa: F401
from graphc.ops.shape import reshape, stop_gradient

__all__ = [
    "bias_add", "dropout", "elu", "embedding_lookup", "gelu", "in_top_k", "l2_loss",
    "l2_normalize", "leaky_relu", "log_softmax", "moments", "relu", "relu6", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "softplus", "sparse_softmax_cross_entropy_with_logits",
    "tanh", "xw_plus_b",
]


# -- helpers ------------------------------------------------------------------------------
def _shape(x: Any) -> tuple[Any, ...] | None:
    """x's static shape (None where unknown), for tensors, eager tensors and arrays."""
    if isinstance(x, Tensor):
        return x.shape
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def _dtype(x: Any) -> Any:
    dtype = getattr(x, "dtype", None)
    return as_dtype(dtype) if dtype is not None else as_dtype(np.asarray(x).dtype)


def _like(value: np.ndarray, like: Any) -> Any:
    """A constant for an op with `like`: an array in graphs; in eager mode a tensor on
    `like`'s device (a host array of more than 0 dims cannot meet a device tensor)."""
    if core.is_eager(like) and getattr(like, "device", "cpu") != "cpu":
        from graphc.eager import creation

        return creation.tensor(value, dtype=value.dtype, device=like.device)
    return value


def _labels_for(labels: Any, like: Any) -> Any:
    """Class labels given as a list or array, as a tensor of their own integer dtype: an
    eager tensor (on like's device) when `like` is one, else a constant in like's graph."""
    if _is_tensor(labels):
        return labels
    array = np.asarray(labels)
    if core.is_eager(like):
        from graphc.eager import creation

        return creation.tensor(array, device=getattr(like, "device", "cpu"))
    return core.convert_to_tensor(array, None, core._graph_of((like,)), "labels")


def _named_only(function: str, args: tuple[Any, ...], labels: Any, logits: Any) -> None:
    """TensorFlow's rule for its cross-entropy functions: labels and logits by name only."""
    if args:
        raise ValueError(f"Only call `{function}` with named arguments (labels=..., "
                         f"logits=..., ...); got {len(args)} positional argument"
                         f"{'s' if len(args) > 1 else ''}")
    if labels is None or logits is None:
        raise ValueError(f"{function}: both labels and logits must be provided")


def _axis(axis: int, rank: int | None, function: str) -> int:
    """axis as a non-negative int (the rank must be known)."""
    if rank is None:
        raise ValueError(f"{function}: the rank of logits must be known when the graph is "
                         "built")
    if not -rank <= axis < rank:
        raise ValueError(f"{function}: axis {axis} is out of range for rank {rank}")
    return axis % rank


def _select_nonnegative(x: Any) -> tuple[Any, Any]:
    """(max(x, 0), -|x|) written as TensorFlow writes them, with where on x >= 0, so the
    gradient at exactly 0 is the one-sided limit's average that makes softplus' gradient
    there 1/2 (relu and abs would give 0 for both)."""
    nonnegative = greater_equal(x, 0)
    return where(nonnegative, x, 0), where(nonnegative, -x, x)


def _one_hot(labels: Any, depth: int, dtype: Any, axis: int, valid: Any = None) -> Any:
    """labels (integers) as one-hot vectors of `depth` along `axis` (graphc's one_hot: a
    label outside 0..depth-1 gives a row of zeros). `valid`, a bool tensor shaped like
    labels, zeroes the rows where it is false."""
    hot = one_hot(labels, depth, axis=axis, dtype=dtype)
    if valid is not None:
        hot = hot * cast(expand_dims(valid, axis), dtype)
    return hot


def _class_count(logits: Any, axis: int, function: str) -> int:
    """The static size of logits' class axis; a ValueError if it is not known."""
    shape = _shape(logits)
    if shape is None or shape[axis] is None:
        raise ValueError(f"{function}: the number of classes (logits' dimension {axis}) must "
                         f"be known when the graph is built; logits have shape "
                         f"{_fmt(shape)}. Give the placeholder or reshape a static class "
                         "dimension, e.g. shape=(None, 10)")
    return int(shape[axis])


def _fmt(shape: tuple[Any, ...] | None) -> str:
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


# -- activations ---------------------------------------------------------------------------
def relu(features: Any, name: str | None = None) -> Any:
    """max(features, 0), elementwise (graphc's relu op; its gradient at 0 is 0)."""
    return _relu(features, name=name)


def sigmoid(x: Any, name: str | None = None) -> Any:
    """1 / (1 + exp(-x)), elementwise (graphc's sigmoid op)."""
    return _sigmoid(x, name=name)


def tanh(x: Any, name: str | None = None) -> Any:
    """Hyperbolic tangent, elementwise (graphc's tanh op)."""
    return _tanh(x, name=name)


def _floating(x: Any, function: str) -> Any:
    """x as a tensor (a value becomes a constant); integers as float32, as TensorFlow's
    leaky_relu takes them."""
    if not _is_tensor(x):
        x = core.convert_to_tensor(np.asarray(x), op=function)
    return x if _dtype(x).is_floating else cast(x, "float32")


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Any:
    """x where x > 0, else alpha * x (TensorFlow's; integer features become float32). The
    gradient is 1 where x > 0, alpha elsewhere (alpha at 0, as TensorFlow's)."""
    with _scope(name, "LeakyRelu", features):
        x = _floating(features, "leaky_relu")
        return where(greater(x, 0), x, x * float(np.asarray(alpha)))


def relu6(features: Any, name: str | None = None) -> Any:
    """min(max(features, 0), 6). The gradient is 1 where 0 < x < 6 and 0 elsewhere (at 0
    and at 6 too, as TensorFlow's); NaN stays NaN."""
    with _scope(name, "Relu6", features):
        return where(greater_equal(features, 6), 6, _relu(features))


def elu(features: Any, name: str | None = None) -> Any:
    """exp(x) - 1 where x < 0, else x (TensorFlow's elu, floating point). The gradient is
    exp(x) where x < 0, else 1 (1 at 0). The exponential reads min(x, 0), so a large x,
    on the branch where does not take, never overflows into a NaN gradient."""
    if not _dtype(features).is_floating:
        raise TypeError(f"elu: expects floating-point features, got {_dtype(features).name}")
    with _scope(name, "Elu", features):
        return where(less(features, 0), exp(minimum(features, 0)) - 1, features)


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Any:
    """Gaussian error linear unit, x * P(X <= x) for X ~ N(0, 1) (TensorFlow 2's tf.nn.gelu,
    also F.gelu's): 0.5 x (1 + erf(x / sqrt(2))), or with `approximate` the tanh form
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). Floating point."""
    with _scope(name, "Gelu", features):
        x = features if _is_tensor(features) else \
            core.convert_to_tensor(np.asarray(features), op="gelu")
        if approximate:
            cubic = x + 0.044715 * (x * x * x)
            return 0.5 * x * (1 + _tanh(0.7978845608028654 * cubic))
        return 0.5 * x * (1 + erf(x / 1.4142135623730951))


def moments(x: Any, axes: Any, shift: Any = None, name: str | None = None,
            keep_dims: bool | None = None, keepdims: bool | None = None) -> tuple[Any, Any]:
    """(mean, variance) of x over `axes`, as TensorFlow 1 computes them: the mean, then the
    mean of squared_difference(x, mean) with the mean held by stop_gradient (which changes
    no gradient: the deviations sum to 0). keep_dims (or keepdims) keeps the reduced axes
    as 1s; `shift` is accepted and unused, as in TensorFlow."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = [int(a) for a in (axes if isinstance(axes, list | tuple) else [axes])]
    with _scope(name, "moments", x):
        mean = reduce_mean(x, axes, keepdims=True)
        variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes,
                               keepdims=True)
        if not keep:
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
        return mean, variance


def softplus(features: Any, name: str | None = None) -> Any:
    """log(1 + exp(features)), computed as max(x, 0) + log1p(exp(-|x|)): no overflow for
    large x, full precision for very negative x."""
    with _scope(name, "softplus", features):
        positive_part, minus_abs = _select_nonnegative(features)
        return positive_part + log1p_of(exp(minus_abs))


def softmax(logits: Any, axis: int = -1, name: str | None = None,
            dim: int | None = None) -> Any:
    """exp(logits) / sum(exp(logits)) over `axis` (`dim`: TensorFlow 1's old name for it),
    with the maximum subtracted first."""
    axis = axis if dim is None else dim
    with _scope(name, "softmax", logits):
        e = exp(_shifted(logits, axis, "softmax"))
        return e / reduce_sum(e, axis, keepdims=True)


def log_softmax(logits: Any, axis: int = -1, name: str | None = None,
                dim: int | None = None) -> Any:
    """logits - log(sum(exp(logits))) over `axis` (`dim`: TensorFlow 1's old name for it),
    computed as z - log(sum(exp(z))) with z = logits - max(logits): finite for logits of
    any size."""
    axis = axis if dim is None else dim
    with _scope(name, "log_softmax", logits):
        z = _shifted(logits, axis, "log_softmax")
        return z - log(reduce_sum(exp(z), axis, keepdims=True))


def _shifted(logits: Any, axis: int, function: str) -> Any:
    """logits minus their maximum over axis (held constant for gradients)."""
    shape = _shape(logits)
    _axis(axis, None if shape is None else len(shape), function)
    return logits - stop_gradient(reduce_max(logits, axis, keepdims=True))


# -- losses --------------------------------------------------------------------------------
def softmax_cross_entropy_with_logits_v2(*args: Any, labels: Any = None, logits: Any = None,
                                         axis: int = -1, name: str | None = None,
                                         dim: int | None = None) -> Any:
    """-sum(labels * log_softmax(logits)) over `axis`: one loss per example (logits' shape
    without `axis`). Gradients flow into both labels and logits. labels and logits are
    keyword-only, as in TensorFlow; `dim` is TensorFlow 1's old name for `axis`."""
    function = "softmax_cross_entropy_with_logits_v2"
    _named_only(function, args, labels, logits)
    with _scope(name, function, labels, logits):
        return _softmax_cross_entropy(labels, logits, axis if dim is None else dim, function)


def softmax_cross_entropy_with_logits(*args: Any, labels: Any = None, logits: Any = None,
                                      axis: int = -1, name: str | None = None,
                                      dim: int | None = None) -> Any:
    """TensorFlow 1's (deprecated there) softmax cross entropy: as the _v2 function, but no
    gradient flows into labels (they pass through stop_gradient)."""
    function = "softmax_cross_entropy_with_logits"
    _named_only(function, args, labels, logits)
    with _scope(name, function, labels, logits):
        held = stop_gradient(labels) if _is_tensor(labels) else labels
        return _softmax_cross_entropy(held, logits,
                                      axis if dim is None else dim, function)


def _softmax_cross_entropy(labels: Any, logits: Any, axis: int, function: str) -> Any:
    """-sum(labels * log_softmax(logits, axis), axis); the one definition of softmax cross
    entropy with dense labels (gc.nn.functional.cross_entropy with probabilities uses it)."""
    shape, label_shape = _shape(logits), _shape(labels)
    rank = None if shape is None else len(shape)
    axis = _axis(axis, rank, function)
    if shape is not None and label_shape is not None and len(label_shape) == rank and \
            any(a is not None and b is not None and a != b for a, b in zip(label_shape, shape)):
        raise ValueError(f"{function}: labels and logits must have the same shape; labels "
                         f"have shape {_fmt(label_shape)} and logits {_fmt(shape)}")
    return negative(reduce_sum(multiply(log_softmax(logits, axis), labels), axis))


def sparse_softmax_cross_entropy_with_logits(*args: Any, labels: Any = None,
                                             logits: Any = None,
                                             name: str | None = None) -> Any:
    """-log_softmax(logits)[..., labels]: softmax cross entropy with integer class labels
    (shape: logits' without the last axis; values 0..C-1, C = logits.shape[-1], which must
    be known when the graph is built). One loss per example; no gradient for labels. A label
    outside 0..C-1 gives a loss of 0 (TensorFlow raises on CPU and gives NaN on GPU)."""
    function = "sparse_softmax_cross_entropy_with_logits"
    _named_only(function, args, labels, logits)
    shape, label_shape = _shape(logits), _shape(labels)
    if shape is None or not shape:
        raise ValueError(f"{function}: logits must have a known rank of at least 1; got "
                         f"shape {_fmt(shape)}")
    if not _dtype(labels).is_integer:
        raise TypeError(f"{function}: labels must be integer class indices (int32 or "
                        f"int64), not {_dtype(labels).name}")
    if label_shape is None or (len(label_shape) != len(shape) - 1 or any(
            a is not None and b is not None and a != b for a, b in zip(label_shape, shape))):
        raise ValueError(f"{function}: labels must have the shape of logits without the "
                         f"last dimension; labels have shape {_fmt(label_shape)} and logits "
                         f"{_fmt(shape)}")
    with _scope(name, function, labels, logits):
        return negative(_pick(log_softmax(logits, -1), labels, len(shape) - 1, function))


def _pick(values: Any, labels: Any, axis: int, function: str, valid: Any = None) -> Any:
    """values[..., labels[...], ...] along `axis` (summed away), by one-hot selection."""
    labels = _labels_for(labels, values)
    depth = _class_count(values, axis, function)
    hot = _one_hot(labels, depth, _dtype(values), axis, valid)
    return reduce_sum(hot * values, axis)


def sigmoid_cross_entropy_with_logits(*args: Any, labels: Any = None, logits: Any = None,
                                      name: str | None = None) -> Any:
    """Elementwise -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)) for labels z and
    logits x, as TensorFlow computes it: max(x, 0) - x z + log1p(exp(-|x|)), which is
    finite for any x. Same shape as logits; gradients flow into both."""
    function = "sigmoid_cross_entropy_with_logits"
    _named_only(function, args, labels, logits)
    shape, label_shape = _shape(logits), _shape(labels)
    if shape is not None and label_shape is not None and not _compatible(label_shape, shape):
        raise ValueError(f"{function}: labels and logits must have the same shape; labels "
                         f"have shape {_fmt(label_shape)} and logits {_fmt(shape)}")
    with _scope(name, function, labels, logits):
        return softplus(logits) - multiply(logits, labels)


def _compatible(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def l2_loss(t: Any, name: str | None = None) -> Any:
    """sum(t ** 2) / 2, a scalar."""
    with _scope(name, "l2_loss", t):
        return reduce_sum(square(t)) / 2


# -- evaluation ----------------------------------------------------------------------------
def in_top_k(predictions: Any, targets: Any, k: Any, name: str | None = None) -> Any:
    """Whether each example's target class is among its k highest predictions: a bool
    vector [batch] for predictions [batch, classes] (floating point, the class count known
    when the graph is built) and integer targets [batch].

    Ties count as TensorFlow counts them: the target is in the top k when fewer than k
    classes have a strictly greater prediction, so classes tied at the boundary are all in.
    A target outside 0..classes-1, or a row with a prediction that is not finite (inf,
    -inf, NaN), gives False."""
    function = "in_top_k"
    shape, target_shape = _shape(predictions), _shape(targets)
    if shape is None or len(shape) != 2:
        raise ValueError(f"{function}: predictions must be a matrix [batch, classes]; got "
                         f"shape {_fmt(shape)}")
    if not _dtype(predictions).is_floating:
        raise TypeError(f"{function}: predictions must be floating point, not "
                        f"{_dtype(predictions).name}")
    if not _dtype(targets).is_integer:
        raise TypeError(f"{function}: targets must be integer class ids (int32 or int64), "
                        f"not {_dtype(targets).name}")
    if target_shape is None or len(target_shape) != 1 or (
            target_shape[0] is not None and shape[0] is not None and
            target_shape[0] != shape[0]):
        raise ValueError(f"{function}: targets must be a vector [batch] matching "
                         f"predictions {_fmt(shape)}; got shape {_fmt(target_shape)}")
    if not _is_tensor(k) and (isinstance(k, bool) or int(k) != k):
        raise TypeError(f"{function}: k must be an integer, got {k!r}")
    with _scope(name, function, predictions, targets, k):
        classes = _class_count(predictions, 1, function)
        if not _is_tensor(predictions):
            predictions = core.convert_to_tensor(np.asarray(predictions), op=function)
        targets = _labels_for(targets, predictions)
        hot = equal(one_hot(targets, classes, dtype=int32), 1)
        target_prediction = reduce_sum(where(hot, predictions, 0), 1, keepdims=True)
        # counted in the predictions' dtype (exact below 2^24 classes in float32), which
        # every backend sums natively
        dtype = _dtype(predictions)
        above = reduce_sum(cast(greater(predictions, target_prediction), dtype), 1)
        finite = reduce_all(less(abs(predictions), np.inf), 1)
        in_range = where(greater_equal(targets, 0), less(targets, classes), False)
        count = float(k) if not _is_tensor(k) else cast(k, dtype)
        return where(in_range, where(finite, less(above, count), False), False)


# -- layers --------------------------------------------------------------------------------
def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Any:
    """value + bias, bias a vector added along the channel axis: the last one (data_format
    None or "N...C", e.g. "NHWC"), or axis 1 ("NC...", e.g. "NCHW")."""
    shape, bias_shape = _shape(value), _shape(bias)
    if bias_shape is not None and len(bias_shape) != 1:
        raise ValueError(f"bias_add: bias must be a vector, got shape {_fmt(bias_shape)}")
    channels_first = data_format is not None and data_format.startswith("NC")
    if data_format is not None and not (channels_first or data_format.endswith("C")):
        raise ValueError(f"bias_add: data_format must be like 'NHWC' or 'NCHW', not "
                         f"{data_format!r}")
    if shape is not None and len(shape) < (2 if channels_first else 1):
        raise ValueError(f"bias_add: value must have rank at least "
                         f"{2 if channels_first else 1}, got shape {_fmt(shape)}")
    axis = 1 if channels_first else -1
    if shape is not None and bias_shape is not None and shape[axis] is not None and \
            bias_shape[0] is not None and shape[axis] != bias_shape[0]:
        raise ValueError(f"bias_add: bias has {bias_shape[0]} elements but value's channel "
                         f"dimension ({axis}) has {shape[axis]}; value has shape "
                         f"{_fmt(shape)}")
    with _scope(name, "bias_add", value, bias):
        if channels_first and len(shape) > 2:  # type: ignore[arg-type]
            bias = reshape(bias, (-1,) + (1,) * (len(shape) - 2))  # type: ignore[arg-type]
        return value + bias


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Any:
    """x @ weights + biases (TensorFlow 1's tf.nn.xw_plus_b): matmul, then bias_add."""
    with _scope(name, "xw_plus_b", x, weights, biases):
        return bias_add(matmul(x, weights), biases)


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: str | None = None, validate_indices: bool = True,
                     max_norm: Any = None) -> Any:
    """The rows of params that the integer ids name: shape ids.shape + params.shape[1:]
    (tf.gather along axis 0; its gradient sums into the rows). One params tensor only
    (graphc has no partitioned variables); max_norm is not supported."""
    if isinstance(params, list | tuple):
        if len(params) != 1:
            raise ValueError("embedding_lookup: graphc has no partitioned variables; give "
                             "one params tensor")
        params = params[0]
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported")
    with _scope(name, "embedding_lookup", params, ids):
        return gather(params, ids)


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None,
                 dim: Any = None) -> Any:
    """x / sqrt(max(sum(x^2 over axis), epsilon)) (TensorFlow's; `dim` is axis's old
    name; axis None normalizes over every element)."""
    if dim is not None:
        if axis is not None:
            raise ValueError("l2_normalize: give axis or dim (its old name), not both")
        axis = dim
    with _scope(name, "l2_normalize", x):
        squares = reduce_sum(square(x), axis, keepdims=True)
        return x / sqrt(maximum(squares, epsilon))


def dropout(x: Any, keep_prob: Any = None, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None, rate: Any = None) -> Any:
    """Keep each element with probability keep_prob (TensorFlow 1) = 1 - rate (TensorFlow
    2), scaled by 1 / keep_prob; zero the others. Give one of keep_prob and rate, a number
    or a scalar tensor (a placeholder fed 1.0 at evaluation time is TF1's idiom).
    noise_shape, broadcastable to x's shape, shares one draw along its 1-dims.

    In graphs the mask is drawn anew on every run with op seed `seed`, in noise_shape (which
    must be fully known) or else in x's shape, at run time where it has None dims. On eager
    tensors it is drawn at once, from graphc.eager's generator (ge.manual_seed), or from
    `seed` when given."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob (TensorFlow 1) and rate "
                         "(TensorFlow 2)")
    dtype = _dtype(x)
    if not dtype.is_floating:
        raise TypeError(f"dropout: x must be floating point, not {dtype.name}")
    for label, p in (("keep_prob", keep_prob), ("rate", rate)):
        if p is not None and not _is_tensor(p):
            bounds_ok = 0 < float(p) <= 1 if label == "keep_prob" else 0 <= float(p) < 1
            if not bounds_ok:
                interval = "(0, 1]" if label == "keep_prob" else "[0, 1)"
                raise ValueError(f"dropout: {label} must be in {interval}, got {p}")
    shape = _shape(noise_shape) if _is_tensor(noise_shape) else (
        tuple(noise_shape) if noise_shape is not None else _shape(x))
    static = shape is not None and all(d is not None for d in shape)
    x_shape = _shape(x)
    if not static and noise_shape is not None and (
            x_shape is None or len(shape) != len(x_shape) or  # type: ignore[arg-type]
            any(d not in (1, x_d) for d, x_d in zip(shape, x_shape))):  # type: ignore[arg-type]
        raise ValueError(f"dropout: noise_shape {_fmt(shape)} has dims known only at run "
                         f"time; each must then be 1 or x's own dim (x has shape "
                         f"{_fmt(x_shape)})")
    with _scope(name, "dropout", x, keep_prob, rate):
        keep = _as(keep_prob, dtype) if keep_prob is not None else 1 - _as(rate, dtype)
        drop = 1 - keep if keep_prob is not None else _as(rate, dtype)
        if static and shape is not None:
            draw = _uniform(tuple(int(d) for d in shape), dtype, seed, x)
        else:  # x's shape at run time (e.g. (None, n)), one draw kept along noise's 1-dims
            draw = random_uniform_like(x, dtype, seed)
            if noise_shape is not None:
                draw = draw[tuple(slice(0, 1) if d == 1 else slice(None)  # type: ignore[index]
                                  for d in shape)]  # type: ignore[union-attr]
        return where(greater_equal(draw, drop), x / keep, 0)


def training_flag(training: Any, function: str) -> Any:
    """tf.layers' `training`: a Python bool (decided when the graph is built), or a bool
    scalar tensor, a placeholder say (decided each run; one of no shape is taken as a
    scalar)."""
    if not isinstance(training, Tensor):
        return bool(training)
    if not training.dtype.is_bool or training.shape not in ((), None):
        raise TypeError(f"{function}: training must be a Python bool or a bool scalar tensor, "
                        f"got {training.dtype.name}{_fmt(training.shape)}")
    return training if training.shape == () else reshape(training, ())


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or core.is_eager(value)


def _as(p: Any, dtype: Any) -> Any:
    """keep_prob or rate in x's dtype: a Python float, or a tensor cast to it."""
    if not _is_tensor(p):
        return float(p)
    return p if _dtype(p) == dtype else cast(p, dtype)


def _uniform(shape: tuple[int, ...], dtype: Any, seed: int | None, like: Any) -> Any:
    """Uniform draws on [0, 1): a random_uniform node in graphs, values now in eager mode."""
    if not core.is_eager(like):
        return random_uniform(shape, 0.0, 1.0, dtype, seed)
    from graphc.eager import creation

    if seed is None:
        return creation.rand(*shape, dtype=dtype, device=like.device)
    values = np.random.default_rng(seed).random(shape).astype(dtype.np)
    return creation.tensor(values, dtype=dtype, device=like.device)
