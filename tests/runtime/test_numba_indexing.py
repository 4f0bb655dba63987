"""Indexing on the numba backend: x[index] with ints, slices, None and Ellipsis runs as
machine code (a copy of numba's view, into the workspace), and so does its gradient (a
copy of zeros with the gradient added at the index). Every case is checked bit for bit
against the numpy backend, with feeds whose batch dimension is unknown while building; an
int that does not fit the fed array raises numpy's IndexError there too, where numba alone
would read past the array."""

import numpy as np
import pytest

import graphc as gc
from tests.runtime.test_backend_agreement import NUMBA, assert_agree

X = np.arange(24, dtype=np.float64).reshape(4, 6) - 7.5
INDEXES = [
    (slice(None), slice(1, 3)),
    -1,
    (Ellipsis, None),
    (None, slice(None, None, 2), 1),
    (1, 2),  # every dimension taken: a scalar
    (slice(None, None, -1),),
    (slice(1, -1), Ellipsis),
    (slice(10, None),),  # an empty slice
    (Ellipsis, 1, 2),  # one element, named with an Ellipsis that stands for no dims
    (1, Ellipsis, 2),
    (),  # all of x
    (Ellipsis,),
    (slice(2**63, None),),  # bounds and steps past int64: no dim is that long
    (slice(None, 2**64 - 1),),
    (slice(None, None, 2**63),),
    (slice(None, None, -(2**64)),),
    (slice(-(10**30), 10**30),),
]


@pytest.mark.parametrize("index", INDEXES, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_getitem_runs_natively_as_numpy_indexes(index, dtype):
    assert_agree(NUMBA, lambda x: x[index], X.astype(dtype), bits=True)


@pytest.mark.parametrize("index", INDEXES, ids=repr)
def test_the_gradient_of_indexing_runs_natively(index):
    weights = np.linspace(-1.0, 2.0, 24).reshape(4, 6)

    def build(x, w):
        (grad,) = gc.gradients(gc.reduce_sum(x[index] * w[index] * 3.0), [x])
        return grad

    got = assert_agree(NUMBA, build, X, weights)
    expected = np.zeros_like(X)
    expected[index] += 3.0 * weights[index]
    np.testing.assert_array_equal(got, expected)  # exact: one product per element


@pytest.mark.parametrize("index", [5, (slice(None), -7), (0, 6)], ids=repr)
def test_an_int_past_the_fed_array_raises_numpys_error(index):
    error = assert_agree(NUMBA, lambda x: x[index] * 2.0, X)  # both raise, the same words
    assert isinstance(error, gc.InvalidArgumentError) and "out of bounds" in str(error)


@pytest.mark.parametrize("op", ["index_add", "setitem"])
@pytest.mark.parametrize("index", [(Ellipsis, 1, 2), (1, Ellipsis, 2), (slice(1, 3),), ()],
                         ids=repr)
def test_an_update_at_an_index_runs_natively_as_numpy(op, index):
    from graphc.ops.index import index_add, setitem

    update = index_add if op == "index_add" else setitem
    value = np.full(np.shape(X[index]), 100.0)
    got = assert_agree(NUMBA, lambda x, v: update(x, v, index), X, value, bits=True)
    expected = X.copy()
    if op == "index_add":
        expected[index] += value
    else:
        expected[index] = value
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("value_shape", [(2, 6), (4, 5), (1, 7)])
def test_a_value_of_another_shape_is_refused_not_read_past(value_shape):
    # the gradient of x[0:] adds grad_ys into zeros at the index: a grad_ys of the wrong
    # shape must raise as numpy does (numba's in-place add alone reads past it)
    def build(x, gy):
        (grad,) = gc.gradients(x[0:], [x], grad_ys=gy)
        return grad

    error = assert_agree(NUMBA, build, X, np.ones(value_shape))
    assert isinstance(error, gc.InvalidArgumentError)


def test_a_set_value_with_leading_ones_drops_them_as_numpy():
    from graphc.ops.index import setitem

    got = assert_agree(NUMBA, lambda x, v: setitem(x, v, 0), X, np.ones((1, 1, 6)), bits=True)
    np.testing.assert_array_equal(got[0], np.ones(6))
    np.testing.assert_array_equal(got[1:], X[1:])


def test_two_ellipses_are_refused_while_building():
    from graphc.ops.index import setitem

    with gc.Graph().as_default():
        x = gc.placeholder(gc.float64, (None,))
        with pytest.raises(ValueError, match="an index can only have a single ellipsis"):
            setitem(x, 7.0, (Ellipsis, Ellipsis))


@pytest.mark.parametrize("fed", [5, 7, 200_000])
def test_a_gradient_fed_in_another_shape_is_refused_not_summed_past(fed):
    # grad_ys of another length reaches sum_to, whose native kernel would write past its
    # result; it must raise as numpy does
    def build(x, g):
        (grad,) = gc.gradients(x * 2.0, [x], grad_ys=g)
        return grad

    error = assert_agree(NUMBA, build, np.ones(3), np.arange(float(fed)))
    assert isinstance(error, gc.InvalidArgumentError)
