"""Adaptive pooling (graphc/ops/adaptive_pool.py; F.adaptive_avg_pool2d, F.adaptive_max_pool2d,
nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d): values by hand and against the loops of
resample_reference.py, eagerly and in graphs on the numpy and numba backends, gradients
against finite differences, sizes known only at run time, and the errors."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
import graphc.nn.functional as F
from graphc import nn
from graphc.runtime.backend import FallbackWarning
from tests.nn.modes import RTOL, check_both_modes, run_eager, run_graph
from tests.ops.op_cases import numeric_gradient
from tests.ops import resample_reference as rr

rng = np.random.default_rng(11)


def distinct(*shape):
    """No ties, so each bin's maximum is one element."""
    return rng.permutation(np.arange(np.prod(shape)) * 0.1).reshape(shape)


def test_known_values_of_uneven_bins():
    # 4 rows into 3 bins: [0, 2), [1, 3), [2, 4); 5 columns into 2: [0, 3), [2, 5)
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    avg = run_eager(lambda t: F.adaptive_avg_pool2d(t, (3, 2)), x)
    np.testing.assert_allclose(avg[0, 0], [[3.5, 5.5], [8.5, 10.5], [13.5, 15.5]], rtol=RTOL)
    top = run_eager(lambda t: F.adaptive_max_pool2d(t, (3, 2)), x)
    np.testing.assert_array_equal(top[0, 0], [[7, 9], [12, 14], [17, 19]])
    # more bins than rows, [0, 1), [0, 2), [1, 2), [2, 3), [2, 4), [3, 4): row means 2, 7,
    # 12, 17 and means of two of them
    rows = run_eager(lambda t: F.adaptive_avg_pool2d(t, (6, 1)), x)
    np.testing.assert_allclose(rows[0, 0, :, 0], [2, 4.5, 7, 12, 14.5, 17], rtol=RTOL)


@pytest.mark.parametrize("output_size,shape", [
    ((3, 4), (2, 3, 5, 7)),     # uneven bins both ways
    (2, (1, 2, 4, 6)),          # even bins (one reduction over a reshaped axis)
    ((None, 3), (2, 2, 5, 7)),  # None keeps the height
    ((7, 9), (1, 2, 3, 4)),     # more bins than elements
    (1, (2, 3, 5, 6)),          # global pooling
])
def test_functions_match_the_loops_in_both_modes(output_size, shape):
    x = distinct(*shape)
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    oh, ow = oh or shape[2], ow or shape[3]
    check_both_modes(lambda t: F.adaptive_avg_pool2d(t, output_size), rr.adaptive_avg(x, oh, ow),
                     x)
    check_both_modes(lambda t: nn.AdaptiveMaxPool2d(output_size)(t), rr.adaptive_max(x, oh, ow),
                     x)


def test_an_unbatched_image_pools_to_an_unbatched_result():
    x = distinct(3, 5, 4)
    y = F.adaptive_max_pool2d(torch.tensor(x), (2, 3))
    assert y.shape == (3, 2, 3)
    np.testing.assert_array_equal(y.numpy(), rr.adaptive_max(x[None], 2, 3)[0])


@pytest.mark.parametrize("function", [F.adaptive_avg_pool2d, F.adaptive_max_pool2d],
                         ids=["avg", "max"])
def test_gradients_match_finite_differences_and_the_loops(function):
    x = distinct(2, 2, 5, 4)
    weights = rng.standard_normal((2, 2, 3, 3))
    xt = torch.tensor(x, requires_grad=True)
    (function(xt, 3) * torch.tensor(weights)).sum().backward()
    eager = xt.grad.numpy()
    numeric = numeric_gradient(
        lambda a: float(np.sum(run_eager(lambda t: function(t, 3), a) * weights)), [x], 0)
    np.testing.assert_allclose(eager, numeric, rtol=1e-6, atol=1e-7)
    loops = rr.adaptive_avg_grad(weights, x.shape) if function is F.adaptive_avg_pool2d \
        else rr.adaptive_max_grad(x, weights)
    np.testing.assert_allclose(eager, loops, rtol=RTOL, atol=1e-14)
    graph = run_graph(lambda p: gc.gradients(function(p, 3), [p], grad_ys=weights)[0], x)
    np.testing.assert_allclose(graph, loops, rtol=RTOL, atol=1e-14)


