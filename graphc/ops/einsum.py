"""The einsum op: numpy's np.einsum (np.matmul where the equation is a batched matrix
product); its gradient is an einsum with the subscripts swapped. matmul's batches of
matrices on both sides are this op; tensordot (ops/contract.py) falls back to it.

An einsum equation names each operand's dims with letters (a-z, A-Z) and may hold '...'
(the dims no letter names, lined up from the right, of equal sizes in every operand). An
operand that names one dim twice (a trace or a diagonal, 'ii->i') is not supported: a
NotImplementedError. Without '->' the result's dims are '...' then the letters used once,
in alphabetical order (numpy's and PyTorch's rule).

Backends: the op sets OpDef.host, so the numba backend runs this numpy reference in its
host program, with no FallbackWarning (numpy's BLAS call is what a native kernel would
run); on CUDA it runs on host copies of its inputs, with the backend's FallbackWarning.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.ops.shape import broadcast_like, static_shape
from graphc.registry import GradOp, OpDef, register

LETTERS = frozenset(string.ascii_letters)


# -- the einsum op --------------------------------------------------------------------------
def _einsum_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    inputs, output = attrs["inputs"], attrs["output"]
    _check_subscripts(inputs, output)
    if len(types) != len(inputs):
        raise ValueError(f"{len(inputs)} operands' subscripts for {len(types)} operands")
    dtypes = {t.dtype for t in types}
    if len(dtypes) > 1:
        raise TypeError("operands have different dtypes: "
                        f"{', '.join(str(t) for t in types)}; convert them with gc.cast")
    if types[0].dtype.is_bool:
        raise TypeError("einsum of bool tensors is not supported")
    sizes = _sizes([t.shape for t in types], inputs)
    if any(t.shape is None for t in types):
        return TensorType(types[0].dtype, None if len(set(output)) else ())
    return TensorType(types[0].dtype, tuple(sizes.get(c) for c in output))


def _check_subscripts(inputs: Any, output: Any) -> None:
    """The attributes as the builder makes them (they may come from a graph file)."""
    if not isinstance(inputs, tuple) or not inputs or not isinstance(output, str) or \
            not all(isinstance(s, str) for s in inputs):
        raise ValueError("the subscripts must be a tuple of strings and a string")
    used = set("".join(inputs))
    for s in (*inputs, output):
        if not set(s) <= LETTERS or len(set(s)) != len(s):
            raise ValueError(f"subscripts {s!r} must be distinct letters")
    if not set(output) <= used:
        raise ValueError(f"output subscripts {output!r} name dims no operand has")


def _sizes(shapes_: Sequence[Any], inputs: Sequence[str]) -> dict[str, Any]:
    """The size of each letter (None where unknown); a ValueError naming the shapes if an
    operand's rank or two sizes of one letter disagree."""
    sizes: dict[str, Any] = {}
    for shape, subs in zip(shapes_, inputs):
        if shape is None:
            continue
        if len(shape) != len(subs):
            raise ValueError(f"subscripts {subs!r} name {len(subs)} dims, but the operand "
                             f"has shape {shapes.fmt(tuple(shape))}")
        for c, n in zip(subs, shape):
            if n is None:
                continue
            if sizes.get(c) is not None and sizes[c] != n:
                listed = ", ".join(f"{s!r}: {shapes.fmt(None if t is None else tuple(t))}"
                                   for s, t in zip(inputs, shapes_))
                raise ValueError(f"dim {c!r} has sizes {sizes[c]} and {n} in operands "
                                 f"{listed}")
            sizes[c] = n
    return sizes


def _as_matmul(inputs: Sequence[str], output: str) -> bool:
    """Whether the contraction is a (batched) matrix product B+ij, B+jk -> B+ik."""
    if len(inputs) != 2:
        return False
    a, b = inputs
    if len(a) < 2 or len(a) != len(b) or len(output) != len(a):
        return False
    batch = a[:-2]
    i, j = a[-2], a[-1]
    return b == batch + j + b[-1] and output == batch + i + b[-1] and len({i, j, b[-1]}) == 3


def _einsum_ref(*operands: np.ndarray, inputs: tuple[str, ...], output: str) -> np.ndarray:
    _sizes([x.shape for x in operands], inputs)  # (numpy would broadcast sizes of 1)
    if _as_matmul(inputs, output):
        return np.matmul(*operands)
    equation = f"{','.join(inputs)}->{output}"
    return np.asarray(np.einsum(equation, *operands, optimize=len(operands) > 1))


