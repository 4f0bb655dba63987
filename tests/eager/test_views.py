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
    with pytest.raises(NotImplementedError, match="shares memory with another"):
        b[0:2] += a[0:2]
    with pytest.raises(NotImplementedError, match="shares memory with another"):
        b.detach().add_(a)
    b[0:2] = a[1:]  # on the tensor itself: recorded
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 3.0])


def test_a_view_of_a_read_only_array_stays_read_only():
    array = np.arange(4.0)
    array.flags.writeable = False
    t = ge.from_numpy(array)
    with pytest.raises(ValueError, match="read-only"):
        t[1:][0] = 9.0
    np.testing.assert_array_equal(array, np.arange(4.0))
