"""TensorFlow 1's tf.layers functions: gc.layers.dense, building its variables with
gc.get_variable in a variable scope of the layer's name, as TensorFlow 1 names them:
`dense/kernel` and `dense/bias`, then `dense_1/...` for the next unnamed layer; and
gc.layers.flatten and gc.layers.dropout, which have no variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphc import initializers, shapes
from graphc.errors import refuse_unsupported
from graphc.graph import Tensor
from graphc.nn.tf_functions import dropout as nn_dropout
from graphc.nn.tf_functions import training_flag
from graphc.ops.composite import scope
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import add, where
from graphc.ops.linalg import matmul
from graphc.ops.shape import identity, reshape, transpose
from graphc.variable_scope import get_variable, variable_scope
# tf.layers.conv2d, max_pooling2d and average_pooling2d (graphc/conv_layers.py)
from graphc.conv_layers import average_pooling2d, conv2d, max_pooling2d  # noqa: F401
from graphc.conv_layers import conv2d_transpose  # noqa: F401
# tf.layers.batch_normalization (graphc/normalization_layers.py)
from graphc.normalization_layers import batch_normalization  # noqa: F401

__all__ = ["dense", "dropout", "flatten"]
__all__ += ["average_pooling2d", "conv2d", "max_pooling2d"]
__all__ += ["conv2d_transpose"]
__all__ += ["batch_normalization"]


def dense(inputs: Any, units: int, activation: Callable[[Any], Any] | None = None,
          use_bias: bool = True, kernel_initializer: Any = None,
          bias_initializer: Any = None, kernel_regularizer: Any = None,
          bias_regularizer: Any = None, activity_regularizer: Any = None,
          kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
          name: str | None = None, reuse: Any = None) -> Tensor:
    """activation(inputs @ kernel + bias), a fully connected layer: kernel [in, units]
    (kernel_initializer, default glorot_uniform) and bias [units] (bias_initializer,
    default zeros) made by get_variable as `<name>/kernel` and `<name>/bias`; `name`
    defaults to a unique "dense", "dense_1", ...; `reuse` shares the variables of an
    earlier layer of that name. Inputs of rank above 2 are multiplied along their last
    dimension. kernel_regularizer and bias_regularizer (functions of a variable, such as
    `lambda w: 1e-4 * tf.nn.l2_loss(w)`) add their losses to REGULARIZATION_LOSSES when the
    variables are made; activity_regularizer and constraints are not supported."""
    refuse_unsupported("dense", activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    x = convert_to_tensor(inputs, op="dense")
    if not x.dtype.is_floating:
        raise TypeError(f"dense: inputs must be floating point, got {x.dtype.name} "
                        f"'{x.name}'")
    if x.shape is None or len(x.shape) < 2 or x.shape[-1] is None:
        raise ValueError("dense: the last dimension of the inputs should be defined (the "
                         f"inputs' rank at least 2); inputs '{x.name}' have shape "
                         f"{shapes.fmt(x.shape)}")
    if isinstance(units, bool) or int(units) != units or units < 1:
        raise ValueError(f"dense: units must be a positive integer, got {units!r}")
    graph = x.graph
    assert graph is not None
    with graph.as_default(), variable_scope(name, default_name="dense", reuse=reuse):
        kernel = get_variable("kernel", (x.shape[-1], int(units)), x.dtype,
                              kernel_initializer, kernel_regularizer,
                              trainable=trainable)
        flat = x if len(x.shape) == 2 else reshape(x, (-1, x.shape[-1]))
        out = matmul(flat, kernel, name="MatMul")
        if use_bias:
            bias = get_variable("bias", (int(units),), x.dtype,
                                bias_initializer or initializers.Zeros(), bias_regularizer,
                                trainable=trainable)
            out = add(out, bias, name="BiasAdd")
        if len(x.shape) > 2:
            out = _unflatten(out, x, int(units))
        return activation(out) if activation is not None else out


def _unflatten(out: Tensor, x: Tensor, units: int) -> Tensor:
    """out [n, units] back to x's leading dimensions (at most one unknown)."""
    leading = x.shape[:-1]  # type: ignore[index]
    if sum(d is None for d in leading) > 1:
        raise ValueError(f"dense: inputs of rank {len(leading) + 1} may have at most one "
                         f"unknown leading dimension; '{x.name}' has shape "
                         f"{shapes.fmt(x.shape)}")
    return reshape(out, tuple(-1 if d is None else d for d in leading) + (units,))


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """inputs [batch, ...] as [batch, n], n the product of the other dims, which must be
    known when the graph is built (the batch need not be). data_format "channels_first"
    moves axis 1 last first, as TensorFlow does, so the order of the features is the same
    either way."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"flatten: data_format must be 'channels_last' or 'channels_first', "
                         f"not {data_format!r}")
    x = convert_to_tensor(inputs, op="flatten")
    if x.shape is None or len(x.shape) < 1:
        raise ValueError(f"flatten: inputs must have a known rank of at least 1; '{x.name}' "
                         f"has shape {shapes.fmt(x.shape)}")
    shape = x.shape
    rest = shape[1:]
    if any(d is None for d in rest):
        raise ValueError(f"flatten: the dimensions after the first must be known when the "
                         f"graph is built; '{x.name}' has shape {shapes.fmt(x.shape)}")
    with scope(name, "flatten", x):
        if data_format == "channels_first" and len(shape) > 2:
            x = transpose(x, (0, *range(2, len(shape)), 1))
        size = 1
        for d in rest:
            size *= int(d)  # type: ignore[arg-type]
        return reshape(x, (-1 if shape[0] is None else shape[0], size))


def dropout(inputs: Any, rate: Any = 0.5, noise_shape: Any = None, seed: int | None = None,
            training: Any = False, name: str | None = None) -> Tensor:
    """tf.nn.dropout(inputs, rate=rate) when `training`, else inputs unchanged. `training`
    is a Python bool (decided now) or a bool tensor, a placeholder say (decided each run:
    the dropped value where it is true, inputs where it is false; the mask is drawn every
    run either way)."""
    x = convert_to_tensor(inputs, op="dropout")
    training = training_flag(training, "dropout")
    if isinstance(training, Tensor):
        with scope(name, "dropout", x, training):
            dropped = nn_dropout(x, noise_shape=noise_shape, seed=seed, rate=rate)
            return where(training, dropped, x)
    with scope(name, "dropout", x):
        if not training:
            return identity(x)
        return nn_dropout(x, noise_shape=noise_shape, seed=seed, rate=rate)
