"""PyTorch's products beyond matmul (torch.outer / ger, bmm, addmm, einsum, tensordot), on
graphc's ops: matmul (ops/linalg.py) where a matrix product does it, else the einsum op
(ops/einsum.py; tensordot: ops/contract.py). Like functions.py's, they take graph tensors too."""

from __future__ import annotations

from typing import Any

from graphc import shapes
from graphc.eager.functions import is_number, input_shape, mm
from graphc.ops import contract
from graphc.ops.array import expand_dims
from graphc.ops.elementwise import multiply

__all__ = ["addmm", "bmm", "einsum", "ger", "outer", "tensordot"]


def outer(input: Any, vec2: Any) -> Any:  # noqa: A002
    """The outer product of two vectors: out[i, j] = input[i] * vec2[j]."""
    for label, v in (("input", input), ("vec2", vec2)):
        shape = input_shape(v, "outer")
        if len(shape) != 1:
            raise RuntimeError(f"outer: {label} must be a vector (1-D), got shape "
                               f"{shapes.fmt(shape)}")
    return multiply(expand_dims(input, 1), expand_dims(vec2, 0))


ger = outer  # PyTorch's older name


def bmm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """The product of each pair of matrices of two batches: (b, n, m) and (b, m, p) give
    (b, n, p)."""
    a, b = input_shape(input, "bmm"), input_shape(mat2, "bmm")
    for label, shape in (("input", a), ("mat2", b)):
        if len(shape) != 3:
            raise RuntimeError(f"bmm: {label} must be a batch of matrices (3-D), got shape "
                               f"{shapes.fmt(shape)}")
    for what, x, y in (("batch sizes", a[0], b[0]), ("inner dimensions", a[2], b[1])):
        if x is not None and y is not None and x != y:
            raise RuntimeError(f"bmm: the {what} of input (shape {shapes.fmt(a)}) and mat2 "
                               f"(shape {shapes.fmt(b)}) differ")
    return contract.einsum("bij,bjk->bik", input, mat2)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Any:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape; where
    beta is 0, input is not read (its NaNs do not spread), as in PyTorch."""
    for label, value in (("beta", beta), ("alpha", alpha)):
        if not is_number(value):
            raise TypeError(f"addmm: {label} must be a number, not {type(value).__name__}")
    product = mm(mat1, mat2)
    shape, target = input_shape(input, "addmm"), input_shape(product, "addmm")
    try:
        broadcast = shapes.broadcast(shape, target)
    except ValueError:
        broadcast = None
    if broadcast is None or len(broadcast) != 2 or not shapes.compatible(broadcast, target):
        raise RuntimeError(f"addmm: input of shape {shapes.fmt(shape)} does not broadcast to "
                           f"the product's shape {shapes.fmt(target)}")
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation (graphc.ops.einsum.einsum); the operands may also come as one
    list, torch.einsum("ij,jk", [a, b])."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    return contract.einsum(equation, *operands)


def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """The sum of products over dims: an int n pairs a's last n dims with b's first n, or
    two lists of dims ([a's], [b's])."""
    return contract.tensordot(a, b, dims)
