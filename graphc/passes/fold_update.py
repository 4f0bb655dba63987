"""Fold a matrix product into the sum that consumes it: beta * c ± s * (a @ b), with beta and
s scalars (or absent: 1), becomes one matmul_add, which BLAS computes as a single gemm into
c with those alpha and beta. The updates that matter: SGD's w - lr * grad_w and momentum's
mu * v + grad_v, where each gradient is a matmul.

Only when c is a variable's value and the sum is assigned back to that variable, and no
later node reads c: then gemm can accumulate into the variable's own buffer. Any other c
gemm would first copy (and, with beta != 1, scale): weight decay's g + wd * w, whose w the
update reads again, and an L2 loss's gradient x^T @ d + (wd / 2) * (2 * w), run faster as
a product into the workspace that the elementwise loop after it reads."""

from __future__ import annotations

import numpy as np

from graphc import shapes
from graphc.graph import Node, Tensor
from graphc.passes.rewrite import (Build, Pattern, Uses, constant_for, op, pattern_rules,
                                   remade, rewrite, value)
from graphc.program import Program


def _once(t: Tensor, uses: Uses) -> bool:
    return uses.only_used_by_one_node(t)


def _scaled(x: Pattern, scalar: str, bind: str) -> Pattern:
    """x * s or s * x, with s a scalar, read only by the sum (the fold absorbs it)."""
    return op("multiply", x, value(scalar, lambda t, uses: t.shape == ()), bind=bind,
              test=_once, absorbed=True)


PRODUCT = op("matmul", value(), value(), bind="product", test=_once, absorbed=True)
PRODUCTS = (_scaled(PRODUCT, "scale", "scaled"), PRODUCT)
ACCUMULATORS = (_scaled(value("c"), "beta", "scaling"), value("c"))
# beta * c ± s * (a @ b), beta and s optional; a sum in either order, a difference c - ...
SUMS = [op(name, c, product) for name in ("subtract", "add")
        for product in PRODUCTS for c in ACCUMULATORS]


def _assigned_back(node: Node, accumulator: Tensor, uses: Uses) -> bool:
    """Whether `accumulator` is a variable's value and node's result is assigned to that
    variable: the one update gemm could write into the variable's own buffer."""
    variable, original = accumulator.node, uses.current or node  # (node may be rebuilt)
    return variable.op == "variable" and any(
        reader.op == "assign" and reader.attrs["var"] is variable
        for reader in uses.readers.get(original.outputs[0], ()))


def _fold(ones: dict[np.dtype, Tensor]) -> Build:
    """The sum as one matmul_add, where gemm can accumulate into the variable itself: the
    product, the accumulator and the result of one fully known float type (gemm cannot
    broadcast), the sum assigned back to the accumulator's variable, and no later reader
    of its old value. An absent scale or beta is one constant 1 per dtype."""
    def build(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
        out, product, c = node.types[0], m["product"], m["c"]
        if not out.dtype.is_floating or not shapes.is_fully_defined(out.shape) or \
                product.type != out or c.type != out or \
                not _assigned_back(node, c, uses) or uses.read_downstream(c):
            return None
        if out.dtype.np not in ones and ("scale" not in m or "beta" not in m):
            ones[out.dtype.np] = constant_for(node, np.array(1, out.dtype.np),
                                              f"{node.name}/one").outputs[0]
        scale, beta = (m[k] if k in m else ones[out.dtype.np] for k in ("scale", "beta"))
        absorbed = [m[k].node for k in ("product", "scaled", "scaling") if k in m]
        return remade(node, "matmul_add", (*product.node.inputs, c, scale, beta),
                      {**product.node.attrs, "subtract": node.op == "subtract"}, *absorbed)
    return build


def fold_update(program: Program) -> Program:
    build = _fold({})
    return rewrite(program, [pattern_rules([(pattern, build) for pattern in SUMS])])
