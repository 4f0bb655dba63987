"""Stateless layers as functions, written on graphc's ops (both modes), with PyTorch's
names and conventions (the class dimension of a loss's input is dim 1)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from graphc.dtypes import int64
from graphc.eager.extras import wrap_dim
from graphc.nn import tf_functions as _tf
from graphc.nn.conv import avg_pool2d, conv2d, max_pool2d  # noqa: F401 - (nn/conv.py)
from graphc.nn.conv import conv_transpose2d  # noqa: F401 - (nn/conv.py)
from graphc.nn.normalization import batch_norm  # noqa: F401 - with nn.BatchNorm1d
from graphc.nn.resampling import adaptive_avg_pool2d, adaptive_max_pool2d  # noqa: F401
from graphc.nn.resampling import interpolate  # noqa: F401 - (nn/resampling.py)
from graphc.nn.padding import pad  # noqa: F401 - (nn/padding.py)
from graphc.nn.embedding_bag import embedding_bag  # noqa: F401 - (nn/embedding_bag.py)
from graphc.ops import core
from graphc.ops.array import gather
from graphc.ops.array import one_hot as _one_hot
from graphc.ops.elementwise import abs as _abs
from graphc.ops.elementwise import (
    cast,
    exp,
    greater,
    less,
    log,
    maximum,
    multiply,
    not_equal,
    sqrt,
    square,
    where,
)
from graphc.ops.elementwise import relu as _relu
from graphc.ops.elementwise import sigmoid as _sigmoid
from graphc.ops.elementwise import tanh as _tanh
from graphc.ops.linalg import matmul
from graphc.ops.operators import clamp as _clamp
from graphc.ops.reduce import reduce_mean, reduce_sum
from graphc.ops.shape import reshape, stop_gradient
from graphc.site import user_stacklevel

REDUCTIONS = ("mean", "sum", "none")
Loss = TypeVar("Loss", bound=Callable[..., Any])


def legacy_reduction(function: Loss) -> Loss:
    """A loss that also takes PyTorch's deprecated size_average= and reduce= (2017-2018
    code): as PyTorch, reduce=False is "none", else size_average=False "sum", else "mean",
    with PyTorch's warning."""
    @functools.wraps(function)
    def wrapper(*args: Any, size_average: Any = None, reduce: Any = None,
                **kwargs: Any) -> Any:
        if size_average is not None or reduce is not None:
            reduction = "none" if reduce is False else \
                "sum" if size_average is False else "mean"
            warnings.warn("size_average and reduce args will be deprecated, please use "
                          f"reduction='{reduction}' instead.", UserWarning,
                          stacklevel=user_stacklevel())
            kwargs["reduction"] = reduction
        return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# -- activations and layers ---------------------------------------------------------------
def relu(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """max(x, 0). `inplace` is accepted for PyTorch's signature; the result is a new
    tensor."""
    return _relu(input)


def tanh(input: Any) -> Any:  # noqa: A002
    """Hyperbolic tangent, elementwise."""
    return _tanh(input)


def sigmoid(input: Any) -> Any:  # noqa: A002
    """1 / (1 + exp(-x)), elementwise."""
    return _sigmoid(input)


def leaky_relu(input: Any, negative_slope: float = 0.01,  # noqa: A002
               inplace: bool = False) -> Any:
    """x where x > 0, else negative_slope * x; the gradient at 0 is negative_slope, as
    PyTorch's (TensorFlow's leaky_relu, gc.nn.leaky_relu, is the same function). `inplace`
    is accepted for PyTorch's signature; the result is a new tensor."""
    return _tf.leaky_relu(input, negative_slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:  # noqa: A002
    """x where x > 0, else alpha * (exp(x) - 1); the gradient at 0 is alpha, as PyTorch's.
    The exponential is taken of min(x, 0), so a large x never overflows it (an inf there
    would make the unused branch's gradient NaN)."""
    positive = greater(input, 0)
    negative_part = alpha * (exp(where(positive, 0, input)) - 1)
    return where(positive, input, negative_part)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:  # noqa: A002
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (PyTorch's
    linear region); computed stably (gc.nn.softplus), finite for any x, with gradient
    sigmoid(beta * x) (1/2 at 0)."""
    scaled = input * beta if beta != 1 else input
    smooth = _tf.softplus(scaled)
    return where(greater(scaled, threshold), input, smooth / beta if beta != 1 else smooth)


def gelu(input: Any, approximate: str = "none") -> Any:  # noqa: A002
    """x * P(X <= x), X standard normal: 0.5 x (1 + erf(x / sqrt(2))) with approximate="none",
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) with "tanh" (gc.nn.gelu)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, not "
                           f"{approximate!r}")
    return _tf.gelu(input, approximate == "tanh")


