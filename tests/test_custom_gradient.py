"""@gc.custom_gradient and gc.RegisterGradient, in graphs and on eager tensors."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge


@gc.custom_gradient
def clip_gradient(x):
    """Identity forward; the gradient is clipped to [-1, 1]."""
    return gc.identity(x), lambda dy: gc.minimum(gc.maximum(dy, -1.0), 1.0)


def test_custom_gradient_in_a_graph():
    x = gc.placeholder(gc.float64, (3,))
    y = clip_gradient(x)
    (g,) = gc.gradients(y, [x], grad_ys=np.array([5.0, -0.5, -3.0]))
    with gc.Session() as sess:
        value, grad = sess.run([y, g], {x: [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad, [1.0, -0.5, -1.0])
    assert y.op.op == "custom_gradient" and y.op.name == "clip_gradient"
    inner = [n.name for n in gc.get_default_graph().nodes if n.name.startswith("clip_gradient/")]
    assert inner == ["clip_gradient/identity"]


def test_custom_gradient_on_eager_tensors():
    x = ge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    clip_gradient(x).backward(np.array([5.0, -0.5, -3.0]))
    np.testing.assert_array_equal(x.grad.data, [1.0, -0.5, -1.0])


def test_custom_gradient_returning_the_wrong_count():
    @gc.custom_gradient
    def bad(x):
        return x * 2, lambda dy: (dy, dy)

    x = gc.placeholder(gc.float64, (2,))
    with pytest.raises(ValueError, match="gradient function of bad returned 2 gradients for 1"):
        gc.gradients(bad(x), [x])


def test_register_gradient_overrides_an_op_in_the_graph():
    x = gc.placeholder(gc.float64, (3,))
    before = gc.gradients(gc.reduce_sum(gc.relu(x)), [x])[0]

    @gc.RegisterGradient("relu")
    def straight_through(op, grad):
        return (grad,)

    after = gc.gradients(gc.reduce_sum(gc.relu(x)), [x])[0]
    with gc.Session() as sess:
        got_before, got_after = sess.run([before, after], {x: [-1.0, 2.0, -3.0]})
    np.testing.assert_array_equal(got_before, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(got_after, [1.0, 1.0, 1.0])
    w = ge.tensor([-1.0, 2.0], requires_grad=True)
    gc.relu(w).sum().backward()  # eager mode keeps the registry's rule
    np.testing.assert_array_equal(w.grad.data, [0.0, 1.0])


def test_register_gradient_for_an_unknown_op():
    with pytest.raises(KeyError, match="no op is named 'Relu'"):
        gc.RegisterGradient("Relu")
