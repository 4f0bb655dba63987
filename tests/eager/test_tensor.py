"""Eager tensors: creation, conversion, autograd semantics, in-place rules and their errors."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge


def test_creation_defaults_follow_pytorch():
    assert ge.tensor([1.0, 2.0]).dtype == gc.float32
    assert ge.tensor([1, 2]).dtype == gc.int64
    assert ge.tensor([True]).dtype == gc.bool
    assert ge.tensor(np.zeros(2)).dtype == gc.float64
    assert ge.tensor([1, 2], dtype=gc.float64).dtype == gc.float64
    assert ge.zeros(2, 3).shape == (2, 3) and ge.ones((4,)).dtype == gc.float32
    assert ge.rand(3, dtype=gc.float64).data.max() < 1


def test_tensor_copies_its_data():
    data = np.zeros(3)
    t = ge.tensor(data)
    data[0] = 5
    assert t.data[0] == 0


def test_manual_seed_repeats_randn():
    ge.manual_seed(3)
    a = ge.randn(4)
    ge.manual_seed(3)
    np.testing.assert_array_equal(a.data, ge.randn(4).data)


def test_properties_and_conversions():
    t = ge.tensor([[1.0, 2.0]], requires_grad=True)
    assert (t.shape, t.device, t.requires_grad, t.is_leaf, t.grad) == ((1, 2), "cpu", True,
                                                                       True, None)
    assert t.tolist() == [[1.0, 2.0]] and t.sum().item() == 3.0
    assert not (t * 2).is_leaf
    with pytest.raises(RuntimeError, match=r"numpy\(\) on a tensor that requires grad"):
        t.numpy()
    assert t.detach().numpy() is t.array  # shares memory
    with pytest.raises(ValueError, match="item\\(\\): the tensor has 2 elements"):
        t.item()


def test_only_floats_can_require_grad():
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        ge.tensor([1, 2], requires_grad=True)


def test_unknown_devices_are_refused():
    with pytest.raises(ValueError, match="unknown device 'tpu': use 'cpu' or 'cuda'"):
        ge.randn(2, device="tpu")


def test_grad_accumulates_until_zeroed():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3 + 2, 3 + 4])
    w.grad.zero_()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3, 3])


def test_backward_needs_a_scalar_or_a_gradient():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs; this tensor has shape"):
        (w * 2).backward()
    (w * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(w.grad.data, [2.0, 20.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        ge.tensor([1.0]).backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad .*\(-=\)"):
        w -= 1
    with ge.no_grad():
        w -= 1
        w.mul_(2)
    np.testing.assert_array_equal(w.data, [0.0, 2.0])
    assert w.is_leaf and w.requires_grad


def test_in_place_change_of_a_saved_tensor_names_the_op():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    a = w * 2
    b = a.exp()
    with ge.no_grad():
        a += 1
    with pytest.raises(RuntimeError, match=r"gradient of exp \(created at .*test_tensor.py"):
        b.sum().backward()


def test_tracked_in_place_update_of_a_non_leaf():
    w = ge.tensor([1.0, -2.0], requires_grad=True)
    a = w * 1
    a += w * w
    a[a < 0] = 0
    a.sum().backward()
    # a = w + w^2 = [2, 2]: no element is negative, so da/dw = 1 + 2w
    np.testing.assert_array_equal(w.grad.data, [3.0, -3.0])
    v = ge.tensor([1.0, -2.0], requires_grad=True)
    b = v * 1
    b[b < 0] = 0
    b.sum().backward()
    np.testing.assert_array_equal(v.grad.data, [1.0, 0.0])


def test_index_assignment_without_grad_writes_in_place():
    h = ge.tensor([[-1.0, 2.0], [3.0, -4.0]])
    g = ge.ones(2, 2)
    g[h < 0] = 0
    np.testing.assert_array_equal(g.data, [[0, 1], [1, 0]])
    g[0] = ge.tensor([5.0, 6.0])
    g[1, 1] = 7
    np.testing.assert_array_equal(g.data, [[5, 6], [1, 7]])


def test_indexing_and_its_gradient():
    w = ge.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    picked = w[:, 1]
    np.testing.assert_array_equal(picked.data, [2.0, 4.0])
    (w[w > 1.5] * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[0, 2], [2, 2]])
    assert [row.tolist() for row in ge.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_clone_copies_and_detach_shares():
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    d = w.detach()
    with ge.no_grad():
        c.data[0] = 9
    assert w.data[0] == 1.0 and not d.requires_grad
    d.data[1] = 7  # shared memory, as in PyTorch
    assert w.data[1] == 7
    (w.clone() * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])


def test_copy_():
    t = ge.zeros(2, 2, dtype=gc.float64)
    t.copy_(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(t.data, [[1, 2], [1, 2]])


def test_no_grad_as_context_and_decorator():
    w = ge.tensor([1.0], requires_grad=True)
    with ge.no_grad():
        assert not (w * 2).requires_grad
        assert not ge.is_grad_enabled()
        with ge.enable_grad():
            assert (w * 2).requires_grad

    @ge.no_grad()
    def double(x):
        return x * 2

    assert not double(w).requires_grad
    assert ge.is_grad_enabled() and (w * 2).requires_grad


def test_operators_keep_dtype_and_compare():
    x = ge.tensor([1.0, 4.0])
    row = x.reshape(1, 2)
    for value in [x + 1, 2 - x, x * np.float64(3), x / 2, 2 ** x, -x, row @ ge.ones(2, 1)]:
        assert value.dtype == gc.float32
    assert (x > 2).dtype == gc.bool and (x > 2).tolist() == [False, True]
    with pytest.raises(TypeError, match="different dtypes: float32.*float64"):
        x + ge.tensor(np.ones(2))


def test_shape_errors_name_the_op_and_the_line():
    with pytest.raises(ValueError, match=r"matmul \(at .*test_tensor.py:\d+\): inner dim"):
        ge.ones(2, 3).mm(ge.ones(2, 3))


def test_graph_op_functions_compute_on_eager_tensors():
    a, b = ge.tensor([[1.0, 2.0]]), ge.tensor([[3.0], [4.0]])
    out = gc.matmul(a, b)
    assert isinstance(out, ge.Tensor) and out.item() == 11.0
    with pytest.raises(TypeError, match="cannot mix the graph tensor"):
        gc.add(a, gc.constant(1.0))


def test_one_model_function_runs_in_both_modes():
    def model(x, w):
        return (x.mm(w).clamp(min=0).pow(2).sum(dim=1, keepdim=True) + x.t().sum()).mean()

    rng = np.random.default_rng(0)
    x_value, w_value = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    eager = model(ge.tensor(x_value), ge.tensor(w_value)).item()
    x, w = gc.placeholder(gc.float64, (None, 3)), gc.Variable(w_value)
    with gc.Session() as sess:
        sess.run(w.initializer)
        static = sess.run(model(x, w), {x: x_value})
    assert eager == pytest.approx(static, rel=1e-14)


def test_eager_values_feed_sessions_and_numpy():
    t = ge.tensor([[1.0, 2.0]])
    assert np.asarray(t) is t.array
    x = gc.placeholder(gc.float32, (None, 2))
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(x * 2, {x: t}), [[2.0, 4.0]])


def test_repr():
    assert repr(ge.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "grad_fn=<MulBackward0>" in repr(ge.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=torch.float64" in repr(ge.tensor(np.zeros(1)))
