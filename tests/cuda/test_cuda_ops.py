"""The cuda backend against the numpy backend: every op record, forward and gradient,
float32 and float64 (in numba's CUDA simulator in CI; on a GPU where there is one)."""

import warnings

import numpy as np
import pytest

import graphc as gc
from graphc.registry import OPS
from graphc.runtime.backend import FallbackWarning
from graphc.runtime.cuda.backend import SOURCES
from graphc.runtime.cuda.table import cuda_kernels
from tests.ops.op_cases import CASES
from tests.runtime.test_numba_backend import _graph_for

# The kernels compute in the inputs' dtype (reductions in float64), in another order than
# numpy: float64 agrees to ~1e-15 relative per op, so 1e-12 bounds a few chained ops.
# float32 has eps 1.2e-7 and the GPU's exp/log/tanh are within a few ulps: 1e-5 relative.
TOLERANCE = {gc.float64: dict(rtol=1e-12, atol=1e-12), gc.float32: dict(rtol=1e-5, atol=1e-6)}

# Ops that run on their numpy reference on the host: control flow and custom gradients run
# traced function graphs; indexing takes arbitrary numpy indices; check_numerics must
# stop the run on the host anyway.
FALLBACK_OPS = {"cond", "while_loop", "while_grad", "custom_gradient", "getitem", "setitem",
                "index_add", "check_numerics"}
# Ops a run handles itself: feeds and variables are its arguments, assignments its result.
RUN_OPS = {*SOURCES, "assign", "no_op"}


def test_the_ops_without_a_cuda_kernel_are_exactly_the_listed_ones():
    assert sorted(set(OPS) - set(cuda_kernels()) - RUN_OPS) == sorted(FALLBACK_OPS)


@pytest.mark.parametrize("float_dtype", [gc.float64, gc.float32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_op_forward_and_gradient_agree_with_numpy_backend(case, float_dtype):
    graph, fetches, feeds = _graph_for(case, float_dtype)
    with gc.Session(graph, backend="numpy") as sess:
        expected = sess.run(fetches, feeds)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FallbackWarning)
        with gc.Session(graph, device="cuda") as sess:
            got = sess.run(fetches, feeds)
            again = sess.run(fetches, feeds)  # the prepared launches, with pooled buffers
    for g, a, e in zip(got, again, expected):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, **TOLERANCE[float_dtype])
        np.testing.assert_array_equal(a, g)
    fell_back = {str(w.message).split("'")[1] for w in caught
                 if issubclass(w.category, FallbackWarning)}
    assert fell_back <= FALLBACK_OPS