def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """Class indices (int64) as one-hot rows: shape (*tensor.shape, num_classes), int64.
    num_classes=-1 takes the largest index + 1 (eager tensors only: a graph needs the count
    while it is built). Eager indices must lie in 0..num_classes-1, as PyTorch checks; in a
    graph an index outside gives a row of zeros."""
    dtype = _tf._dtype(tensor)
    if dtype != int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor "
                           f"(int64), not {dtype.name}")
    eager = core.is_eager(tensor) and getattr(tensor, "device", "cpu") == "cpu"
    if num_classes == -1:
        if not core.is_eager(tensor):
            raise ValueError("one_hot: give num_classes for a graph tensor (its values, and so "
                             "its largest class, are known only when it runs)")
        values = np.asarray(tensor)
        num_classes = int(values.max()) + 1 if values.size else 0
    if eager:
        values = np.asarray(tensor)
        if values.size and values.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if values.size and values.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return _one_hot(tensor, int(num_classes), dtype=int64)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """x @ weight^T + bias, with PyTorch's layout (weight is out_features x in_features)."""
    y = matmul(x, weight, transpose_b=True)
    return y if bias is None else y + bias


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, eps: float = 1e-5) -> Any:
    """input normalized over its last len(normalized_shape) dims, which must be those
    dims: (x - mean) / sqrt(var + eps) with the biased variance (PyTorch's), then times
    weight and plus bias (each of normalized_shape) where given."""
    dims = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    shape = _tf._shape(input)
    if shape is None or tuple(shape[len(shape) - len(dims):]) != dims or \
            len(dims) > len(shape):
        raise RuntimeError(f"Given normalized_shape={list(dims)}, expected input with shape "
                           f"[*, {', '.join(map(str, dims))}], but got input of size "
                           f"{_tf._fmt(shape)}")
    axes = list(range(len(shape) - len(dims), len(shape)))
    centered = input - reduce_mean(input, axes, keepdims=True)
    y = centered / sqrt(reduce_mean(square(centered), axes, keepdims=True) + eps)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Any:  # noqa: A002
    """The rows of weight (num_embeddings, embedding_dim) that the int64 indices in input
    name: shape (*input.shape, embedding_dim). The row padding_idx gets no gradient, as
    PyTorch's; an index out of range is an error naming it."""
    dtype = _tf._dtype(input)
    if dtype.is_floating or dtype.is_bool:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {dtype.name} instead")
    if padding_idx is not None:
        rows = (_tf._shape(weight) or (None,))[0]
        if rows is None:
            raise ValueError("embedding: padding_idx needs the number of rows of weight "
                             "known while the graph is built")
        padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx
        held = np.arange(rows).reshape(rows, 1) == padding_idx
        weight = where(held, stop_gradient(weight), weight)
    return gather(weight, input)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:  # noqa: A002
    """input with dims start_dim..end_dim (inclusive) merged into one (torch.flatten); a
    0-d input becomes shape (1,). In graphs at most one dim of the result may be unknown
    (a batch of None: flatten(x, 1) of shape (None, 8, 8) is (None, 64))."""
    shape = _tf._shape(input)
    if shape is None:
        raise ValueError("flatten: the rank of input must be known when the graph is built")
    if not shape:
        return reshape(input, (1,))
    rank = len(shape)
    start, end = (wrap_dim(d, rank, "flatten") for d in (start_dim, end_dim))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for "
                         f"input of shape {_tf._fmt(shape)}")
    merged = shape[start:end + 1]
    size = None if None in merged else _product(merged)
    new = [-1 if d is None else int(d) for d in (*shape[:start], size, *shape[end + 1:])]
    if new.count(-1) > 1:
        raise ValueError(f"flatten: input of shape {_tf._fmt(shape)} flattened over dims "
                         f"{start}..{end} would have more than one unknown dimension; give "
                         "the placeholder more static dimensions")
    return reshape(input, new)


def _product(dims: tuple[Any, ...]) -> int:
    size = 1
    for d in dims:
        size *= int(d)
    return size


