"""Tensor.register_hook and Tensor.retain_grad: when hooks run, in what order, what a
returned gradient replaces, and what a non-leaf's .grad keeps."""

import numpy as np
import pytest

import graphc.eager as ge

X = np.array([1.0, 2.0, -3.0])


def test_leaf_hooks_see_the_summed_gradient_in_order_before_accumulation():
    x = ge.tensor(X, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(("first", g.tolist())))
    x.register_hook(lambda g: g * 10)  # replaces the gradient for the hooks after it
    x.register_hook(lambda g: seen.append(("third", g.tolist())))
    (x * x + 3 * x).sum().backward()  # two contributions, summed before the hooks
    grad = 2 * X + 3
    assert seen == [("first", grad.tolist()), ("third", (10 * grad).tolist())]
    np.testing.assert_allclose(x.grad.numpy(), 10 * grad)
    (x * 2).sum().backward()  # .grad accumulates the replaced gradient
    np.testing.assert_allclose(x.grad.numpy(), 10 * grad + 20)


def test_non_leaf_hook_changes_what_flows_back_and_handles_remove():
    x = ge.tensor(X, requires_grad=True)
    y = x * x
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.tolist()) or g + 1)
    z = (y * 3).sum() + y.sum()  # dz/dy = 4 from two uses, summed before the hook
    z.backward()
    assert seen == [[4.0, 4.0, 4.0]]
    np.testing.assert_allclose(x.grad.numpy(), 5 * 2 * X)
    handle.remove()
    handle.remove()  # (again: nothing)
    x.grad = None
    z.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad.numpy(), 4 * 2 * X)
    with y.register_hook(lambda g: g * 0):  # a handle as a context manager
        x.grad = None
        z.backward()
        assert not x.grad.numpy().any()


def test_hook_on_the_root_and_through_autograd_grad():
    x = ge.tensor(X, requires_grad=True)
    y = (x ** 2).sum()
    y.register_hook(lambda g: g * 3)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X)
    x.register_hook(lambda g: g + 1)
    (gx,) = ge.autograd.grad((x * 2).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0, 3.0])


def test_retain_grad_keeps_a_non_leaf_gradient_after_its_hooks():
    x = ge.tensor(X, requires_grad=True)
    y = x * 2
    assert not y.is_leaf and x.is_leaf and not y.retains_grad
    y.retain_grad()
    y.retain_grad()  # (twice: the same)
    x.retain_grad()  # a leaf: nothing (its .grad is kept anyway)
    assert y.retains_grad and not x.retains_grad
    y.register_hook(lambda g: g * 2)
    w = ge.tensor(np.array([1.0, -1.0, 0.5]))
    (y * w).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * w.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 4 * w.numpy())
    (y * w).sum().backward()  # accumulates, as a leaf's .grad does
    np.testing.assert_allclose(y.grad.numpy(), 4 * w.numpy())
    z = x * 3
    z.sum().backward()
    assert z.grad is None  # not asked to retain


def test_hooks_in_a_small_network_match_hand_computed_gradients():
    rng = np.random.default_rng(0)
    w_value, inputs = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    w = ge.tensor(w_value, requires_grad=True)
    h = ge.tensor(inputs) @ w
    h.retain_grad()
    a = ge.tanh(h)
    grads = {}
    a.register_hook(lambda g: grads.__setitem__("a", g))
    a.sum().backward()
    np.testing.assert_allclose(grads["a"].numpy(), np.ones((4, 2)))
    dh = 1 - np.tanh(inputs @ w_value) ** 2
    np.testing.assert_allclose(h.grad.numpy(), dh, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), inputs.T @ dh, rtol=1e-12)


def test_errors_by_their_words():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        ge.tensor(X).register_hook(lambda g: None)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        ge.tensor(X).retain_grad()
    x = ge.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match="hook must be callable"):
        x.register_hook(3)
    handle = x.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        x.sum().backward()
    handle.remove()
    x.register_hook(lambda g: "no")
    with pytest.raises(TypeError, match="expected Tensor or None"):
        x.sum().backward()


def test_autograd_grad_runs_an_inputs_hooks_once_on_its_whole_gradient():
    """As PyTorch: the hook sees [6, 6] (both outputs' gradients summed) once, and a leaf
    that was not asked for keeps its hooks silent."""
    from graphc.eager import autograd

    x = ge.tensor([1.0, 2.0], requires_grad=True)
    b = ge.tensor([1.0, 1.0], requires_grad=True)
    seen, other = [], []
    x.register_hook(lambda g: seen.append(g.tolist()) or g.clamp(max=1.0))
    b.register_hook(lambda g: other.append(g.tolist()))
    gx, = autograd.grad([(x * 3.0 * b).sum(), (x * 3.0).sum()], [x])
    assert gx.tolist() == [1.0, 1.0] and seen == [[6.0, 6.0]] and other == []
