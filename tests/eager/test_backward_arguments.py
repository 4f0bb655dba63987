"""backward()'s PyTorch arguments (retain_graph, create_graph, inputs), and in-place updates
of a tensor sharing a read-only numpy array. Values in float64 against hand formulas."""

import numpy as np
import pytest

import graphc.eager as torch


def leaves():
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([4.0, 5.0, 6.0], dtype=torch.float64, requires_grad=True)
    return a, b


def test_retain_graph_is_accepted_and_the_graph_is_always_kept():
    a, b = leaves()
    loss = (a * a * b).sum()  # d/da = 2ab, d/db = a^2
    loss.backward(retain_graph=True)
    loss.backward()  # graphc keeps the tape: a second pass works without retain_graph
    loss.backward(None, False)
    np.testing.assert_allclose(a.grad.numpy(), 3 * np.array([8.0, 20.0, 36.0]), rtol=1e-15)
    np.testing.assert_allclose(b.grad.numpy(), 3 * np.array([1.0, 4.0, 9.0]), rtol=1e-15)


def test_create_graph_true_is_not_implemented_and_false_is_accepted():
    a, b = leaves()
    loss = (a * b).sum()
    with pytest.raises(NotImplementedError, match=r"backward\(create_graph=True\) is not "
                                                  "supported"):
        loss.backward(create_graph=True)
    assert a.grad is None and b.grad is None  # nothing accumulated
    loss.backward(create_graph=False)
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 5.0, 6.0], rtol=1e-15)


def test_inputs_limits_accumulation_to_those_leaves():
    a, b = leaves()
    loss = (a * a * b).sum()
    loss.backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), [8.0, 20.0, 36.0], rtol=1e-15)
    assert b.grad is None
    loss.backward(inputs=b)  # a single tensor
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 4.0, 9.0], rtol=1e-15)
    np.testing.assert_allclose(a.grad.numpy(), [8.0, 20.0, 36.0], rtol=1e-15)
    loss.backward(inputs=(a, b))
    np.testing.assert_allclose(a.grad.numpy(), [16.0, 40.0, 72.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 8.0, 18.0], rtol=1e-15)


def test_inputs_errors():
    a, b = leaves()
    h = a * b
    loss = h.sum()
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be "
                                           "empty"):
        loss.backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward(inputs=[torch.zeros(3)])
    with pytest.raises(NotImplementedError, match="only into leaf tensors"):
        loss.backward(inputs=[h])
    assert a.grad is None and b.grad is None


# -- read-only numpy memory -----------------------------------------------------------------
@pytest.mark.parametrize("update,how", [
    (lambda t: t.add_(1), "add_"),
    (lambda t: t.sub_(torch.ones(3, dtype=torch.float64)), "sub_"),
    (lambda t: t.mul_(2.0), "mul_"),
    (lambda t: t.zero_(), "zero_"),
    (lambda t: t.copy_(torch.ones(3, dtype=torch.float64)), "copy_"),
    (lambda t: t.__iadd__(1), r"\+="),
    (lambda t: t.__setitem__(0, 5.0), "index assignment"),
])
def test_an_in_place_update_of_a_read_only_array_names_the_cause(update, how):
    array = np.arange(3.0)
    array.setflags(write=False)
    t = torch.from_numpy(array)
    with pytest.raises(ValueError, match=how + ": the tensor is read-only, because the numpy "
                                               "array it shares memory with"):
        update(t)
    np.testing.assert_array_equal(array, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(t.clone().add_(1).numpy(), [1.0, 2.0, 3.0])


def test_a_writable_array_is_still_updated_in_place():
    array = np.arange(3.0)
    t = torch.from_numpy(array)
    t.add_(1)
    t[0] = 7.0
    np.testing.assert_array_equal(array, [7.0, 2.0, 3.0])
