"""The cuda backend against the numpy backend: every op record, forward and gradient,
float32 and float64 (in numba's CUDA simulator in CI; on a GPU where there is one)."""

import pytest

import graphc as gc
from graphc.registry import OPS
from graphc.runtime.cuda.backend import SOURCES
from graphc.runtime.cuda.all_kernels import cuda_kernels
from tests.ops.op_cases import CASES
from tests.runtime.test_numba_backend import assert_backend_matches_numpy

# The kernels compute in the inputs' dtype (reductions in float64), in another order than
# numpy: float64 agrees to ~1e-15 relative per op, so 1e-12 bounds a few chained ops.
# float32 has eps 1.2e-7 and the GPU's exp/log/tanh are within a few ulps: 1e-5 relative.
TOLERANCE = {gc.float64: dict(rtol=1e-12, atol=1e-12), gc.float32: dict(rtol=1e-5, atol=1e-6)}

# Ops that run on their numpy reference on the host: control flow and custom gradients run
# traced function graphs; indexing takes arbitrary numpy indices.
FALLBACK_OPS = {"cond", "while_loop", "while_grad", "custom_gradient", "getitem", "setitem",
                "index_add",
                # convolution and pooling: numpy im2col on host copies (ops/conv.py)
                "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter",
                "conv2d_transpose", "max_pool", "max_pool_grad", "avg_pool", "avg_pool_grad",
                # cumulative ops, sorting and einsum (ops/scan.py, sort.py, contract.py)
                "cumsum", "cumprod", "argsort", "take_along_axis", "scatter_along_axis",
                "einsum",
                # padding: np.pad and its gradient's sums on host copies (ops/pad.py)
                "pad", "pad_grad",
                # adaptive pooling and resizing: bins and gathers on host copies
                "adaptive_avg_pool", "adaptive_avg_pool_grad", "adaptive_max_pool",
                "adaptive_max_pool_grad", "resize", "resize_grad",
                # tf.Print and tf.print: written from host copies (ops/debug.py)
                "print"}
# Ops a run handles itself: feeds and variables are its arguments, assignments its result.
RUN_OPS = {*SOURCES, "assign", "no_op"}


def test_the_ops_without_a_cuda_kernel_are_exactly_the_listed_ones():
    assert sorted(set(OPS) - set(cuda_kernels()) - RUN_OPS) == sorted(FALLBACK_OPS)


@pytest.mark.parametrize("float_dtype", [gc.float64, gc.float32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_op_forward_and_gradient_agree_with_numpy_backend(case, float_dtype):
    # a second run reuses the prepared launches, with buffers from the pool
    assert_backend_matches_numpy(case, float_dtype, TOLERANCE, FALLBACK_OPS, device="cuda")
