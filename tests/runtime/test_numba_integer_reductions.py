"""Integer sums and maxima on the numba backend run as machine code (a TensorFlow 1
classifier counts its correct predictions with reduce_sum of int32), and give the numpy
backend's values bit for bit: a sum accumulates in 64 bits and wraps to the dtype, as numpy's
sum cast to the node's dtype does, and the maximum of nothing raises numpy's error."""

import numpy as np
import pytest

import graphc as gc
from tests.runtime.test_backend_agreement import NUMBA, assert_agree

rng = np.random.default_rng(3)
AXES = [None, 0, 1, (0, 2), (1, 2), -1]


@pytest.mark.parametrize("axis", AXES, ids=repr)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int8, np.uint16])
@pytest.mark.parametrize("reduce", [gc.reduce_sum, gc.reduce_max], ids=["sum", "max"])
def test_integer_reductions_run_natively_as_numpy(reduce, dtype, keepdims, axis):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (5, 3, 4), dtype=dtype, endpoint=True)
    assert_agree(NUMBA, lambda t: reduce(t, axis, keepdims=keepdims), x, bits=True)


def test_an_int32_sum_wraps_around_as_numpys_cast_of_its_sum():
    x = np.full((4, 3), 2**30, np.int32)
    got = assert_agree(NUMBA, lambda t: gc.reduce_sum(t), x, bits=True)
    assert got == np.int32(np.int64(2**30) * 12 - 2**32 * 3)  # 12 * 2**30 mod 2**32, signed


def test_the_maximum_of_nothing_raises_numpys_error():
    error = assert_agree(NUMBA, lambda t: gc.reduce_max(t, 1), np.zeros((3, 0), np.int32))
    assert isinstance(error, gc.InvalidArgumentError) and "zero-size array" in str(error)


def test_a_tf1_accuracy_count_is_native():
    logits = rng.standard_normal((16, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 16).astype(np.int32)
    got = assert_agree(NUMBA, lambda lo, la: gc.reduce_sum(gc.cast(gc.equal(
        gc.cast(gc.argmax(lo, 1), gc.int32), la), gc.int32)), logits, labels)
    assert got == np.sum(logits.argmax(1) == labels)