def dropout(input: Any, p: float = 0.5, training: Any = True,  # noqa: A002
            inplace: bool = False) -> Any:
    """Zero each element with probability p and scale the others by 1 / (1 - p), while
    `training`; the identity otherwise. `training` is a Python bool, or in graphs a scalar
    bool tensor (a placeholder: one graph that drops out when fed True).

    Eagerly the mask comes from graphc.eager's generator (ge.manual_seed). In graphs it is
    a random op drawn anew on every run (seeded by gc.set_random_seed), in input's shape at
    run time when its batch is unknown. `inplace` is accepted for PyTorch's signature; the
    result is always a new tensor."""
    return _dropout(input, p, training, "dropout", lambda: _tf.dropout(input, rate=float(p)))


def dropout2d(input: Any, p: float = 0.5, training: Any = True,  # noqa: A002
              inplace: bool = False) -> Any:
    """F.dropout of whole channels: each channel of each sample ((N, C, H, W), or (C, H, W)
    unbatched) is zeroed with probability p, the others scaled by 1 / (1 - p). A 2-D input
    (N, C), which the pytorch/examples MNIST network gives it, is F.dropout with PyTorch's
    deprecation warning."""
    shape = _tf._shape(input)
    if shape is not None and len(shape) == 2:  # (PyTorch's deprecated case: each element)
        warnings.warn("dropout2d: Received a 2-D input to dropout2d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead.", UserWarning,
                      stacklevel=user_stacklevel())
        return dropout(input, p, training)
    if shape is None or len(shape) not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {_tf._fmt(shape)}")
    channels = len(shape) - 2  # (the dims up to the channel dim keep their own draws)
    noise = (*shape[:channels], *(1 for _ in shape[channels:]))
    return _dropout(input, p, training, "dropout2d",
                    lambda: _tf.dropout(input, rate=float(p), noise_shape=noise))


def _dropout(input: Any, p: float, training: Any, function: str,  # noqa: A002
             dropped_of: Any) -> Any:
    """dropped_of() while `training` (a bool, or a bool tensor in graphs), else input;
    with p = 1 every element is dropped (input * 0, which keeps NaN and the gradient's
    path), where TensorFlow's dropout would divide by a keep probability of 0."""
    if isinstance(p, bool) or not 0 <= float(p) <= 1:
        raise ValueError(f"{function}: dropout probability has to be between 0 and 1, but "
                         f"got {p}")
    dtype = _tf._dtype(input)
    if not dtype.is_floating:
        raise TypeError(f"{function}: input must be floating point, not {dtype.name}")
    if training is False or p == 0:
        return input
    dropped = input * 0 if p == 1 else dropped_of()
    if training is True:
        return dropped
    if not _tf._is_tensor(training):
        raise TypeError(f"{function}: training must be a bool or a bool tensor, not "
                        f"{type(training).__name__}")
    if not _tf._dtype(training).is_bool:
        raise TypeError(f"{function}: training must be a bool tensor, not "
                        f"{_tf._dtype(training).name}")
    return where(training, dropped, input)


# -- normalizations -----------------------------------------------------------------------
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


# -- losses -------------------------------------------------------------------------------
def _check_reduction(reduction: str, function: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{function}: reduction must be 'mean', 'sum' or 'none', not "
                         f"{reduction!r}")


def _reduced(loss: Any, reduction: str, function: str) -> Any:
    """A loss per element, then its mean ("mean"), its sum ("sum"), or as is ("none")."""
    _check_reduction(reduction, function)
    if reduction == "mean":
        return reduce_mean(loss)
    return reduce_sum(loss) if reduction == "sum" else loss


def _same_shape(input: Any, target: Any, function: str) -> None:  # noqa: A002
    """PyTorch's rule for the binary cross entropies: target has input's shape."""
    shape, target_shape = _tf._shape(input), _tf._shape(target)
    if shape is not None and target_shape is not None and \
            not _tf._compatible(tuple(target_shape), tuple(shape)):
        raise ValueError(f"{function}: target size {_tf._fmt(target_shape)} must be the "
                         f"same as input size {_tf._fmt(shape)}")


def _for(value: Any, input: Any) -> Any:  # noqa: A002
    """A loss setting (weight, pos_weight) usable with `input`: a module made with eager
    tensors and called in a graph gets their values as constants."""
    if value is None or not core.is_eager(value) or core.is_eager(input):
        return value
    return np.asarray(value)


