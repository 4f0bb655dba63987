"""Fused ops: made by passes, never by users; each is an ordinary op with a reference, so
every backend can run it and a render can name what it replaced."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import TensorType
from graphc.ops.elementwise import SCALAR
from graphc.ops.expression import Expression, inputs_of, walk
from graphc.ops.linalg import _matmul_grad, _matmul_infer, _matmul_ref, matmul, product_dims
from graphc.ops.reduce import reduce_sum
from graphc.ops.shape import sum_to
from graphc.registry import OPS, GradOp, OpDef, register


def _matmul_then(types: Any, attrs: Any, extra: str) -> TensorType:
    """matmul's output type, checked to absorb the extra operand without growing."""
    out = _matmul_infer(types[:2], attrs)
    if shapes.broadcast(out.shape, types[2].shape) != out.shape:
        raise ValueError(f"the {extra} of shape {shapes.fmt(types[2].shape)} would widen the "
                         f"product of shape {shapes.fmt(out.shape)}")
    return out


def _matmul_add_infer(types: Any, attrs: Any) -> TensorType:
    out = _matmul_then(types, attrs, "accumulator")
    for name, t in (("scale", types[3]), ("beta", types[4])):
        if t.shape not in (None, ()):
            raise ValueError(f"the {name} must be a scalar, got shape {shapes.fmt(t.shape)}")
    return out


def _matmul_add_grad(op: GradOp, g: Any) -> Any:
    a, b, c, scale, beta = op.inputs
    g_scaled = -g if op.attrs["subtract"] else g
    product = matmul(a, b, op.attrs["transpose_a"], op.attrs["transpose_b"]) \
        if op.wants[3] else None
    return (*_matmul_grad(op._replace(inputs=(a, b), wants=op.wants[:2]), g_scaled * scale),
            sum_to(g * beta, c) if op.wants[2] else None,
            reduce_sum(g_scaled * product) if product is not None else None,
            reduce_sum(g * c) if op.wants[4] else None)


def _matmul_add_ref(a: Any, b: Any, c: Any, scale: Any, beta: Any, transpose_a: bool,
                    transpose_b: bool, subtract: bool) -> Any:
    product = scale * _matmul_ref(a, b, transpose_a, transpose_b)
    kept = c if beta == 1 else beta * c
    return kept - product if subtract else kept + product


# forward y = beta * c + scale * op(a) @ op(b) (beta * c - ... with `subtract`): the SGD
# update w - lr * (x^T @ g) (beta 1), weight decay's w * (1 - lr * wd) - lr * (x^T @ g),
# momentum's mu * v + (x^T @ g); a BLAS backend computes it as one gemm with that beta, into
# the accumulator itself when the update may be in place.
# backward: matmul's rule on ±scale*g, dc = beta g, dscale = ±sum(g * op(a) @ op(b)),
# dbeta = sum(g * c)
MATMUL_ADD = register(OpDef(
    "matmul_add", _matmul_add_infer, _matmul_add_ref, _matmul_add_grad,
    fused_from=("matmul", "multiply", "add"), dims=product_dims))


def evaluate_expression(expression: Expression, inputs: tuple[Any, ...]) -> Any:
    """The expression's value with each op's numpy reference, each op's value in the dtype
    its label gives, as the op alone makes it (numpy divides uint8 by uint8 in float64;
    graphc's division gives float32, and a comparison after it must see float32's
    rounding)."""
    def apply(op: str, dtype: str, values: list[Any]) -> Any:
        return np.asarray(OPS[op].reference(*values)).astype(dtype, copy=False)  # type: ignore[misc]
    return walk(expression, inputs.__getitem__, apply)


def _expression_type(expression: Expression, types: Any) -> TensorType:
    """The expression's result type, each op's by its own rule. Backends write their loops
    from the expression (a graph file's, too), so it must hold only elementwise ops that
    need no attributes, read every input the node has and no other, and label each op
    with the name of the dtype its rule gives (a file could label integers float32)."""
    def read(i: int) -> TensorType:
        if not 0 <= i < len(types):
            raise ValueError(f"the expression reads input {i} of a node with {len(types)}")
        return types[i]

    def infer(op: str, dtype: Any, operands: list[TensorType]) -> TensorType:
        if op not in SCALAR or op == "cast":
            raise ValueError(f"the expression holds {op!r}, not an elementwise op without "
                             f"attributes")
        out = OPS[op].infer(operands, {})
        assert isinstance(out, TensorType)  # (an elementwise op makes one value)
        if type(dtype) is not str or dtype != out.dtype.name:
            raise ValueError(f"the expression labels its {op} {dtype!r}, but on its operands "
                             f"({', '.join(map(str, operands))}) {op} makes {out.dtype.name}")
        return out
    out = walk(expression, read, infer)
    unread = sorted(set(range(len(types))) - set(inputs_of(expression)))
    if unread:  # (a backend would still broadcast it with the others)
        raise ValueError(f"the expression never reads input {unread[0]} of the node")
    return out


