"""gc.test.check_gradients on graphs, eager functions, graph tensors and custom gradients."""

import numpy as np
import pytest

import graphc as gc

rng = np.random.default_rng(0)


def model(x, w):
    return gc.sigmoid(gc.matmul(x, w)) * x[:, :2]


def test_graph_and_eager_functions_pass():
    inputs = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    for mode in ("graph", "eager"):
        report = gc.test.check_gradients(model, inputs, mode=mode)
        assert report.checked == 12 + 8
        assert report.abs_error < 1e-8


@gc.custom_gradient
def wrong_square(x):
    return x * x, lambda dy: dy * 3 * x  # should be 2x


@pytest.mark.parametrize("mode", ["graph", "eager"])
def test_a_wrong_custom_gradient_is_caught_with_the_worst_element(mode):
    value = np.array([0.01, -50.0, 0.02])  # the error, |x * weight|, peaks at index 1
    with pytest.raises(gc.test.GradientCheckError) as err:
        gc.test.check_gradients(wrong_square, [value], mode=mode)
    assert "worst element: input0[1]" in str(err.value)


def test_graph_tensor_with_placeholders_and_variables():
    x = gc.placeholder(gc.float64, (None, 3))
    w = gc.Variable(rng.standard_normal((3, 2)))
    y = gc.tanh(x @ w)
    with gc.Session() as sess:
        sess.run(w.initializer)
        before = sess.run(w)
        report = gc.test.check_gradients(y, [x, w], feed_dict={x: rng.standard_normal((2, 3))},
                                         session=sess)
        np.testing.assert_array_equal(sess.run(w), before)  # perturbations undone
    assert report.checked == 6 + 6


def test_tolerances_are_parameters():
    inputs = [rng.standard_normal((2, 2)), rng.standard_normal((2, 2))]
    with pytest.raises(gc.test.GradientCheckError, match="atol=0, rtol=0"):
        gc.test.check_gradients(model, inputs, rtol=0, atol=0)


def test_float32_graph_tensors_are_refused():
    x = gc.placeholder(gc.float32, (2,))
    with pytest.raises(TypeError, match="needs float64 tensors"):
        gc.test.check_gradients(x * 2, [x], feed_dict={x: [1.0, 2.0]})