def _einsum_grad(op: GradOp, g: Any) -> list[Any]:
    # forward y[out] = sum over the other letters of prod_k x_k[s_k]; backward dx_k =
    # einsum(g[out], x_j[s_j] for j != k -> s_k): the product of the others with g, over
    # what x_k's letters are not; letters of x_k alone (summed away) are g broadcast
    inputs, output = op.attrs["inputs"], op.attrs["output"]
    grads: list[Any] = []
    for k, (x, subs) in enumerate(zip(op.inputs, inputs)):
        if not op.wants[k]:
            grads.append(None)
            continue
        others = [i for i in range(len(inputs)) if i != k]
        seen = set(output).union(*(inputs[i] for i in others))
        kept = "".join(c for c in subs if c in seen)
        grad = apply(EINSUM, g, *(op.inputs[i] for i in others),
                     inputs=(output, *(inputs[i] for i in others)), output=kept)
        alone = [d for d, c in enumerate(subs) if c not in seen]
        grads.append(broadcast_like(grad, x, alone) if alone else grad)
    return grads


EINSUM = register(OpDef("einsum", _einsum_infer, _einsum_ref, _einsum_grad, host=True))


# -- parsing an equation ----------------------------------------------------------------------
def parse_equation(equation: Any, ranks: Sequence[int | None],
                   function: str = "einsum") -> tuple[tuple[str, ...], str]:
    """(each operand's letters, the output's letters) of an equation, '...' replaced by
    letters the equation does not use."""
    if not isinstance(equation, str):
        raise TypeError(f"{function}: the equation must be a string, not "
                        f"{type(equation).__name__}")
    text = equation.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    if "->" in rhs or not set(text.replace("->", "").replace("...", "")) <= LETTERS | {","}:
        raise ValueError(f"{function}: invalid equation {equation!r}: subscripts are letters, "
                         "'...', ',' between operands and one '->'")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"{function}: the equation {equation!r} has subscripts for "
                         f"{len(terms)} operands, but {len(ranks)} were given")
    spare = sorted(LETTERS - set(text))
    extra = []
    for term, rank in zip(terms, ranks):
        named = len(term.replace("...", ""))
        if term.count("...") > 1 or (rank is not None and (
                named > rank or ("..." not in term and named != rank))):
            raise ValueError(f"{function}: subscripts {term!r} of equation {equation!r} do "
                             f"not fit an operand of rank {rank}")
        if "..." in term:
            if rank is None:
                raise ValueError(f"{function}: an operand with '...' must have a rank "
                                 "known when the graph is built")
            extra.append(rank - named)
    width = max(extra, default=0)
    dots = "".join(spare[:width])
    inputs = tuple(t.replace("...", dots[width - (r - len(t.replace("...", ""))):])
                   if "..." in t else t
                   for t, r in zip(terms, [r if r is not None else 0 for r in ranks]))
    for subs in inputs:
        if len(set(subs)) != len(subs):
            repeated = next(c for c in subs if subs.count(c) > 1)
            raise NotImplementedError(
                f"{function}: equation {equation!r} names dim {repeated!r} twice in one "
                "operand (a trace or a diagonal), which graphc does not support")
    if arrow:
        if "..." not in rhs and width:
            raise ValueError(f"{function}: equation {equation!r}: the output must hold '...' "
                             "where the operands do")
        output = rhs.replace("...", dots)
    else:
        counts = "".join(t.replace("...", "") for t in terms)
        output = dots + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    if len(set(output)) != len(output) or not set(output) <= set("".join(inputs)):
        raise ValueError(f"{function}: equation {equation!r}: each output subscript must "
                         "appear once, and in an operand")
    return inputs, output


def einsum(equation: str, *inputs: Any, name: str | None = None, **kwargs: Any) -> Any:
    """Einstein summation, as np.einsum, tf.einsum and torch.einsum: the operands'
    letters say which dims multiply together and which the output keeps; the others are
    summed over (see the module's docstring for '...', and the implicit output). One op,
    whose gradient is an einsum of the output's gradient with the other operands."""
    if kwargs:
        raise TypeError(f"einsum: unexpected arguments {sorted(kwargs)}")
    if not inputs:
        raise ValueError("einsum: give at least one operand")
    ranks = [None if (s := static_shape(x)) is None else len(s) for x in inputs]
    subs, output = parse_equation(equation, ranks)
    if not core.is_eager(*inputs) and not all(isinstance(x, Tensor) for x in inputs):
        given = next((x for x in inputs if isinstance(x, Tensor)), None)
        hint = None if given is None else given.dtype
        inputs = tuple(core.convert_to_tensor(x, hint, op="einsum") for x in inputs)
    return apply(EINSUM, *inputs, name=name, inputs=subs, output=output)