# forward y = the expression of elementwise ops, computed in one pass with no temporaries
# (made by the elementwise fusion pass, after gradients exist: it has no gradient rule)
FUSED_ELEMENTWISE = register(OpDef(
    "fused_elementwise", lambda types, attrs: _expression_type(attrs["expression"], types),
    lambda *inputs, expression: evaluate_expression(expression, inputs),
    elementwise=True, fused_from=("elementwise",)))


def _epilogue_infer(types: Any, attrs: Any) -> TensorType:
    """matmul's output type, checked to be the type of the epilogue's result."""
    product = _matmul_infer(types[:2], attrs)
    out = _expression_type(attrs["expression"], [product, *types[2:]])
    if out != product:
        raise ValueError(f"the epilogue would make {out} of the product {product}")
    return out


# forward y = e(op(a) @ op(b), x1, x2, ...): a matmul whose product goes straight into an
# elementwise expression e in the fused_elementwise format, where ("input", 0) is the
# product and ("input", i) is the op's input i + 1 (a ReLU, bias + ReLU, the ReLU-gradient
# mask, a momentum update...). Backends apply e as the product is written, or in one pass
# over it while it is in cache. Made by the epilogue fusion pass, after gradients exist.
MATMUL_EPILOGUE = register(OpDef(
    "matmul_epilogue", _epilogue_infer,
    lambda a, b, *extras, transpose_a, transpose_b, expression: evaluate_expression(
        expression, (_matmul_ref(a, b, transpose_a, transpose_b), *extras)),
    fused_from=("matmul", "elementwise"), dims=product_dims))


# the reductions an elementwise expression can feed without an array in between
FUSED_REDUCTIONS = ("reduce_sum", "reduce_mean", "reduce_max")


def _fused_reduction_infer(types: Any, attrs: Any) -> TensorType:
    """The reduction's result type on the expression's: a float sum, mean or max over axes
    the value has (sorted, each once), keepdims a bool (a graph file could hold anything)."""
    reduction, axis = attrs["reduction"], attrs["axis"]
    if type(reduction) is not str or reduction not in FUSED_REDUCTIONS:
        raise ValueError(f"the reduction is {reduction!r}, not one of "
                         f"{', '.join(FUSED_REDUCTIONS)}")
    if type(attrs["keepdims"]) is not bool:
        raise ValueError(f"keepdims is {attrs['keepdims']!r}, not True or False")
    value = _expression_type(attrs["expression"], types)
    if not value.dtype.is_floating:
        raise ValueError(f"the expression makes {value.dtype.name}; a fused reduction "
                         "accumulates floats")
    if value.shape is None:
        raise ValueError("the expression's rank is unknown")
    rank = len(value.shape)
    if axis is not None and not (isinstance(axis, tuple) and all(
            type(a) is int and 0 <= a < rank for a in axis) and list(axis) == sorted(set(axis))):
        raise ValueError(f"the axes {axis!r} are not sorted axes of a rank-{rank} value")
    out = OPS[reduction].infer([value], attrs)
    assert isinstance(out, TensorType)  # (a reduction makes one value)
    return out


# forward y = r(e(x1, x2, ...)) over axis, r a float sum, mean or max: an elementwise
# expression e in the fused_elementwise format reduced as its elements are made, with no
# array of them (an L2 loss's sum(square(w)), a mean squared error's mean(square(d))).
# Made by the reduction fusion pass, after gradients exist: it has no gradient rule.
def _fused_reduction_ref(*inputs: Any, expression: Expression, reduction: str, axis: Any,
                         keepdims: bool) -> Any:
    reduce = OPS[reduction].reference
    assert reduce is not None  # (the fused reductions have references)
    return reduce(evaluate_expression(expression, inputs), axis=axis, keepdims=keepdims)


FUSED_REDUCTION = register(OpDef(
    "fused_reduction", _fused_reduction_infer, _fused_reduction_ref,
    fused_from=("elementwise", "reduction"), float_kernels_only=True))
