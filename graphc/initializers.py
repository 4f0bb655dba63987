"""TensorFlow 1's initializers (tf.zeros_initializer(), tf.glorot_uniform_initializer(), ...).

An initializer is a callable `init(shape, dtype=None, partition_info=None)` returning a tensor
of that shape built with graphc's ops in the default graph, so random ones are graphc's random
ops, seeded as TensorFlow 1 seeds them (the graph seed of gc.set_random_seed, plus the op seed
given here). `gc.get_variable(..., initializer=init)` calls one to make the initial value of
a variable; `gc.Variable(init(shape))` works too. The same classes are also reachable under
TensorFlow's `tf.initializers.*` names (`tf.initializers.zeros()`, `...glorot_uniform()`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, float32
from graphc.graph import Tensor
from graphc.ops.constant import constant as _constant
from graphc.ops.constant import fill as _fill
from graphc.ops.random import random_normal as _random_normal
from graphc.ops.random import random_uniform as _random_uniform
from graphc.ops.random import truncated_normal as _truncated_normal
from graphc.variables import global_variables_initializer, variables_initializer

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "Initializer", "Ones", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "constant_initializer",
    "glorot_normal_initializer", "glorot_uniform_initializer", "ones_initializer",
    "random_normal_initializer", "random_uniform_initializer", "truncated_normal_initializer",
    "variance_scaling_initializer", "zeros_initializer",
]


def _dims(shape: Any, who: str) -> tuple[int, ...]:
    dims = shapes.as_shape(shape)
    if dims is None or not shapes.is_fully_defined(dims):
        raise ValueError(f"{who}: the shape {shape!r} must be fully known")
    return tuple(int(d) for d in dims)  # type: ignore[arg-type]


class Initializer:
    """The base class: `init(shape, dtype=None, partition_info=None)` is a tensor of `shape`;
    dtype defaults to the one the initializer was made with."""

    def __init__(self, dtype: Any = float32) -> None:
        self.dtype = as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = as_dtype(dtype) if dtype is not None else self.dtype
        return self._make(_dims(shape, type(self).__name__), dt)

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype.name}

    def _floating(self, dtype: DType) -> DType:
        if not dtype.is_floating:
            raise TypeError(f"{type(self).__name__}: a random initializer needs a floating "
                            f"point dtype, got {dtype.name}")
        return dtype


class Zeros(Initializer):
    """Zeros (of any dtype)."""

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        return _fill(shape, 0, dtype)


class Ones(Initializer):
    """Ones (of any dtype)."""

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        return _fill(shape, 1, dtype)


class Constant(Initializer):
    """`value` everywhere when it is a number; an array or list of exactly as many elements
    as the shape has is reshaped to it; a shorter list is padded with its last element, as in
    TensorFlow 1 (with verify_shape=True, its shape must be the shape asked for)."""

    def __init__(self, value: Any = 0, dtype: Any = float32, verify_shape: bool = False) -> None:
        super().__init__(dtype)
        self.value = value
        self.verify_shape = verify_shape

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        values = np.asarray(self.value)
        if values.ndim == 0:
            return _fill(shape, values.item(), dtype)
        if self.verify_shape and values.shape != shape:
            raise TypeError(f"constant_initializer: expected a value of shape {shape}, got "
                            f"{values.shape}")
        size = math.prod(shape)
        flat = values.reshape(-1)
        if flat.size > size:
            raise ValueError(f"constant_initializer: too many elements provided: {flat.size} "
                             f"for shape {shapes.fmt(shape)} ({size} elements)")
        if flat.size < size:
            if flat.size == 0:
                raise ValueError("constant_initializer: an empty value cannot fill shape "
                                 f"{shapes.fmt(shape)}")
            flat = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)])
        return _constant(flat.reshape(shape).astype(dtype.np), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value, "dtype": self.dtype.name,
                "verify_shape": self.verify_shape}


class RandomNormal(Initializer):
    """Draws of a normal distribution (random_normal)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: Any = float32) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        return _random_normal(shape, self.mean, self.stddev, self._floating(dtype), self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


class RandomUniform(Initializer):
    """Draws of a uniform distribution on [minval, maxval) (random_uniform)."""

    def __init__(self, minval: float = 0.0, maxval: float = 1.0, seed: int | None = None,
                 dtype: Any = float32) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        return _random_uniform(shape, self.minval, self.maxval, self._floating(dtype),
                               self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name}


class TruncatedNormal(Initializer):
    """Draws of a normal distribution cut at two standard deviations (truncated_normal)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: Any = float32) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        return _truncated_normal(shape, self.mean, self.stddev, self._floating(dtype),
                                 self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """(fan_in, fan_out) as TensorFlow computes them: a matrix (in, out); a convolution kernel
    (..., in, out) times its receptive field; a vector its length both ways; a scalar 1."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


# the stddev of a standard normal truncated to [-2, 2], which TensorFlow divides by so that a
# truncated draw has the variance asked for
_TRUNCATED_STDDEV = 0.87962566103423978


class VarianceScaling(Initializer):
    """Draws whose variance is scale / n, n being fan_in, fan_out or their mean (mode
    "fan_in", "fan_out", "fan_avg"): distribution "uniform" draws on [-limit, limit),
    limit = sqrt(3 scale / n); "truncated_normal" (and TensorFlow 1's "normal", which means
    the same) a normal cut at two standard deviations; "untruncated_normal" a plain normal."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None,
                 dtype: Any = float32) -> None:
        super().__init__(dtype)
        if scale <= 0.0:
            raise ValueError(f"`scale` must be a positive float, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"invalid `mode` argument: {mode!r}")
        distribution = distribution.lower()
        if distribution not in ("normal", "uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"invalid `distribution` argument: {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def _make(self, shape: tuple[int, ...], dtype: DType) -> Tensor:
        dtype = self._floating(dtype)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return _random_uniform(shape, -limit, limit, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _random_normal(shape, 0.0, math.sqrt(variance), dtype, self.seed)
        return _truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype,
                                 self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: draws on [-limit, limit), limit = sqrt(6 / (fan_in +
    fan_out)). gc.get_variable's default for floating point variables, as in TensorFlow 1."""

    def __init__(self, seed: int | None = None, dtype: Any = float32) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: a normal cut at two standard deviations whose variance is
    2 / (fan_in + fan_out)."""

    def __init__(self, seed: int | None = None, dtype: Any = float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "dtype": self.dtype.name}


# TensorFlow 1's spellings: tf.zeros_initializer() ... (the classes, called to make one) ...
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal

# ... and tf.initializers.zeros() ..., with tf.initializers.global_variables() and
# tf.initializers.variables(var_list)
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
global_variables = global_variables_initializer
variables = variables_initializer
