"""The convolution and pooling ops (graphc/ops/conv.py): values against loops over every
output element (conv_reference.py) in both layouts, gradients against finite differences,
eager autograd against graph gradients, the max-pool gradient's choice among ties, the
shape and dtype errors, and the numba backend against the numpy backend."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc.ops import conv, pool
from graphc.runtime.backend import FallbackWarning
from tests.ops import conv_reference as cr

rng = np.random.default_rng(42)
EXACT = dict(rtol=1e-12, atol=1e-12)


def run(build, *arrays, backend="numpy"):
    """build(*placeholders) run on arrays (float64, static shapes)."""
    graph = gc.Graph()
    with graph.as_default():
        xs = [gc.placeholder(gc.as_dtype(a.dtype), a.shape) for a in arrays]
        out = build(*xs)
    with gc.Session(graph, backend=backend) as sess:
        return sess.run(out, dict(zip(xs, arrays)))


# (kernel h, kernel w), strides, dilations, padding; batch 2, 5x6 images
CONV_CONFIGS = [
    ((1, 1), (1, 1), (1, 1), "VALID"),
    ((3, 3), (1, 1), (1, 1), "SAME"),
    ((2, 3), (2, 1), (1, 1), "SAME"),
    ((3, 2), (2, 2), (1, 1), "VALID"),
    ((2, 2), (1, 2), (2, 1), "SAME"),
    ((3, 3), (1, 1), (2, 2), ((2, 1), (1, 2))),
    ((2, 3), (2, 2), (1, 2), ((0, 1), (3, 0))),
]


@pytest.mark.parametrize("kernel,strides,dilations,padding", CONV_CONFIGS, ids=str)
def test_conv2d_computes_the_loops_in_both_layouts(kernel, strides, dilations, padding):
    x, w = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((*kernel, 3, 2))
    expected = cr.conv(x, w, strides, dilations, padding)
    got = run(lambda x, w: conv.conv2d(x, w, strides, padding, dilations, "NHWC"), x, w)
    np.testing.assert_allclose(got, expected, **EXACT)
    got = run(lambda x, w: conv.conv2d(x, w, strides, padding, dilations, "NCHW"),
              cr.nchw(x), cr.oihw(w))
    np.testing.assert_allclose(got, cr.nchw(expected), **EXACT)


def test_same_padding_puts_the_odd_pad_at_the_bottom_and_right():
    # a 1x1 image of ones and a 2x2 filter: SAME pads (0, 1) each way, so only the
    # filter's top-left tap reads the image
    w = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)
    got = run(lambda x, w: conv.conv2d(x, w, 1, "SAME"), np.ones((1, 1, 1, 1)), w)
    assert got.shape == (1, 1, 1, 1) and got.item() == 1.0
    assert cr.same_pads(5, 4, 2) == (1, 2)  # (the reference's TensorFlow rule)


POOL_CONFIGS = [((2, 2), (2, 2), "VALID"), ((2, 2), (2, 2), "SAME"), ((3, 3), (2, 2), "SAME"),
                ((3, 2), (1, 2), "SAME"), ((2, 3), (2, 1), ((1, 0), (1, 1)))]


@pytest.mark.parametrize("ksize,strides,padding", POOL_CONFIGS, ids=str)
def test_pooling_computes_the_loops_in_both_layouts(ksize, strides, padding):
    x = rng.standard_normal((2, 5, 6, 3))
    expected = [cr.max_pool(x, ksize, strides, padding),
                cr.avg_pool(x, ksize, strides, padding, count_include_pad=False),
                cr.avg_pool(x, ksize, strides, padding, count_include_pad=True)]
    for fmt, to in (("NHWC", lambda a: a), ("NCHW", cr.nchw)):
        got = run(lambda x, fmt=fmt: [pool.max_pool(x, ksize, strides, padding, fmt),
                                      pool.avg_pool(x, ksize, strides, padding, fmt),
                                      pool.avg_pool(x, ksize, strides, padding, fmt, True)],
                  to(x))
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, to(e), **EXACT)


def test_tensorflows_same_average_counts_only_the_input():
    x = np.ones((1, 3, 3, 1))
    got = run(lambda x: pool.avg_pool(x, 2, 2, "SAME"), x)
    np.testing.assert_array_equal(got, np.ones((1, 2, 2, 1)))  # 1s everywhere, pad or not
    got = run(lambda x: pool.avg_pool(x, 2, 2, ((0, 1), (0, 1)), count_include_pad=True), x)
    np.testing.assert_array_equal(got[0, :, :, 0], [[1, 0.5], [0.5, 0.25]])


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_gradients_match_finite_differences(fmt):
    to, to_w = (cr.nchw, cr.oihw) if fmt == "NCHW" else (lambda a: a, lambda a: a)
    x, w = to(rng.standard_normal((1, 4, 5, 2))), to_w(rng.standard_normal((2, 2, 2, 2)))

    def net(x, w):
        y = conv.conv2d(x, w, (2, 1), "SAME", (1, 2), fmt)
        return pool.avg_pool(y, 2, 1, ((1, 0), (0, 1)), fmt) * 2.0 + pool.max_pool(
            y, (1, 2), 1, "SAME", fmt)
    gc.test.check_gradients(net, [x, w])


def test_eager_autograd_equals_the_graph_gradients():
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 2))

    def loss(x, w):
        y = pool.max_pool(gc.relu(conv.conv2d(x, w, 1, "SAME", 1, "NCHW")), 2, 2, "VALID",
                          "NCHW")
        return gc.reduce_sum(gc.square(pool.avg_pool(y, 2, 1, "SAME", "NCHW")))

    expected = run(lambda x, w: gc.gradients(loss(x, w), [x, w]), x, w)
    xe, we = ge.tensor(x, requires_grad=True), ge.tensor(w, requires_grad=True)
    loss(xe, we).backward()
    np.testing.assert_allclose(xe.grad.numpy(), expected[0], **EXACT)
    np.testing.assert_allclose(we.grad.numpy(), expected[1], **EXACT)


def test_the_max_pool_gradient_goes_to_the_first_maximum_of_a_window():
    # windows of 2x2 with ties: the first maximum in row-major order takes the gradient,
    # as TensorFlow's and PyTorch's CPU kernels choose
    plane = np.array([[1.0, 5.0, 7.0, 7.0],
                      [5.0, 5.0, 7.0, 7.0],
                      [0.0, 0.0, 2.0, 1.0],
                      [0.0, 0.0, 3.0, 3.0]])
    first = np.array([[0, 1, 1, 0],
                      [0, 0, 0, 0],
                      [1, 0, 0, 0],
                      [0, 0, 1, 0]], float)
    x = plane.reshape(1, 4, 4, 1)
    (grad,) = run(lambda x: gc.gradients(gc.reduce_sum(pool.max_pool(x, 2, 2)), [x]), x)
    np.testing.assert_array_equal(grad[0, :, :, 0], first)
    xe = ge.tensor(plane.reshape(1, 1, 4, 4), requires_grad=True)
    pool.max_pool(xe, 2, 2, "VALID", "NCHW").sum().backward()
    np.testing.assert_array_equal(xe.grad.numpy()[0, 0], first)
    # overlapping windows each send theirs: the 9 at the centre wins all four
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1] = 9.0
    (grad,) = run(lambda x: gc.gradients(gc.reduce_sum(pool.max_pool(x, 2, 1)), [x]), x)
    assert grad[0, 1, 1, 0] == 4.0 and grad.sum() == 4.0


def test_shapes_unknown_when_built_are_resolved_when_run():
    x = gc.placeholder(gc.float64, (None, None, None, 3))
    y = pool.max_pool(conv.conv2d(x, gc.constant(np.ones((3, 3, 3, 4))), 2, "SAME"), 2, 2)
    assert y.shape == (None, None, None, 4)
    with gc.Session() as sess:
        assert sess.run(y, {x: np.ones((2, 7, 9, 3))}).shape == (2, 2, 2, 4)
        with pytest.raises(gc.InvalidArgumentError, match="larger than the padded input"):
            sess.run(y, {x: np.ones((2, 1, 1, 3))})  # the 2x2 pool of a 1x1 output
        x2 = gc.placeholder(gc.float64, (None, None, None, None))
        with pytest.raises(gc.InvalidArgumentError, match="input has 2 channels but the "
                                                          "filter expects 3"):
            sess.run(conv.conv2d(x2, gc.constant(np.ones((3, 3, 3, 4)))),
                     {x2: np.ones((1, 5, 5, 2))})


def test_float32_stays_float32():
    x = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    got = run(lambda x, w: pool.avg_pool(conv.conv2d(x, w, 1, "SAME"), 2, 2), x, w)
    assert got.dtype == np.float32
    expected = cr.avg_pool(cr.conv(x.astype(float), w.astype(float), padding="SAME"), (2, 2),
                           (2, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build,error,words", [
    (lambda: conv.conv2d(gc.ones((2, 5, 6, 3)), gc.ones((3, 3, 2, 4))), ValueError,
     r"input has 3 channels but the filter expects 2: input of shape \(2, 5, 6, 3\) \(NHWC\), "
     r"filter of shape \(3, 3, 2, 4\) \(HWIO\)"),
    (lambda: conv.conv2d(gc.ones((2, 3, 5, 6)), gc.ones((4, 2, 3, 3)), data_format="NCHW"),
     ValueError, r"input has 3 channels but the filter expects 2.*\(OIHW\)"),
    (lambda: conv.conv2d(gc.ones((1, 4, 4, 1)), gc.ones((5, 3, 1, 1))), ValueError,
     r"the filter \(5x3\) is larger than the padded input: input of shape \(1, 4, 4, 1\) "
     r"\(NHWC\) is 4x4, padding VALID"),
    (lambda: conv.conv2d(gc.ones((1, 4, 4, 1)), gc.ones((2, 2, 1, 1)), dilations=4),
     ValueError, r"the filter \(2x2, dilated to 5x5\) is larger than the padded input"),
    (lambda: pool.max_pool(gc.ones((1, 2, 3, 1)), 3, 1, ((0, 0), (1, 1))), ValueError,
     r"the pooling window \(3x3\) is larger than the padded input.*padding \(top 0, bottom "
     r"0, left 1, right 1\)"),
    (lambda: conv.conv2d(gc.ones((5, 6, 3)), gc.ones((3, 3, 3, 4))), ValueError,
     r"input must have rank 4 \(NHWC\), got shape \(5, 6, 3\)"),
    (lambda: conv.conv2d(gc.ones((1, 5, 6, 3)), gc.ones((3, 3, 3))), ValueError,
     r"filter must have rank 4 \(HWIO\)"),
    (lambda: conv.conv2d(gc.ones((1, 5, 6, 3)), gc.ones((3, 3, 3, 1), gc.float64)), TypeError,
     r"operands have different dtypes: input float32\(1, 5, 6, 3\) and filter "
     r"float64\(3, 3, 3, 1\); convert one with gc.cast"),
    (lambda: pool.max_pool(gc.ones((1, 4, 4, 1), gc.int32), 2, 2), TypeError,
     r"input must be float32 or float64, got int32\(1, 4, 4, 1\)"),
    (lambda: conv.conv2d(gc.ones((1, 4, 4, 1)), gc.ones((2, 2, 1, 1)), padding="FULL"),
     ValueError, r"padding must be 'SAME', 'VALID' or explicit pads, not 'FULL'"),
    (lambda: conv.conv2d(gc.ones((1, 4, 4, 1)), gc.ones((2, 2, 1, 1)), strides=0),
     ValueError, r"strides must be an int or a pair of ints of at least 1, got 0"),
    (lambda: pool.avg_pool(gc.ones((1, 4, 4, 1)), 2, 2, data_format="NWHC"), ValueError,
     r"data_format must be 'NHWC' or 'NCHW', not 'NWHC'"),
], ids=["channels", "channels-nchw", "kernel", "dilated", "pool-window", "rank", "filter-rank",
        "dtypes", "int", "padding", "strides", "data_format"])
def test_errors_say_what_is_wrong(build, error, words):
    with pytest.raises(error, match=words):
        build()


def test_a_shape_error_names_the_users_line_and_eager_mode_raises_it_too():
    with pytest.raises(ValueError, match=r"conv2d \(at .*test_conv.py:\d+\): input has 3"):
        conv.conv2d(gc.ones((1, 4, 4, 3)), gc.ones((1, 1, 2, 1)))
    with pytest.raises(ValueError, match="input has 3 channels"):
        conv.conv2d(ge.ones(1, 4, 4, 3), ge.ones(1, 1, 2, 1))


def test_the_numba_backend_runs_them_on_the_host_and_matches_numpy():
    x, w = rng.standard_normal((2, 6, 5, 2)), rng.standard_normal((3, 2, 2, 3))

    def step(x, w):
        y = gc.relu(conv.conv2d(x, w, (1, 2), "SAME", (2, 1)))
        z = pool.max_pool(y, 2, 1, "SAME") + pool.avg_pool(y, (3, 2), 1, "SAME")
        loss = gc.reduce_sum(gc.square(z))
        return [loss, *gc.gradients(loss, [x, w])]

    expected = run(step, x, w)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        got = run(step, x, w, backend="numba")
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, **EXACT)


def test_a_max_pool_window_of_minus_infinities_gives_its_gradient_to_an_input_element():
    """Not to the -inf padding beside it (which is cut off): every window's gradient lands
    in the image, on the window's first input element, as PyTorch's kernel gives it."""
    x = gc.constant(np.full((1, 3, 3, 1), -np.inf))
    y = pool.max_pool(x, 3, 1, ((1, 1), (1, 1)))
    (grad,) = gc.gradients(gc.reduce_sum(y), [x])
    with gc.Session() as sess:
        got = sess.run(grad)[0, :, :, 0]
    np.testing.assert_array_equal(got, [[4, 2, 0], [2, 1, 0], [0, 0, 0]])
