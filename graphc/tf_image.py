"""TensorFlow 1's image resizing, tf.image.resize_images, resize_nearest_neighbor and
resize_bilinear, and tf.image.ResizeMethod, on graphc's resize op (graphc/ops/resize.py),
with TensorFlow 1's legacy coordinates: an output index dst reads input coordinate
dst * in / out (nearest: its floor; bilinear: between its two neighbours), or with
align_corners, dst * (in - 1) / (out - 1) (nearest: rounded), or with half_pixel_centers,
TensorFlow 2's (dst + 0.5) * in / out (- 0.5 for bilinear). Images are NHWC (a batch) or
HWC (one image); size is [new_height, new_width], ints known while building (a tensor
whose value constant_value knows, such as tf.shape(x)[1:3] * 2, too).

Result dtypes: nearest keeps the images' dtype; bilinear gives float32 for integer images,
as TensorFlow does, and keeps a float dtype (TensorFlow 1 returns float32 for float64 too).
The graphc module is `tf.image` (see tf_namespaces.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import float32
from graphc.graph import Tensor
from graphc.ops import resize as ops
from graphc.ops.array import expand_dims, squeeze
from graphc.ops.core import convert_to_tensor, is_eager
from graphc.ops.elementwise import cast
from graphc.ops.shape import constant_value, static_shape

__all__ = ["ResizeMethod", "resize_bilinear", "resize_images", "resize_nearest_neighbor"]


class ResizeMethod:
    """TensorFlow 1's tf.image.ResizeMethod (BICUBIC and AREA are not supported)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


SIZE_ERROR = "'size' must be a 1-D Tensor of 2 elements: new_height, new_width"


def _size(size: Any, function: str) -> tuple[int, int]:
    """size as (height, width): a list, tuple or array of 2 ints, or a tensor whose value is
    known while building (constant_value: a constant, tf.shape(x)[1:3] * 2 of a known
    shape)."""
    if isinstance(size, Tensor) or (isinstance(size, list | tuple) and
                                    any(isinstance(s, Tensor) for s in size)):
        known = constant_value(size)
        if known is None:
            name = size.name if isinstance(size, Tensor) else size
            raise ValueError(f"{function}: size must be known while building (a list of 2 "
                             f"ints, or a tensor such as tf.shape(x)[1:3] * 2 of a known "
                             f"shape): graphc gives every output a size when the graph is "
                             f"built, got {name!r}, computed at run time")
        size = known
    values = np.asarray(size)
    if values.shape != (2,) or values.dtype.kind not in "iu":
        raise ValueError(f"{function}: {SIZE_ERROR}, got {size!r}")
    if (values < 1).any():
        raise ValueError(f"{function}: the new height and width must be positive, got "
                         f"{values.tolist()}")
    return int(values[0]), int(values[1])


def _resize(images: Any, size: Any, method: str, align_corners: bool,
            half_pixel_centers: bool, name: str | None, function: str) -> Any:
    shape = static_shape(images)
    if shape is None or len(shape) not in (3, 4):
        raise ValueError(f"{function}: 'images' must have either 3 or 4 dimensions, got "
                         f"{'a rank unknown while building' if shape is None else shape}")
    if align_corners and half_pixel_centers:
        raise ValueError(f"{function}: If half_pixel_centers is True, align_corners must be "
                         f"False.")
    new = _size(size, function)
    single = len(shape) == 3
    if not isinstance(images, Tensor) and not is_eager(images):
        images = convert_to_tensor(images)
    x = expand_dims(images, 0) if single else images
    if method == "bilinear" and not images.dtype.is_floating:
        x = cast(x, float32)
    coordinates = "align_corners" if align_corners else \
        "half_pixel" if half_pixel_centers else "asymmetric"
    y = ops.resize(x, new, method, coordinates, data_format="NHWC",
                   name=None if single else name)
    return squeeze(y, [0], name=name) if single else y


def resize_nearest_neighbor(images: Any, size: Any, align_corners: bool = False,
                            name: str | None = None, half_pixel_centers: bool = False) -> Any:
    """images resized to size by the nearest input pixel: index floor(dst * in / out)
    (TensorFlow 1's), round(dst * (in - 1) / (out - 1)) with align_corners, or
    floor((dst + 0.5) * in / out) with half_pixel_centers. Keeps the images' dtype."""
    return _resize(images, size, "nearest", align_corners, half_pixel_centers, name,
                   "resize_nearest_neighbor")


def resize_bilinear(images: Any, size: Any, align_corners: bool = False,
                    name: str | None = None, half_pixel_centers: bool = False) -> Any:
    """images resized to size by bilinear interpolation at input coordinate dst * in / out
    (TensorFlow 1's), dst * (in - 1) / (out - 1) with align_corners, or
    (dst + 0.5) * in / out - 0.5 with half_pixel_centers."""
    return _resize(images, size, "bilinear", align_corners, half_pixel_centers, name,
                   "resize_bilinear")


METHODS = {ResizeMethod.BILINEAR: "bilinear", ResizeMethod.NEAREST_NEIGHBOR: "nearest",
           "bilinear": "bilinear", "nearest": "nearest"}


def resize_images(images: Any, size: Any, method: Any = ResizeMethod.BILINEAR,
                  align_corners: bool = False, preserve_aspect_ratio: bool = False,
                  name: str | None = None) -> Any:
    """images resized to size by method (ResizeMethod.BILINEAR or NEAREST_NEIGHBOR, or
    "bilinear" / "nearest"): resize_bilinear or resize_nearest_neighbor. As TensorFlow
    1's, images whose height and width are already size come back as they are."""
    if isinstance(method, str):
        method = method.lower()
    if method not in METHODS:
        if method in (ResizeMethod.BICUBIC, ResizeMethod.AREA, "bicubic", "area"):
            raise NotImplementedError(f"resize_images: method {method!r} (bicubic or area) is "
                                      "not supported: use BILINEAR or NEAREST_NEIGHBOR")
        raise ValueError(f"resize_images: Resize method {method!r} is not a "
                         "tf.image.ResizeMethod")
    if preserve_aspect_ratio:
        raise NotImplementedError("resize_images: preserve_aspect_ratio=True is not supported")
    shape = static_shape(images)
    new = _size(size, "resize_images")
    if shape is not None and len(shape) in (3, 4) and tuple(shape[-3:-1]) == new:
        return images
    function = resize_bilinear if METHODS[method] == "bilinear" else resize_nearest_neighbor
    return function(images, new, align_corners=align_corners, name=name)
