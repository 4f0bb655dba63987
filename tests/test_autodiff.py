"""gradients(): the backward graph it builds and the values it computes."""

import numpy as np
import pytest

import graphc as gc


def run(fetches, feeds=None):
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        return sess.run(fetches, feeds)


def test_unrelated_x_gets_none():
    x = gc.placeholder(gc.float64, (2,))
    z = gc.placeholder(gc.float64, (2,))
    gx, gz = gc.gradients(gc.reduce_sum(x * 2), [x, z])
    assert gz is None
    np.testing.assert_array_equal(run(gx, {x: [1.0, 2.0]}), [2.0, 2.0])


def test_repeated_use_sums_contributions():
    x = gc.placeholder(gc.float64, (3,))
    (g,) = gc.gradients(gc.reduce_sum(x * x * x + x), [x])
    value = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(run(g, {x: value}), 3 * value ** 2 + 1, rtol=1e-15)


def test_several_ys_sum_and_grad_ys_weigh_them():
    x = gc.placeholder(gc.float64, (2,))
    y1, y2 = 3 * x, x * x
    (g,) = gc.gradients([y1, y2], [x], grad_ys=[np.array([1.0, 2.0]), np.array([10.0, 0.0])])
    np.testing.assert_allclose(run(g, {x: [1.0, 5.0]}), [3 + 20, 6 + 0], rtol=1e-15)


def test_broadcasting_is_undone_by_summing():
    x = gc.placeholder(gc.float64, (None, 3))
    b = gc.Variable(np.zeros(3))
    (gb,) = gc.gradients(gc.reduce_sum(x + b), [b])
    np.testing.assert_array_equal(run(gb, {x: np.ones((5, 3))}), [5.0, 5.0, 5.0])
    assert gb.shape == (3,)


def test_gradient_with_respect_to_an_intermediate():
    x = gc.placeholder(gc.float64, (2,))
    h = gc.exp(x)
    (gh, gx) = gc.gradients(gc.reduce_sum(h * h), [h, x])
    value = np.array([0.1, 0.2])
    got_h, got_x = run([gh, gx], {x: value})
    np.testing.assert_allclose(got_h, 2 * np.exp(value), rtol=1e-14)
    np.testing.assert_allclose(got_x, 2 * np.exp(2 * value), rtol=1e-14)


def test_second_derivative_through_the_backward_graph():
    x = gc.placeholder(gc.float64, (3,))
    (g,) = gc.gradients(gc.reduce_sum(x ** 3), [x])
    (gg,) = gc.gradients(gc.reduce_sum(g), [x])
    np.testing.assert_allclose(run(gg, {x: [1.0, 2.0, 3.0]}), [6.0, 12.0, 18.0], rtol=1e-14)


def test_stop_gradient_blocks_flow():
    x = gc.placeholder(gc.float64, (2,))
    (g,) = gc.gradients(gc.reduce_sum(gc.stop_gradient(x) * x), [x])
    np.testing.assert_array_equal(run(g, {x: [3.0, 4.0]}), [3.0, 4.0])
    (none,) = gc.gradients(gc.reduce_sum(gc.stop_gradient(x)), [x])
    assert none is None


def test_no_gradient_through_integer_casts():
    x = gc.placeholder(gc.float64, (2,))
    (g,) = gc.gradients(gc.reduce_sum(gc.cast(gc.cast(x, gc.int32), gc.float64)), [x])
    assert g is None


def test_op_without_gradient_rule_is_named():
    v = gc.Variable(np.zeros(2))
    x = gc.placeholder(gc.float64, (2,))
    with pytest.raises(LookupError, match=r"no gradient is defined for assign 'Variable/assign'"):
        gc.gradients(gc.reduce_sum(v.assign(x * 2)), [x])


def test_backward_nodes_live_in_the_gradients_scope():
    x = gc.placeholder(gc.float64, (2,), name="x")
    (g,) = gc.gradients(gc.reduce_sum(gc.exp(x)), [x])
    assert g.name.startswith("gradients/")


def test_bad_arguments():
    x = gc.placeholder(gc.float64, (2,))
    with pytest.raises(TypeError, match="xs must be graph tensors"):
        gc.gradients(gc.reduce_sum(x), [np.zeros(2)])
    with pytest.raises(ValueError, match="1 ys but 2 grad_ys"):
        gc.gradients(x, [x], grad_ys=[np.ones(2), np.ones(2)])
