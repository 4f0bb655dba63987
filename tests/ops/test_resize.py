"""Resizing (graphc/ops/resize.py): PyTorch's F.interpolate and nn.Upsample (NCHW) and
TensorFlow 1's tf.image.resize_images, resize_bilinear and resize_nearest_neighbor (NHWC):
known values worked out by hand, values against the loops of resample_reference.py,
eagerly and in graphs on the numpy and numba backends, gradients against finite
differences, sizes known only at run time, and the errors."""

import warnings

import numpy as np
import pytest

import graphc as tf
import graphc.eager as torch
import graphc.nn.functional as F
from graphc import nn
from graphc.ops import resize
from graphc.runtime.backend import FallbackWarning
from tests.nn.modes import RTOL, check_both_modes, run_eager, run_graph
from tests.ops.op_cases import numeric_gradient
from tests.ops import resample_reference as rr

rng = np.random.default_rng(5)
SQUARE = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])


def run(fetches, feeds=None):
    with tf.Session() as sess:
        return sess.run(fetches, feeds)


# -- known values ----------------------------------------------------------------------------
def test_pytorch_known_values():
    def up(**kw):
        return run_eager(lambda t: F.interpolate(t, **kw), SQUARE)[0, 0]

    # align_corners=False: the coordinates (dst + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25,
    # 0.75, 1.25 read 0, 0.25, 0.75, 1 of the way along
    np.testing.assert_allclose(up(size=4, mode="bilinear"), [
        [0.0, 0.25, 0.75, 1.0], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5],
        [2.0, 2.25, 2.75, 3.0]], rtol=RTOL)
    np.testing.assert_allclose(up(size=3, mode="bilinear", align_corners=True),
                               [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]], rtol=RTOL)
    np.testing.assert_array_equal(up(scale_factor=2), [[0, 0, 1, 1], [0, 0, 1, 1],
                                                       [2, 2, 3, 3], [2, 2, 3, 3]])
    row = np.arange(3.0).reshape(1, 1, 1, 3)
    # nearest 3 -> 2: floor(dst * 1.5) reads 0, 1; nearest-exact floor((dst + 0.5) * 1.5) 0, 2
    assert run_eager(lambda t: F.interpolate(t, size=(1, 2)), row).ravel().tolist() == [0, 1]
    assert run_eager(lambda t: F.interpolate(t, size=(1, 2), mode="nearest-exact"),
                     row).ravel().tolist() == [0, 2]


def test_tensorflow_known_values():
    images = tf.constant(np.transpose(SQUARE, (0, 2, 3, 1)))
    legacy, corners, half, nearest, nearest_corners = run([
        tf.image.resize_images(images, [4, 4]),
        tf.image.resize_bilinear(images, [3, 3], align_corners=True),
        tf.image.resize_bilinear(images, [4, 4], half_pixel_centers=True),
        tf.image.resize_nearest_neighbor(tf.constant(np.arange(3.0).reshape(1, 1, 3, 1)),
                                         [1, 2]),
        tf.image.resize_images(tf.constant(np.arange(3.0).reshape(1, 1, 3, 1)), [1, 2],
                               tf.image.ResizeMethod.NEAREST_NEIGHBOR, align_corners=True)])
    # TensorFlow 1's legacy coordinates dst * 2 / 4 = 0, 0.5, 1, 1.5 (the last row and
    # column repeat: 1.5 reads between 1 and 1)
    np.testing.assert_allclose(legacy[0, :, :, 0], [[0, 0.5, 1, 1], [1, 1.5, 2, 2],
                                                    [2, 2.5, 3, 3], [2, 2.5, 3, 3]], rtol=RTOL)
    np.testing.assert_allclose(corners[0, :, :, 0], [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]],
                               rtol=RTOL)
    np.testing.assert_allclose(half[0, :, :, 0], run_eager(
        lambda t: F.interpolate(t, size=4, mode="bilinear"), SQUARE)[0, 0], rtol=RTOL)
    assert nearest.ravel().tolist() == [0, 1]          # floor(dst * 1.5)
    assert nearest_corners.ravel().tolist() == [0, 2]  # round(dst * 2)