def _warn_if_broadcast(input: Any, target: Any) -> None:  # noqa: A002
    """PyTorch's warning when target's shape differs from input's: (N, 1) against (N,)
    broadcasts to (N, N), a loss over every pair."""
    if not hasattr(target, "shape"):  # a Python number
        return
    shape, target_shape = _tf._shape(input), _tf._shape(target)
    if shape is not None and target_shape is not None and \
            not _tf._compatible(tuple(target_shape), tuple(shape)):
        warnings.warn(f"Using a target size {_tf._fmt(target_shape)} that is different to "
                      f"the input size {_tf._fmt(shape)}. This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


@legacy_reduction
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Squared error: its mean ("mean"), its sum ("sum"), or elementwise ("none")."""
    _check_reduction(reduction, "mse_loss")
    _warn_if_broadcast(input, target)
    return _reduced(square(input - target), reduction, "mse_loss")


@legacy_reduction
def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Absolute error |input - target|, reduced (its gradient at a difference of 0 is 0)."""
    _check_reduction(reduction, "l1_loss")
    _warn_if_broadcast(input, target)
    return _reduced(_abs(input - target), reduction, "l1_loss")


@legacy_reduction
def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
                   beta: float = 1.0) -> Any:
    """Huber-like error of d = input - target: d^2 / (2 beta) where |d| < beta, else
    |d| - beta / 2; l1_loss when beta is 0. Reduced as the other losses."""
    function = "smooth_l1_loss"
    _check_reduction(reduction, function)
    if beta < 0:
        raise ValueError(f"{function}: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    _warn_if_broadcast(input, target)
    d = input - target
    size = _abs(d)
    losses = where(less(size, beta), square(d) * (0.5 / beta), size - 0.5 * beta)
    return _reduced(losses, reduction, function)


def _clamped_log(x: Any) -> Any:
    """log(x) held at >= -100, as PyTorch's binary_cross_entropy clamps it. Where x <= 0 the
    log is never taken (log(0) would warn and give a NaN gradient): -100 outright."""
    positive = greater(x, 0)
    return where(positive, maximum(log(where(positive, x, 1)), -100.0), -100.0)


def _check_probabilities(input: Any, function: str) -> None:  # noqa: A002
    """PyTorch's check that an eager input holds probabilities (on the CPU, where it is
    free of a device copy)."""
    if not core.is_eager(input) or getattr(input, "device", "cpu") != "cpu":
        return
    values = np.asarray(input)
    if not ((values >= 0) & (values <= 1)).all():
        raise ValueError(f"{function}: all elements of input should be between 0 and 1; "
                         f"input (shape {_tf._fmt(values.shape)}, {values.dtype}) holds values "
                         f"from {values.min():g} to {values.max():g}")


@legacy_reduction
def binary_cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Any:
    """-[z log(x) + (1 - z) log(1 - x)] for probabilities x and targets z of the same
    shape, each log clamped at -100 (so x = 0 or 1 gives a finite loss), times `weight`
    (broadcast), then reduced. Its gradient is the derivative of this clamped loss, which
    is PyTorch's (x - z) / (x (1 - x)) except where x (1 - x) < 1e-12. Eager inputs on the
    CPU outside [0, 1] are an error, as in PyTorch (graphs are not checked at run time).
    Prefer binary_cross_entropy_with_logits on logits."""
    function = "binary_cross_entropy"
    _check_reduction(reduction, function)
    _same_shape(input, target, function)
    _check_probabilities(input, function)
    weight = _for(weight, input)
    losses = -(multiply(target, _clamped_log(input)) +
               multiply(1 - target, _clamped_log(1 - input)))
    if weight is not None:
        losses = multiply(losses, weight)
    return _reduced(losses, reduction, function)


@legacy_reduction
def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """-[p z log(sigmoid(x)) + (1 - z) log(1 - sigmoid(x))] for logits x, targets z and
    pos_weight p (1 if None), elementwise, times `weight`, then reduced. Computed as
    gc.nn.sigmoid_cross_entropy_with_logits, finite for any x."""
    function = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, function)
    _same_shape(input, target, function)
    weight, pos_weight = _for(weight, input), _for(pos_weight, input)
    if pos_weight is None:
        losses = _tf.sigmoid_cross_entropy_with_logits(labels=target, logits=input)
    else:  # (1 - z) x + (1 + (p - 1) z) softplus(-x)
        log_weight = 1 + multiply(pos_weight - 1, target)
        losses = multiply(1 - target, input) + multiply(log_weight, _tf.softplus(-input))
    if weight is not None:
        losses = multiply(losses, weight)
    return _reduced(losses, reduction, function)


