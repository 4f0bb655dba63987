"""Every op's CUDA kernel: importing this module imports each kernel module, which
registers its launchers in the table (table.kernel) as it loads."""

from __future__ import annotations

from graphc.registry import kernels_of
from graphc.runtime.cuda import (  # noqa: F401 - imported for their registrations
    array, constant, elementwise, fused, linalg, random, reduce, shape)
from graphc.runtime.cuda.table import Kernel


def cuda_kernels() -> dict[str, Kernel]:
    """Every op's CUDA kernel, by op name."""
    return kernels_of("cuda")