# -- against the loops, both modes -----------------------------------------------------------
@pytest.mark.parametrize("kwargs,rule,method", [
    (dict(size=(5, 3)), "asymmetric", "nearest"),
    (dict(size=(4, 7), mode="nearest-exact"), "half_pixel", "nearest"),
    (dict(size=(7, 2), mode="bilinear"), "half_pixel", "bilinear"),
    (dict(size=5, mode="bilinear", align_corners=True), "align_corners", "bilinear"),
    (dict(size=(1, 1), mode="bilinear", align_corners=True), "align_corners", "bilinear"),
    (dict(scale_factor=(2, 0.5), mode="bilinear"), "half_pixel", "bilinear"),
], ids=["nearest", "nearest-exact", "bilinear", "corners", "one-pixel", "scaled"])
def test_interpolate_matches_the_loops_in_both_modes(kwargs, rule, method):
    x = rng.standard_normal((2, 3, 4, 5))
    scale = kwargs.get("scale_factor", (None, None))
    oh, ow = (int(n * f) for n, f in zip(x.shape[2:], scale)) if "scale_factor" in kwargs \
        else (kwargs["size"],) * 2 if isinstance(kwargs["size"], int) else kwargs["size"]
    expected = rr.resize(x, oh, ow, method, rule, scale)
    check_both_modes(lambda t: F.interpolate(t, **kwargs), expected, x)
    up = nn.Upsample(kwargs.get("size"), kwargs.get("scale_factor"),
                     kwargs.get("mode", "nearest"), kwargs.get("align_corners"))
    check_both_modes(up, expected, x)


def test_a_scale_factor_sets_the_coordinates_unless_recomputed():
    """3 * 1.7 gives 5 outputs: PyTorch's coordinates use 1 / 1.7, or 3 / 5 when asked to
    recompute the scale factor."""
    x = rng.standard_normal((1, 2, 3, 3))
    given = run_eager(lambda t: F.interpolate(t, scale_factor=1.7, mode="bilinear"), x)
    recomputed = run_eager(lambda t: F.interpolate(t, scale_factor=1.7, mode="bilinear",
                                                   recompute_scale_factor=True), x)
    np.testing.assert_allclose(given, rr.resize(x, 5, 5, "bilinear", "half_pixel", (1.7, 1.7)),
                               rtol=RTOL)
    np.testing.assert_allclose(recomputed, rr.resize(x, 5, 5, "bilinear", "half_pixel"),
                               rtol=RTOL)
    assert np.abs(given - recomputed).max() > 0.01


def test_tf_image_functions_match_the_loops():
    x = rng.standard_normal((2, 3, 4, 5))  # (NCHW for the loops)
    p = tf.placeholder(tf.float64, (None, 4, 5, 3))
    outs = [tf.image.resize_images(p, (7, 3)),
            tf.image.resize_images(p, tf.constant([3, 8]), method="nearest"),
            tf.image.resize_bilinear(p, [6, 6], align_corners=True, name="corners"),
            tf.image.resize_nearest_neighbor(p, [9, 4], align_corners=True),
            tf.image.resize_nearest_neighbor(p, [5, 3], half_pixel_centers=True),
            tf.image.resize_bilinear(p[0], [2, 7])]  # one HWC image
    assert outs[2].name == "corners:0" and outs[5].shape == (2, 7, 3)
    got = run(outs, {p: rr.nhwc(x)})
    wanted = [rr.resize(x, 7, 3, "bilinear", "asymmetric"),
              rr.resize(x, 3, 8, "nearest", "asymmetric"),
              rr.resize(x, 6, 6, "bilinear", "align_corners"),
              rr.resize(x, 9, 4, "nearest", "align_corners"),
              rr.resize(x, 5, 3, "nearest", "half_pixel"),
              rr.resize(x[:1], 2, 7, "bilinear", "asymmetric")]
    for g, w in zip(got[:5], wanted):
        np.testing.assert_allclose(g, rr.nhwc(w), rtol=RTOL)
    np.testing.assert_allclose(got[5], rr.nhwc(wanted[5])[0], rtol=RTOL)