def _class_weights(hot: Any, weight: Any, depth: int, rank: int, axis: int) -> Any:
    """One-hot (or probability) rows times the class weights, broadcast along `axis`."""
    if weight is None:
        return hot
    weight_shape = _tf._shape(weight) if _tf._is_tensor(weight) else np.shape(weight)
    if weight_shape is not None and not _tf._compatible(tuple(weight_shape), (depth,)):
        raise ValueError(f"weight should be defined either for all {depth} classes or no "
                         f"classes, but got weight of shape {_tf._fmt(weight_shape)}")
    shape = (depth,) + (1,) * (rank - axis - 1)
    if not _tf._is_tensor(weight):  # an array or list: reshaped here, a constant of the op
        return multiply(hot, np.reshape(np.asarray(weight), shape))
    return multiply(hot, reshape(weight, shape))


def _picked(input: Any, target: Any, weight: Any, ignore_index: int,  # noqa: A002
            function: str) -> tuple[Any, Any, int, int]:
    """The checks of nll_loss, and `hot`: target as one-hot rows along the class axis, times
    the class weights, zero where target == ignore_index; with `counted` (1 where target is
    not ignore_index, else 0, in input's dtype), the class axis and the class count."""
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
    if target_shape is None or not _tf._compatible(tuple(target_shape), tuple(expected)):
        raise ValueError(f"{function}: target must have input's shape without the class "
                         f"dimension {axis}, {_tf._fmt(expected)}; got "
                         f"{_tf._fmt(target_shape)}")
    depth = _tf._class_count(input, axis, function)
    _check_classes(target, depth, ignore_index, function)
    dtype = _tf._dtype(input)
    valid = not_equal(target, ignore_index)
    hot = _class_weights(_tf._one_hot(target, depth, dtype, axis, valid), weight, depth,
                         len(shape), axis)
    return hot, cast(valid, dtype), axis, depth


def _check_classes(target: Any, depth: int, ignore_index: int, function: str) -> None:
    """PyTorch's check that eager class indices (on the CPU, where it is free of a device
    copy) are classes, 0..depth-1, or ignore_index; graphs are not checked at run time (an
    index out of range counts as ignored there)."""
    if not core.is_eager(target) or getattr(target, "device", "cpu") != "cpu":
        return
    values = np.asarray(target)
    wrong = values[(values != ignore_index) & ((values < 0) | (values >= depth))]
    if wrong.size:
        raise IndexError(f"{function}: Target {wrong.flat[0]} is out of bounds: class "
                         f"indices must be in 0..{depth - 1} (or ignore_index, "
                         f"{ignore_index})")


@legacy_reduction
def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Any:
    """Negative log-likelihood of class indices: -input[n, target[n]] (input holds
    log-probabilities, shape (N, C) or (N, C, d1, ...); target (N) or (N, d1, ...)).
    `weight` (C) weighs each class; targets equal to `ignore_index` count for nothing.
    "mean" divides by the total weight of the counted targets, as PyTorch does."""
    function = "nll_loss"
    _check_reduction(reduction, function)
    hot, _, axis, _ = _picked(input, target, _for(weight, input), ignore_index, function)
    losses = -reduce_sum(multiply(hot, input), axis)
    if reduction == "mean":
        return reduce_sum(losses) / reduce_sum(hot)
    return _reduced(losses, reduction, function)


