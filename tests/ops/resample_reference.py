"""Adaptive pooling and resizing written as loops over every output element, NCHW, from the
frameworks' rules, independently of graphc/ops/adaptive_pool.py and graphc/ops/resize.py:
the tests' references."""

import math

import numpy as np


def nhwc(x):
    return np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))


def nchw(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


# -- adaptive pooling ------------------------------------------------------------------------
def bin_of(i, size, out):
    """PyTorch's bin i of `out` over `size`: [floor(i * size / out), ceil((i+1) * size / out))."""
    return math.floor(i * size / out), math.ceil((i + 1) * size / out)


def _bins(x, out_h, out_w):
    n, c, h, w = x.shape
    for b in range(n):
        for ch in range(c):
            for i in range(out_h):
                for j in range(out_w):
                    (top, bottom), (left, right) = bin_of(i, h, out_h), bin_of(j, w, out_w)
                    cells = [(r, s) for r in range(top, bottom) for s in range(left, right)]
                    yield (b, ch, i, j), cells


def adaptive_avg(x, out_h, out_w):
    y = np.zeros(x.shape[:2] + (out_h, out_w))
    for (b, ch, i, j), cells in _bins(x, out_h, out_w):
        y[b, ch, i, j] = sum(x[b, ch, r, s] for r, s in cells) / len(cells)
    return y


def adaptive_avg_grad(g, shape):
    dx = np.zeros(shape)
    for (b, ch, i, j), cells in _bins(np.zeros(shape), *g.shape[2:]):
        for r, s in cells:
            dx[b, ch, r, s] += g[b, ch, i, j] / len(cells)
    return dx


def _first_max(x, b, ch, cells):
    best = cells[0]
    for r, s in cells:  # (row-major; the first strictly greater value wins)
        if x[b, ch, r, s] > x[b, ch, best[0], best[1]]:
            best = (r, s)
    return best


def adaptive_max(x, out_h, out_w):
    y = np.zeros(x.shape[:2] + (out_h, out_w))
    for (b, ch, i, j), cells in _bins(x, out_h, out_w):
        r, s = _first_max(x, b, ch, cells)
        y[b, ch, i, j] = x[b, ch, r, s]
    return y


def adaptive_max_grad(x, g):
    dx = np.zeros(x.shape)
    for (b, ch, i, j), cells in _bins(x, *g.shape[2:]):
        r, s = _first_max(x, b, ch, cells)
        dx[b, ch, r, s] += g[b, ch, i, j]
    return dx


# -- resizing --------------------------------------------------------------------------------
def source(dst, size, out, rule, scale=None):
    """The input coordinate output index `dst` reads: rule "asymmetric" dst * r,
    "half_pixel" (dst + 0.5) * r - 0.5 clamped at 0, "align_corners" dst * (size-1)/(out-1);
    r = size / out, or 1 / scale."""
    if rule == "align_corners":
        return dst * (size - 1) / (out - 1) if out > 1 else 0.0
    r = 1 / scale if scale else size / out
    return max((dst + 0.5) * r - 0.5, 0.0) if rule == "half_pixel" else dst * r


def nearest_index(dst, size, out, rule, scale=None):
    """floor of the asymmetric coordinate (PyTorch's "nearest", TensorFlow 1's), of
    (dst + 0.5) * r (half_pixel: "nearest-exact"), or the align_corners coordinate rounded
    half up; at most size - 1."""
    if rule == "half_pixel":
        src = (dst + 0.5) * (1 / scale if scale else size / out)
        return min(math.floor(src), size - 1)
    src = source(dst, size, out, rule, scale)
    return min(math.floor(src + 0.5) if rule == "align_corners" else math.floor(src),
               size - 1)


def _taps(shape, out_h, out_w, method, rule, scales):
    """For each output (i, j): the input (row, col, weight) it reads."""
    _, _, h, w = shape
    sh, sw = scales
    for i in range(out_h):
        for j in range(out_w):
            if method == "nearest":
                yield (i, j), [(nearest_index(i, h, out_h, rule, sh),
                                nearest_index(j, w, out_w, rule, sw), 1.0)]
                continue
            y, x = source(i, h, out_h, rule, sh), source(j, w, out_w, rule, sw)
            y0, x0 = math.floor(y), math.floor(x)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            ly, lx = y - y0, x - x0
            yield (i, j), [(y0, x0, (1 - ly) * (1 - lx)), (y0, x1, (1 - ly) * lx),
                           (y1, x0, ly * (1 - lx)), (y1, x1, ly * lx)]


def resize(x, out_h, out_w, method, rule, scales=(None, None)):
    n, c = x.shape[:2]
    y = np.zeros((n, c, out_h, out_w), x.dtype)
    for (i, j), taps in _taps(x.shape, out_h, out_w, method, rule, scales):
        for b in range(n):
            for ch in range(c):
                y[b, ch, i, j] = sum(wt * x[b, ch, r, s] for r, s, wt in taps)
    return y


def resize_grad(g, shape, method, rule, scales=(None, None)):
    dx = np.zeros(shape)
    n, c, out_h, out_w = g.shape
    for (i, j), taps in _taps(shape, out_h, out_w, method, rule, scales):
        for b in range(n):
            for ch in range(c):
                for r, s, wt in taps:
                    dx[b, ch, r, s] += wt * g[b, ch, i, j]
    return dx