def test_tf_image_dtypes_and_the_same_size():
    images = tf.placeholder(tf.uint8, (None, 2, 2, 3))
    assert tf.image.resize_images(images, [4, 4]).dtype == tf.float32  # (TensorFlow's)
    assert tf.image.resize_nearest_neighbor(images, [4, 4]).dtype == tf.uint8
    assert tf.image.resize_images(images, [2, 2]) is images  # (nothing to resize)
    pixels = np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3)
    got = run(tf.image.resize_images(images, [3, 3], tf.image.ResizeMethod.NEAREST_NEIGHBOR),
              {images: pixels})
    np.testing.assert_array_equal(got, pixels[:, [0, 0, 1]][:, :, [0, 0, 1]])


# -- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,rule,method", [
    (dict(size=(5, 2)), "asymmetric", "nearest"),
    (dict(size=(5, 7), mode="bilinear"), "half_pixel", "bilinear"),
    (dict(size=(2, 5), mode="bilinear", align_corners=True), "align_corners", "bilinear"),
], ids=["nearest", "bilinear", "corners"])
def test_gradients_match_finite_differences_and_the_loops(kwargs, rule, method):
    x = rng.standard_normal((2, 2, 3, 4))
    weights = rng.standard_normal((2, 2, *kwargs["size"]))
    xt = torch.tensor(x, requires_grad=True)
    (F.interpolate(xt, **kwargs) * torch.tensor(weights)).sum().backward()
    numeric = numeric_gradient(
        lambda a: float(np.sum(run_eager(lambda t: F.interpolate(t, **kwargs), a) * weights)),
        [x], 0)
    np.testing.assert_allclose(xt.grad.numpy(), numeric, rtol=1e-6, atol=1e-7)
    loops = rr.resize_grad(weights, x.shape, method, rule)
    np.testing.assert_allclose(xt.grad.numpy(), loops, rtol=RTOL, atol=1e-14)
    graph = run_graph(lambda p: tf.gradients(F.interpolate(p, **kwargs), [p],
                                             grad_ys=weights)[0], x)
    np.testing.assert_allclose(graph, loops, rtol=RTOL, atol=1e-14)


def test_the_gradient_differentiates_again():
    x, q = rng.standard_normal((1, 2, 3, 4)), rng.standard_normal((1, 2, 3, 4))

    def second(p, q):  # d/dp <R^T (ones * sum(p)), q> = sum(R q)
        (dx,) = tf.gradients(tf.image.resize_bilinear(p, [5, 2]), [p],
                             grad_ys=tf.ones((1, 5, 2, 2), tf.float64) * tf.reduce_sum(p))
        return tf.gradients(tf.reduce_sum(dx * q), [p])[0]

    got = run_graph(second, rr.nhwc(x), rr.nhwc(q))
    total = rr.resize(q, 5, 2, "bilinear", "asymmetric").sum()
    np.testing.assert_allclose(got, np.full(got.shape, total), rtol=RTOL)


# -- run-time sizes and backends -------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_scaling_images_of_any_size_in_one_graph(backend):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, (None, 2, None, None))
        y = F.interpolate(x, scale_factor=2, mode="bilinear") + \
            nn.Upsample(scale_factor=2)(x)
        assert y.shape == (None, 2, None, None)
        (grad,) = tf.gradients(tf.reduce_sum(tf.square(y)), [x])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with tf.Session(graph, backend=backend) as sess:
            for shape in [(1, 2, 3, 4), (2, 2, 5, 2)]:
                images = rng.standard_normal(shape)
                got, dx = sess.run([y, grad], {x: images})
                oh, ow = 2 * shape[2], 2 * shape[3]
                expected = rr.resize(images, oh, ow, "bilinear", "half_pixel", (2, 2)) + \
                    rr.resize(images, oh, ow, "nearest", "asymmetric", (2, 2))
                np.testing.assert_allclose(got, expected, rtol=RTOL)
                np.testing.assert_allclose(
                    dx, rr.resize_grad(2 * expected, shape, "bilinear", "half_pixel", (2, 2))
                    + rr.resize_grad(2 * expected, shape, "nearest", "asymmetric", (2, 2)),
                    rtol=RTOL, atol=1e-13)


