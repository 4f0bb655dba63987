"""Convolution and pooling by plain loops over every output element, in float64, written
from the definitions and independently of graphc/ops/conv.py (no im2col, no windows view):
the expected values of tests/ops/test_conv.py and of the op records in op_cases.py.

Everything is NHWC with an HWIO filter; the tests transpose for NCHW. `pads` is
((top, bottom), (left, right)); same_pads gives TensorFlow's SAME."""

from __future__ import annotations

import math

import numpy as np


def same_pads(size, k, stride, dilation=1):
    """TensorFlow's SAME along one dim: output ceil(size / stride), the odd pad last."""
    out = math.ceil(size / stride)
    need = max((out - 1) * stride + dilation * (k - 1) + 1 - size, 0)
    return need // 2, need - need // 2


def pads_of(x_shape, kernel, strides, dilations, padding):
    """Explicit pads for "SAME", "VALID" or explicit pads, of an NHWC input."""
    if padding == "VALID":
        return (0, 0), (0, 0)
    if padding == "SAME":
        return tuple(same_pads(x_shape[1 + i], kernel[i], strides[i], dilations[i])
                     for i in range(2))
    return padding


def _sizes(x_shape, kernel, strides, dilations, pads):
    return [(x_shape[1 + i] + sum(pads[i]) - dilations[i] * (kernel[i] - 1) - 1)
            // strides[i] + 1 for i in range(2)]


def _taps(oh, ow, kernel, strides, dilations, pads, h, w):
    """For output (oh, ow): each kernel position (a, b) with the input row and column it
    reads, or None where that is padding."""
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            r = oh * strides[0] + a * dilations[0] - pads[0][0]
            c = ow * strides[1] + b * dilations[1] - pads[1][0]
            yield a, b, (r, c) if 0 <= r < h and 0 <= c < w else None


def conv(x, w, strides=(1, 1), dilations=(1, 1), padding="VALID"):
    """y[n, i, j, o] = the sum over a, b, c of
    x[n, i*s + a*d - pad, j*s + b*d - pad, c] * w[a, b, c, o] (zero in the padding)."""
    kernel = w.shape[:2]
    pads = pads_of(x.shape, kernel, strides, dilations, padding)
    oh, ow = _sizes(x.shape, kernel, strides, dilations, pads)
    n, h, wd, c = x.shape
    y = np.zeros((n, oh, ow, w.shape[3]))
    for b_ in range(n):
        for i in range(oh):
            for j in range(ow):
                for a, b, at in _taps(i, j, kernel, strides, dilations, pads, h, wd):
                    if at is not None:
                        y[b_, i, j] += x[b_, at[0], at[1]] @ w[a, b]
    return y


def conv_input_grad(g, w, x_shape, strides=(1, 1), dilations=(1, 1), padding="VALID"):
    """d(sum(g * conv(x, w)))/dx: each output's gradient sent back through each tap."""
    kernel = w.shape[:2]
    pads = pads_of(x_shape, kernel, strides, dilations, padding)
    dx = np.zeros(x_shape)
    n, h, wd, _ = x_shape
    for b_ in range(n):
        for i in range(g.shape[1]):
            for j in range(g.shape[2]):
                for a, b, at in _taps(i, j, kernel, strides, dilations, pads, h, wd):
                    if at is not None:
                        dx[b_, at[0], at[1]] += w[a, b] @ g[b_, i, j]
    return dx


def conv_filter_grad(x, g, w_shape, strides=(1, 1), dilations=(1, 1), padding="VALID"):
    """d(sum(g * conv(x, w)))/dw."""
    kernel = w_shape[:2]
    pads = pads_of(x.shape, kernel, strides, dilations, padding)
    dw = np.zeros(w_shape)
    n, h, wd, _ = x.shape
    for b_ in range(n):
        for i in range(g.shape[1]):
            for j in range(g.shape[2]):
                for a, b, at in _taps(i, j, kernel, strides, dilations, pads, h, wd):
                    if at is not None:
                        dw[a, b] += np.outer(x[b_, at[0], at[1]], g[b_, i, j])
    return dw


def _pool(x, kernel, strides, padding, visit):
    pads = pads_of(x.shape, kernel, strides, (1, 1), padding)
    oh, ow = _sizes(x.shape, kernel, strides, (1, 1), pads)
    n, h, wd, c = x.shape
    for b_ in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    taps = list(_taps(i, j, kernel, strides, (1, 1), pads, h, wd))
                    visit((b_, i, j, ch), [(at[0], at[1]) for _, _, at in taps
                                           if at is not None], len(taps))
    return oh, ow


def max_pool(x, kernel, strides, padding="VALID"):
    """The largest input element of each window (padding never wins)."""
    out = {}
    _pool(x, kernel, strides, padding, lambda at, inside, _: out.__setitem__(
        at, max(x[at[0], r, c, at[3]] for r, c in inside)))
    return _to_array(out, x.shape)


def max_pool_grad(x, g, kernel, strides, padding="VALID"):
    """Each output's gradient to the first maximum of its window, scanning row by row."""
    dx = np.zeros(x.shape)

    def visit(at, inside, _):
        best = None
        for r, c in inside:
            if best is None or x[at[0], r, c, at[3]] > x[at[0], best[0], best[1], at[3]]:
                best = (r, c)
        dx[at[0], best[0], best[1], at[3]] += g[at]
    _pool(x, kernel, strides, padding, visit)
    return dx


def avg_pool(x, kernel, strides, padding="VALID", count_include_pad=False):
    """The mean of each window: its sum over the window size (count_include_pad) or over
    the number of input elements in it."""
    out = {}

    def visit(at, inside, size):
        total = sum(x[at[0], r, c, at[3]] for r, c in inside)
        out[at] = total / (size if count_include_pad else len(inside))
    _pool(x, kernel, strides, padding, visit)
    return _to_array(out, x.shape)


def avg_pool_grad(g, x_shape, kernel, strides, padding="VALID", count_include_pad=False):
    dx = np.zeros(x_shape)

    def visit(at, inside, size):
        for r, c in inside:
            dx[at[0], r, c, at[3]] += g[at] / (size if count_include_pad else len(inside))
    _pool(np.zeros(x_shape), kernel, strides, padding, visit)
    return dx


def _to_array(values, x_shape):
    shape = tuple(max(k[d] for k in values) + 1 for d in range(4))
    out = np.zeros(shape)
    for at, v in values.items():
        out[at] = v
    return out


def nchw(a):
    """An NHWC array (or HWIO filter) as NCHW (OIHW)."""
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2))


def oihw(w):
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))


def nhwc(a):
    """An NCHW array as NHWC."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def hwio(w):
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0))
