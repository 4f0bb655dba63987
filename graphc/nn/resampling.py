"""PyTorch's adaptive pooling and resizing, F.adaptive_avg_pool2d, F.adaptive_max_pool2d and
F.interpolate, and their modules nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Upsample,
nn.UpsamplingNearest2d and nn.UpsamplingBilinear2d, in PyTorch's NCHW layout on graphc's
adaptive pooling ops (graphc/ops/adaptive_pool.py) and resize op (graphc/ops/resize.py):
eagerly with autograd and in graphs alike. The ops work out their bins and coordinates from
the sizes they run on, so a graph's height and width may be known only at run time.

Not supported, each a NotImplementedError that says so: return_indices=True, interpolate's
modes other than "nearest", "nearest-exact" and "bilinear" (and inputs other than 4-d
(N, C, H, W)), and antialias=True."""

from __future__ import annotations

from typing import Any

from graphc.nn.conv import _batched
from graphc.nn.module import Module
from graphc.ops import adaptive_pool, resize
from graphc.ops.array import squeeze
from graphc.ops.shape import static_shape

__all__ = ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "UpsamplingBilinear2d",
           "UpsamplingNearest2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "interpolate"]


# -- adaptive pooling ------------------------------------------------------------------------
def adaptive_avg_pool2d(input: Any, output_size: Any) -> Any:  # noqa: A002
    """The mean of each of output_size (an int, or a pair whose None entries keep the
    input's size) bins of input (N, C, H, W) or (C, H, W): bin i of n over a size H spans
    [floor(i * H / n), ceil((i + 1) * H / n)). output_size 1 is the global average pool."""
    x, single = _batched(input, "adaptive_avg_pool2d")
    y = adaptive_pool.adaptive_avg_pool(
        x, adaptive_pool.output_size_attr(output_size, "adaptive_avg_pool2d"))
    return squeeze(y, [0]) if single else y


def adaptive_max_pool2d(input: Any, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """The maximum of each of output_size bins of input (as adaptive_avg_pool2d's). The
    gradient goes to the first maximum of a bin (row-major)."""
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices=True is not supported")
    x, single = _batched(input, "adaptive_max_pool2d")
    y = adaptive_pool.adaptive_max_pool(
        x, adaptive_pool.output_size_attr(output_size, "adaptive_max_pool2d"))
    return squeeze(y, [0]) if single else y


class AdaptiveAvgPool2d(Module):
    """F.adaptive_avg_pool2d to output_size; AdaptiveAvgPool2d((1, 1)) is ResNet's head."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        adaptive_pool.output_size_attr(output_size, "AdaptiveAvgPool2d")  # (checks)
        self.output_size = output_size

    def forward(self, input: Any) -> Any:  # noqa: A002
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """F.adaptive_max_pool2d to output_size."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        adaptive_pool.output_size_attr(output_size, "AdaptiveMaxPool2d")  # (checks)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Any) -> Any:  # noqa: A002
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# -- interpolate ------------------------------------------------------------------------------
MODES = "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"


def _spatial_pair(value: Any, what: str, dims: Any) -> tuple[Any, Any]:
    """size or scale_factor as (height, width): one value for both, or a pair."""
    if not isinstance(value, list | tuple):
        return value, value
    if len(value) != 2:
        example = "o1, o2, ...,oK" if what == "output size" else "s1, s2, ...,sK"
        name = "output" if what == "output size" else "scale_factor"
        shown = f"output size of {list(value)}" if what == "output size" else \
            f"scale_factor of shape {list(value)}"
        raise ValueError(f"Input and {name} must have the same number of spatial dimensions, "
                         f"but got input with spatial dimensions of {dims} and {shown}. "
                         f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         f"{what} in ({example}) format.")
    return value[0], value[1]


def interpolate(input: Any, size: Any = None, scale_factor: Any = None,  # noqa: A002
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Any:
    """input (N, C, H, W) resized to size (an int or a pair), or scaled by scale_factor (a
    float or a pair; the output is floor(size * scale_factor)), by PyTorch's rules:
    mode="nearest" reads input index floor(dst * in / out), "nearest-exact"
    floor((dst + 0.5) * in / out), and "bilinear" interpolates between the neighbours of
    (dst + 0.5) * in / out - 0.5 (align_corners=False, the default) or of
    dst * (in - 1) / (out - 1) (align_corners=True). Given a scale_factor, the coordinates
    use 1 / scale_factor for in / out, as PyTorch's do, unless recompute_scale_factor."""
    shape = static_shape(input)
    if shape is None:
        raise ValueError("interpolate: the input's rank must be known while building "
                         "(4-d: (N, C, H, W))")
    if mode not in MODES.split(" | "):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {len(shape)}D) for the modes: {MODES} (got {mode})")
    if len(shape) != 4:
        raise NotImplementedError(f"interpolate: only 4-d input (N, C, H, W) is supported "
                                  f"(2-d resizing), got input of size {list(shape)}")
    if mode not in ("nearest", "nearest-exact", "bilinear"):
        raise NotImplementedError(f"interpolate: mode='{mode}' is not supported (only "
                                  "'nearest', 'nearest-exact' and 'bilinear')")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if align_corners is not None and mode != "bilinear":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    dims = list(shape[2:])
    sizes = _spatial_pair(size, "output size", dims) if size is not None else (None, None)
    factors = _spatial_pair(scale_factor, "scale_factor", dims) \
        if scale_factor is not None else (None, None)
    coordinates = ("align_corners" if align_corners else "half_pixel") if mode == "bilinear" \
        else "half_pixel" if mode == "nearest-exact" else "asymmetric"
    return resize.resize(input, sizes, "nearest" if mode != "bilinear" else "bilinear",
                         coordinates, factors, scale_coordinates=not recompute_scale_factor,
                         data_format="NCHW")


class Upsample(Module):
    """F.interpolate to size or by scale_factor, with mode and align_corners."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = size
        self.scale_factor = (tuple(float(f) for f in scale_factor)
                             if isinstance(scale_factor, list | tuple)
                             else float(scale_factor) if scale_factor else None)
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Any) -> Any:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None \
            else f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode="nearest"."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode="bilinear" and align_corners=True."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