@legacy_reduction
def cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """Softmax cross entropy of logits `input` ((N, C) or (N, C, d1, ...), classes on dim
    1) against `target`: class indices (N) or (N, d1, ...), as nll_loss(log_softmax(input,
    1), target); or class probabilities shaped like input (no ignore_index then). `weight`
    (C) weighs the classes; with label_smoothing e the target is mixed with the uniform
    distribution, (1 - e) target + e / C. Reduced as nll_loss (indices: the mean divides by
    the total weight of the counted targets) or over all examples (probabilities)."""
    function = "cross_entropy"
    _check_reduction(reduction, function)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{function}: label_smoothing must be between 0 and 1, got "
                         f"{label_smoothing}")
    shape, weight = _tf._shape(input), _for(weight, input)
    axis = 0 if shape is not None and len(shape) == 1 else 1
    if not _tf._dtype(target).is_integer:  # class probabilities
        target_shape = _tf._shape(target)
        if shape is not None and target_shape is not None and \
                not _tf._compatible(tuple(target_shape), tuple(shape)):
            raise ValueError(f"{function}: a floating-point target holds class probabilities "
                             f"and must have input's shape {_tf._fmt(shape)}, got "
                             f"{_tf._fmt(target_shape)}; class indices must be an integer "
                             "tensor (target.long())")
        depth = _tf._class_count(input, axis, function)
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / depth
        target = _class_weights(target, weight, depth, len(shape), axis)  # type: ignore
        losses = _tf._softmax_cross_entropy(target, input, axis, function)
        return _reduced(losses, reduction, function)
    log_p = _tf.log_softmax(input, axis)
    hot, counted, axis, depth = _picked(log_p, target, weight, ignore_index, function)
    losses = -reduce_sum(multiply(hot, log_p), axis)
    if label_smoothing:  # PyTorch's smoothing term: -sum_c w_c log p_c / C where counted
        every_class = _class_weights(log_p, weight, depth, len(shape), axis)  # type: ignore
        smooth = -reduce_sum(every_class, axis) * counted / depth
        losses = (1 - label_smoothing) * losses + label_smoothing * smooth
    if reduction == "mean":
        return reduce_sum(losses) / reduce_sum(hot)
    return _reduced(losses, reduction, function)


# -- more activations, similarities and kl_div --------------------------------------------
def silu(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """x * sigmoid(x) (the swish)."""
    return multiply(input, _sigmoid(input))


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Any:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _clamp(input, min_val, max_val)


def relu6(input: Any, inplace: bool = False) -> Any:  # noqa: A002
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0)


def prelu(input: Any, weight: Any) -> Any:  # noqa: A002
    """max(0, x) + weight * min(0, x), weight one slope (shape (1,)) or one per channel
    (shape (C,), channels at dim 1)."""
    shape = _tf._shape(input)
    rank = 0 if shape is None else len(shape)
    count = _tf._shape(weight)
    if count is not None and len(count) == 1 and count[0] != 1 and rank >= 2:
        weight = reshape(weight, (-1,) + (1,) * (rank - 2))
    return _relu(input) - multiply(weight, _relu(-input))


def _p_norm(x: Any, p: float, dim: Any) -> Any:
    if p == 2:
        return sqrt(reduce_sum(square(x), dim, keepdims=True))
    if p == 1:
        return reduce_sum(_abs(x), dim, keepdims=True)
    return reduce_sum(_abs(x) ** p, dim, keepdims=True) ** (1.0 / p)


def normalize(input: Any, p: float = 2.0, dim: Any = 1, eps: float = 1e-12,  # noqa: A002
              out: Any = None) -> Any:
    """input / max(||input||_p over dim, eps): unit p-norm vectors along dim."""
    return input / maximum(_p_norm(input, p, dim), eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """The cosine of the angle between x1 and x2 (broadcast) along dim: the sum over dim
    of x1 / max(||x1||, eps) times x2 / max(||x2||, eps); dim is removed."""
    a = x1 / maximum(_p_norm(x1, 2, dim), eps)
    b = x2 / maximum(_p_norm(x2, 2, dim), eps)
    return reduce_sum(a * b, dim)


@legacy_reduction
def kl_div(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
           log_target: bool = False) -> Any:
    """The Kullback-Leibler divergence of target from the distribution whose log
    probabilities are input: target * (log(target) - input) per element (0 where target is
    0; with log_target, target holds log probabilities), then its mean ("mean", with
    PyTorch's warning), its sum over the batch's first dim ("batchmean": sum / size of dim
    0, the divergence's definition), its sum ("sum"), or as is ("none")."""
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
                         f"not {reduction!r}")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                      "the support size.'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition.'mean' will be changed to "
                      "behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=user_stacklevel())
    if log_target:
        loss = exp(target) * (target - input)
    else:
        positive = greater(target, 0)
        loss = where(positive, target * (log(where(positive, target, 1)) - input), 0)
    if reduction == "batchmean":
        shape = _tf._shape(input)
        total = reduce_sum(loss)
        if shape is None or len(shape) == 0:
            return total
        if shape[0] is None:
            raise ValueError("kl_div: reduction 'batchmean' needs the batch size (dim 0) "
                             "known while the graph is built")
        return total / shape[0]
    return _reduced(loss, reduction, "kl_div")