def test_modules_print_as_pytorchs():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(4, 5), mode="bilinear")) == \
        "Upsample(size=(4, 5), mode='bilinear')"
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == \
        "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"
    x = rng.standard_normal((1, 1, 2, 3))
    np.testing.assert_allclose(run_eager(nn.UpsamplingBilinear2d(size=(3, 4)), x),
                               rr.resize(x, 3, 4, "bilinear", "align_corners"), rtol=RTOL)


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,error,words", [
    (lambda x: F.interpolate(x, size=2, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda x: F.interpolate(x), ValueError, "either size or scale_factor should be defined"),
    (lambda x: F.interpolate(x, size=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda x: F.interpolate(x, size=(2, 2, 2)), ValueError,
     r"Input and output must have the same number of spatial dimensions, but got input with "
     r"spatial dimensions of \[4, 4\] and output size of \[2, 2, 2\]"),
    (lambda x: F.interpolate(x, scale_factor=[2]), ValueError,
     "Input and scale_factor must have the same number of spatial dimensions"),
    (lambda x: F.interpolate(x, size=2, mode="bicubic"), NotImplementedError,
     "mode='bicubic' is not supported"),
    (lambda x: F.interpolate(x, size=2, mode="cubic"), NotImplementedError,
     r"for the modes: nearest \| linear \| bilinear"),
    (lambda x: F.interpolate(x[0], size=2), NotImplementedError,
     r"only 4-d input \(N, C, H, W\) is supported"),
    (lambda x: F.interpolate(x, size=2, mode="bilinear", antialias=True), NotImplementedError,
     "antialias=True is not supported"),
    (lambda x: F.interpolate(x, size=2, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
    (lambda x: F.interpolate(x, scale_factor=0.1), ValueError,
     r"input and output sizes should be greater than 0, but got input \(H: 4, W: 4\) output "
     r"\(H: 0, W: 0\)"),
    (lambda x: F.interpolate(x, size=(2, 0)), ValueError, "size must be positive ints"),
    (lambda x: F.interpolate(torch.ones(1, 1, 2, 2, dtype=torch.int64), size=3,
                             mode="bilinear"), TypeError, "input must be float32 or float64"),
], ids=["both", "neither", "corners-nearest", "size-length", "scale-length", "bicubic",
        "unknown-mode", "rank", "antialias", "recompute", "empty", "zero-size", "int"])
def test_pytorch_refusals_say_why(call, error, words):
    with pytest.raises(error, match=words):
        call(torch.ones(1, 2, 4, 4))


@pytest.mark.parametrize("call,error,words", [
    (lambda x: tf.image.resize_images(x, [2, 2, 2]), ValueError,
     "'size' must be a 1-D Tensor of 2 elements: new_height, new_width"),
    (lambda x: tf.image.resize_images(x, [2.5, 2]), ValueError, "'size' must be a 1-D Tensor"),
    (lambda x: tf.image.resize_images(x, tf.placeholder(tf.int32, [2])), ValueError,
     "size must be known while building"),
    (lambda x: tf.image.resize_images(x[0, 0], [2, 2]), ValueError,
     "'images' must have either 3 or 4 dimensions"),
    (lambda x: tf.image.resize_bilinear(x, [2, 2], True, half_pixel_centers=True), ValueError,
     "If half_pixel_centers is True, align_corners must be False"),
    (lambda x: tf.image.resize_images(x, [2, 2], tf.image.ResizeMethod.BICUBIC),
     NotImplementedError, "bicubic or area"),
    (lambda x: tf.image.resize_images(x, [2, 2], 7), ValueError, "not a tf.image.ResizeMethod"),
    (lambda x: tf.image.resize_images(x, [2, 2], preserve_aspect_ratio=True),
     NotImplementedError, "preserve_aspect_ratio=True is not supported"),
    (lambda x: tf.image.resize_images(x, [0, 2]), ValueError, "must be positive"),
], ids=["size-length", "size-float", "size-tensor", "rank", "corners-and-half-pixel",
        "bicubic", "method", "aspect", "zero"])
def test_tf_image_refusals_say_why(call, error, words):
    with pytest.raises(error, match=words):
        call(tf.placeholder(tf.float32, (None, 4, 4, 3)))


def test_op_level_checks():
    with pytest.raises(ValueError, match="give each output size, or a scale_factor for it"):
        resize.resize(tf.ones((1, 2, 2, 1)), (2, None))
    with pytest.raises(ValueError, match="coordinates must be one of"):
        resize.resize(tf.ones((1, 2, 2, 1)), 2, coordinates="center")
    with pytest.raises(ValueError, match=r"input must have rank 4 \(NHWC\)"):
        resize.resize(tf.ones((2, 2, 1)), 2)