def test_the_average_gradient_differentiates_again():
    x, g = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((1, 2, 5, 4))

    def second(p, q):  # d/dg <A^T g, q> = A q
        (dx,) = gc.gradients(F.adaptive_avg_pool2d(p, (2, 3)), [p],
                             grad_ys=gc.ones((1, 2, 2, 3), gc.float64) * gc.reduce_sum(p))
        return gc.gradients(gc.reduce_sum(dx * q), [p])[0]

    got = run_graph(second, x, g)
    expected = np.full(x.shape, rr.adaptive_avg(g, 2, 3).sum())  # (the sum's gradient)
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_max_gradient_goes_to_the_first_maximum_of_each_bin():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, np.nan], [2.0, np.nan, 1.0]]]])
    xt = torch.tensor(x, requires_grad=True)
    y = F.adaptive_max_pool2d(xt, (2, 1))  # rows [0, 2) and [1, 3)
    np.testing.assert_array_equal(np.isnan(y.detach().numpy()[0, 0, :, 0]), [True, True])
    y.sum().backward()
    # (the first NaN of each bin takes its gradient, as a maximum)
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0], [[0, 0, 0], [0, 0, 2], [0, 0, 0]])
    xt = torch.tensor(np.array([[[[2.0, 5.0, 5.0], [5.0, 1.0, 5.0]]]]), requires_grad=True)
    F.adaptive_max_pool2d(xt, 1).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0], [[0, 1, 0], [0, 0, 0]])


class Head(nn.Module):
    """ResNet's head: a convolution, a global average pool, flatten, a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1, dtype=gc.float64)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(4, 3, dtype=gc.float64)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(F.relu(self.conv(x))), 1))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_resnet_head_on_images_of_any_size_in_one_graph(backend):
    torch.manual_seed(0)
    model = Head()
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 2, None, None))
        out = model(x)
        assert out.shape == (None, 3)
        loss = gc.reduce_sum(gc.square(out))
        grads = gc.gradients(loss, [x])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with gc.Session(graph, backend=backend) as sess:
            for shape in [(2, 2, 5, 7), (1, 2, 8, 3)]:
                images = rng.standard_normal(shape)
                got, (grad,) = sess.run([out, grads], {x: images})
                xt = torch.tensor(images, requires_grad=True)
                expected = model(xt)
                (expected ** 2).sum().backward()
                np.testing.assert_allclose(got, expected.detach().numpy(), rtol=RTOL)
                np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=RTOL, atol=1e-14)


def test_numba_matches_numpy_on_uneven_bins():
    x = distinct(2, 3, 7, 5)

    def step(p):
        y = F.adaptive_max_pool2d(p, (3, 2)) * F.adaptive_avg_pool2d(p, (3, None))[..., :2]
        return [y, *gc.gradients(gc.reduce_sum(gc.square(y)), [p])]

    expected = run_graph(step, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        got = run_graph(step, x, backend="numba")
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=1e-14)


def test_modules_print_their_output_size():
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveMaxPool2d(7)) == "AdaptiveMaxPool2d(output_size=7)"


@pytest.mark.parametrize("call,error,words", [
    (lambda x: F.adaptive_avg_pool2d(x, 0), ValueError,
     r"output_size must be an int or a pair of ints of at least 1 \(or None"),
    (lambda x: nn.AdaptiveMaxPool2d((2, 2, 2)), ValueError, "output_size must be an int or a"),
    (lambda x: F.adaptive_avg_pool2d(x[0, 0], 1), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to adaptive_avg_pool2d, but got "
     r"input of size: \[4, 4\]"),
    (lambda x: F.adaptive_max_pool2d(x, 2, return_indices=True), NotImplementedError,
     "return_indices=True is not supported"),
    (lambda x: F.adaptive_avg_pool2d(x[:, :, :0], 1), ValueError,
     "adaptive pooling needs a non-empty input image"),
    (lambda x: F.adaptive_avg_pool2d(torch.ones(1, 1, 2, 2, dtype=torch.int64), 1), TypeError,
     "input must be float32 or float64"),
], ids=["zero", "three", "rank", "indices", "empty", "int"])
def test_refusals_say_why(call, error, words):
    with pytest.raises(error, match=words):
        call(torch.ones(1, 2, 4, 4))


def test_an_empty_image_known_only_at_run_time_is_refused_when_it_runs():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (1, 1, None, 3))
        y = F.adaptive_avg_pool2d(x, 1)
    with gc.Session(graph, backend="numpy") as sess, \
            pytest.raises(Exception, match="adaptive pooling needs a non-empty input image"):
        sess.run(y, {x: np.zeros((1, 1, 0, 3))})
