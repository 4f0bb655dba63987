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
