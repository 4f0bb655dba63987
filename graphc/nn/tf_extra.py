"""More of TensorFlow 1's tf.nn functions, composed of graphc's ops (so they run on every
backend and differentiate by the ops' own gradient rules):

- `zero_fraction(value)`: the fraction of `value`'s elements that are 0, a float32 scalar
  (TensorFlow's sparsity summary of activations).
- `lrn` / `local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5)`:
  on a rank-4 NHWC input, `input / (bias + alpha * sqr_sum) ** beta`, where `sqr_sum` at
  channel d sums `input ** 2` over channels d - depth_radius to d + depth_radius (those
  that exist). The window sum is one product of the squares with a constant C x C band
  matrix (1 where |i - j| <= depth_radius), so it is a matmul on the backends, exact sums of
  up to 2 * depth_radius + 1 squares, and its gradient is the product's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import float32
from graphc.ops.composite import scope as _scope
from graphc.ops.constant import zeros_like
from graphc.ops.contract import tensordot
from graphc.ops.elementwise import cast, equal, pow, square
from graphc.ops.reduce import reduce_mean
from graphc.ops.shape import static_shape

__all__ = ["local_response_normalization", "lrn", "zero_fraction"]


def zero_fraction(value: Any, name: str | None = None) -> Any:
    """The fraction of zeros in `value`, as a float32 scalar."""
    with _scope(name, "zero_fraction", value):
        zero = equal(value, zeros_like(value))  # (of value's dtype: bool, int or float)
        return reduce_mean(cast(zero, float32), name="fraction")


def local_response_normalization(input: Any, depth_radius: int = 5, bias: float = 1.0,  # noqa: A002
                                 alpha: float = 1.0, beta: float = 0.5,
                                 name: str | None = None) -> Any:
    """TensorFlow's local response normalization over the last (channel) axis of a rank-4
    input: `input / (bias + alpha * sqr_sum) ** beta`, `sqr_sum` the sum of squares over
    the 2 * depth_radius + 1 channels around each (see the module's docstring)."""
    shape = static_shape(input)
    rank = None if shape is None else len(shape)
    if rank != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {rank} for 'LRN' (input shape "
                         f"{None if shape is None else list(shape)})")
    channels = shape[3]  # type: ignore[index]
    if channels is None:
        raise ValueError("lrn: the channel count (the input's last dimension) must be known "
                         "when the graph is built")
    if int(depth_radius) != depth_radius or depth_radius < 0:
        raise ValueError(f"lrn: depth_radius must be a non-negative int, got {depth_radius}")
    dtype = getattr(input, "dtype", np.asarray(input).dtype)
    np_dtype = np.dtype(getattr(dtype, "np", dtype))
    if np_dtype.kind != "f":
        raise TypeError(f"lrn: the input must be a float tensor, got {np_dtype.name}")
    index = np.arange(channels)
    band = (np.abs(index[:, None] - index[None, :]) <= depth_radius).astype(np_dtype)
    with _scope(name, "LRN", input):
        sqr_sum = tensordot(square(input), band, [[3], [0]])
        return input / pow(bias + alpha * sqr_sum, beta)


lrn = local_response_normalization
