"""The fused matmul ops on the one matmul kernel: matmul_add as its accumulating epilogue;
matmul_epilogue as the product followed by the generated elementwise kernel of its
expression, written over the product in place (fused_elementwise is generated with the
other elementwise kernels)."""

from __future__ import annotations

from typing import Any

from graphc.runtime.cuda.elementwise import launch_over, scalar_code
from graphc.runtime.cuda.linalg import launch_matmul
from graphc.runtime.cuda.table import Call, kernel


@kernel("matmul_epilogue")
def _matmul_epilogue(call: Call) -> list[Any]:
    (product,) = launch_matmul(call, "none")
    body = scalar_code(call.attrs["expression"])
    return [launch_over(body, [product, *call.args[2:]], product)]


@kernel("matmul_add")
def _matmul_add(call: Call) -> list[Any]:
    epilogue = "subtract" if call.attrs["subtract"] else "add"
    return [*launch_matmul(call, epilogue, extra=call.args[2], scale=call.args[3],
                           beta=call.args[4])]
