"""The fused matmul ops as epilogues of the one matmul kernel (fused_elementwise is
generated with the other elementwise kernels)."""

from __future__ import annotations

from typing import Any

from graphc.runtime.cuda.linalg import launch_matmul
from graphc.runtime.cuda.table import Call, kernel


@kernel("matmul_relu")
def _matmul_relu(call: Call) -> list[Any]:
    return launch_matmul(call, "relu")


@kernel("matmul_bias_relu")
def _matmul_bias_relu(call: Call) -> list[Any]:
    return launch_matmul(call, "bias_relu", extra=call.args[2])


@kernel("matmul_mask")
def _matmul_mask(call: Call) -> list[Any]:
    return launch_matmul(call, "mask", extra=call.args[2])


@kernel("matmul_add")
def _matmul_add(call: Call) -> list[Any]:
    epilogue = "subtract" if call.attrs["subtract"] else "add"
    return launch_matmul(call, epilogue, extra=call.args[2], scale=call.args[3])
