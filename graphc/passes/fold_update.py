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
from graphc.passes.rewrite import Uses, constant_for, remade, rewrite
from graphc.program import Program


def _scaled(t: Tensor, uses: Uses, wanted: str) -> tuple[Tensor, Tensor | None, Node | None]:
    """(x, s, the multiply) if t is x * s or s * x, with s a scalar, used only here, and
    x made by `wanted` (any op if ""); else (t, None, None): t itself, unscaled."""
    node = t.node
    if node.op == "multiply" and uses.only_used_by_one_node(t):
        for side in (0, 1):
            x, s = node.inputs[side], node.inputs[1 - side]
            if s.shape == () and x.type == t.type and (not wanted or x.node.op == wanted):
                return x, s, node
    return t, None, None


def _assigned_back(node: Node, accumulator: Tensor, uses: Uses) -> bool:
    """Whether `accumulator` is a variable's value and node's result is assigned to that
    variable: the one update gemm could write into the variable's own buffer."""
    variable, original = accumulator.node, uses.current or node  # (node may be rebuilt)
    return variable.op == "variable" and any(
        reader.op == "assign" and reader.attrs["var"] is variable
        for reader in uses.readers.get(original.outputs[0], ()))


def fold_scaled_product(node: Node, uses: Uses, ones: dict[np.dtype, Tensor]) -> Node | None:
    if node.op not in ("add", "subtract") or not node.types[0].dtype.is_floating or \
            node.control_inputs:
        return None
    out = node.types[0]
    # the product, the accumulator and the result must have one known shape: gemm writes
    # into the accumulator (or a copy of it) and cannot broadcast
    if not shapes.is_fully_defined(out.shape):
        return None
    sides = (1,) if node.op == "subtract" else (1, 0)
    for side in sides:
        product, scale, multiply = _scaled(node.inputs[side], uses, "matmul")
        if product.node.op != "matmul" or not uses.only_used_by_one_node(product) or \
                product.type != out:
            continue
        accumulator, beta, scaling = _scaled(node.inputs[1 - side], uses, "")
        if accumulator.type != out or not _assigned_back(node, accumulator, uses) or \
                uses.read_downstream(accumulator):
            continue
        if scale is None or beta is None:  # one constant 1 per dtype serves every update
            one = ones.get(out.dtype.np)
            if one is None:
                one = ones[out.dtype.np] = constant_for(
                    node, np.array(1, out.dtype.np), f"{node.name}/one").outputs[0]
            scale = one if scale is None else scale
            beta = one if beta is None else beta
        absorbed = [n for n in (product.node, multiply, scaling) if n is not None]
        return remade(node, "matmul_add", (*product.node.inputs, accumulator, scale, beta),
                      {**product.node.attrs, "subtract": node.op == "subtract"}, *absorbed)
    return None


def fold_update(program: Program) -> Program:
    ones: dict[np.dtype, Tensor] = {}
    return rewrite(program, [lambda node, uses: fold_scaled_product(node, uses, ones)])
