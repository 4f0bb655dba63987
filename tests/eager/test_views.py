"""Eager view ops share memory with their input on the CPU, as PyTorch's do: basic
indexing, view and reshape (where the layout allows), t() and transpose, unsqueeze and
squeeze. A write through a view is seen by its base and the other way round, both share
one version counter (so autograd's in-place checks see writes through either), and what
PyTorch copies (advanced indexing, a reshape of a transposed tensor) is a copy. Each
expected value is numpy's, through numpy's own views of the same layout."""

import numpy as np
import pytest

import graphc.eager as ge


def test_writes_through_views_reach_the_base():
    t = ge.zeros(2, 3)
    t[0][1] = 5.0  # (PyTorch's chained indexing)
    row = t[1]
    row += 1
    want = np.zeros((2, 3), np.float32)
    want[0][1] = 5.0
    want[1] += 1
    np.testing.assert_array_equal(t.numpy(), want)

    w = ge.zeros(2, 2)
    w.t()[0, 1] = 3.0
    w.view(4)[0] = 9.0
    w.unsqueeze(0).squeeze(0).transpose(0, 1)[1, 1] = 7.0
    np.testing.assert_array_equal(w.numpy(), [[9.0, 0.0], [3.0, 7.0]])


def test_one_element_is_a_view_too():
    x = ge.zeros(3)
    x[0].add_(3)
    for element in x:  # (iteration indexes)
        element.add_(1)
    m = ge.zeros(2, 3)
    corner = m[1, 2]
    corner += 5
    np.testing.assert_array_equal(x.numpy(), [4.0, 1.0, 1.0])
    np.testing.assert_array_equal(m.numpy(), [[0, 0, 0], [0, 0, 5]])


def test_writes_to_the_base_reach_its_views():
    x = ge.arange(6.0).reshape(2, 3)
    column, rows = x[:, 1], x.view(3, 2)
    x.mul_(10)
    np.testing.assert_array_equal(column.numpy(), [10.0, 40.0])
    np.testing.assert_array_equal(rows.numpy(), np.arange(6.0).reshape(3, 2) * 10)


def test_what_pytorch_copies_is_a_copy():
    x = ge.arange(6.0).reshape(2, 3)
    picked = x[:, [0, 2]]  # advanced indexing
    picked += 100
    flat = x.t().reshape(6)  # no view of a transposed layout in that shape
    flat += 100
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(flat.numpy(), np.arange(6.0).reshape(2, 3).T.ravel() + 100)


def test_view_refuses_a_layout_it_cannot_view_as_pytorch_does():
    x = ge.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input "
                                           r"tensor's size and stride .* Use \.reshape"):
        x.t().view(6)


def test_a_write_through_a_view_is_seen_by_the_in_place_checks():
    a = ge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * a  # saves its operands and result
    with ge.no_grad():
        b[1:] += 1  # through a view of b
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        b.sum().backward()


def test_a_recorded_in_place_update_of_a_view_is_refused():
    a = ge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    with pytest.raises(NotImplementedError, match="in-place update recorded for backward"
                                                  r"\(\) of a view"):
        b[0:2] += a[0:2]
    b[0:2] = a[1:]  # on the tensor itself: recorded
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 3.0])


def test_a_recorded_update_of_a_tensor_with_a_live_view_is_refused():
    """The update gives the tensor a new value (its old one stays for the gradients that
    read it), which a view kept in a variable would not see: refused while one lives."""
    w = ge.ones(3, requires_grad=True)
    a = w * 1
    head = a[:2]
    with pytest.raises(NotImplementedError, match="has a view"):
        a.mul_(2)
    del head
    a.mul_(2)
    a.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_detached_tensors_take_recorded_updates():
    """detach() and autograd.Variable share memory but are not views: PyTorch 0.3's
    accumulator `loss = Variable(zeros(1)); loss += ...` records its updates."""
    w = ge.ones(2, requires_grad=True)
    loss = ge.autograd.Variable(ge.zeros(1))
    for i in range(3):
        loss += (w * i).sum()
    loss.backward()
    assert loss.item() == 6.0
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_a_view_as_another_dtype_is_refused_with_the_conversion_to_use():
    with pytest.raises(TypeError, match=r"view\(int32\): .* \.to\(int32\) converts"):
        ge.zeros(4).view(ge.int32)


def test_a_view_of_a_read_only_array_stays_read_only():
    array = np.arange(4.0)
    array.flags.writeable = False
    t = ge.from_numpy(array)
    with pytest.raises(ValueError, match="read-only"):
        t[1:][0] = 9.0
    np.testing.assert_array_equal(array, np.arange(4.0))
