"""Tensor contractions: the einsum op (numpy's np.einsum; its gradient is an einsum with the
subscripts swapped) and tensordot (transposes, reshapes and one matmul, so it runs on the
BLAS where matmul does; an einsum where the shapes known while building cannot be
reshaped into a matrix).

An einsum equation names each operand's dims with letters (a-z, A-Z) and may hold '...'
(the dims no letter names, lined up from the right, of equal sizes in every operand). An
operand that names one dim twice (a trace or a diagonal, 'ii->i') is not supported: a
NotImplementedError. Without '->' the result's dims are '...' then the letters used once,
in alphabetical order (numpy's and PyTorch's rule).

Backends: the ops set OpDef.host, so the numba backend runs these numpy references in its
host program, with no FallbackWarning (numpy's loop, sort or BLAS call is what a native
kernel would run); on CUDA they run on host copies of their inputs, with the backend's
FallbackWarning.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.array import static_int
from graphc.ops.composite import scope
from graphc.ops.core import apply
from graphc.ops.linalg import matmul
from graphc.ops.shape import broadcast_like, reshape, static_shape, transpose
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


# -- tensordot --------------------------------------------------------------------------------
def _tensordot_axes(axes: Any, ra: int, rb: int, sa: Any, sb: Any,
                    function: str) -> tuple[list[int], list[int]]:
    """(a's axes, b's axes) to contract, as non-negative ints."""
    if isinstance(axes, int | np.integer) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > min(ra, rb):
            raise ValueError(f"{function}: axes = {n} must be in 0..{min(ra, rb)} for "
                             f"shapes {shapes.fmt(sa)} and {shapes.fmt(sb)}")
        return list(range(ra - n, ra)), list(range(n))
    if core.is_eager(axes) or isinstance(axes, Tensor):
        raise TypeError(f"{function}: axes must be an int or two lists of ints, not a tensor")
    try:
        first, second = axes
    except (TypeError, ValueError):
        raise ValueError(f"{function}: axes must be an int or a pair of lists of axes, got "
                         f"{axes!r}") from None
    pairs = []
    for items, rank, shape in ((first, ra, sa), (second, rb, sb)):
        items = [items] if isinstance(items, int | np.integer) else list(items)
        listed = [static_int(a, "each axis", function) for a in items]
        if any(not -rank <= a < rank for a in listed) or \
                len({a % rank for a in listed}) != len(listed):
            raise ValueError(f"{function}: axes {listed} are out of range or repeated for "
                             f"shape {shapes.fmt(shape)}")
        pairs.append([a % rank for a in listed])
    if len(pairs[0]) != len(pairs[1]):
        raise ValueError(f"{function}: {len(pairs[0])} axes of a and {len(pairs[1])} of b "
                         f"(axes {axes!r}); they must pair up")
    return pairs[0], pairs[1]


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Any:
    """The sum of products of a's `axes[0]` with b's `axes[1]` (pairwise), as tf.tensordot
    and np.tensordot: an int n pairs a's last n dims with b's first n. The result's dims are
    a's left over, then b's."""
    sa, sb = static_shape(a), static_shape(b)
    if sa is None or sb is None:
        raise ValueError("tensordot: the operands' ranks must be known when the graph is built")
    ra, rb = len(sa), len(sb)
    axes_a, axes_b = _tensordot_axes(axes, ra, rb, sa, sb, "tensordot")
    for i, j in zip(axes_a, axes_b):
        if sa[i] is not None and sb[j] is not None and sa[i] != sb[j]:
            raise ValueError(f"tensordot: axis {i} of a (shape {shapes.fmt(sa)}) and axis {j} "
                             f"of b (shape {shapes.fmt(sb)}) differ in size")
    free_a = [d for d in range(ra) if d not in axes_a]
    free_b = [d for d in range(rb) if d not in axes_b]
    letters = string.ascii_letters
    subs_a = "".join(letters[d] for d in range(ra))
    contracted = {j: subs_a[i] for i, j in zip(axes_a, axes_b)}
    subs_b = "".join(contracted.get(d, letters[ra + d]) for d in range(rb))
    out = "".join(subs_a[d] for d in free_a) + "".join(subs_b[d] for d in free_b)
    dims = [sa[d] for d in free_a] + [sb[d] for d in free_b]
    k = [sa[d] for d in axes_a]
    with scope(name, "Tensordot", a, b):
        if None in k or sum(d is None for d in dims) > 1 or (None in dims and 0 in dims + k):
            return einsum(f"{subs_a},{subs_b}->{out}", a, b)  # (no single reshape fits)
        size = prod(d for d in k if d is not None)  # (all known here)
        left = _moved(a, free_a + axes_a, (_product([sa[d] for d in free_a]), size))
        right = _moved(b, axes_b + free_b, (size, _product([sb[d] for d in free_b])))
        return reshape(matmul(left, right), [-1 if d is None else d for d in dims])


def _product(dims: list[Any]) -> int:
    """The number of elements dims hold, -1 when one is unknown."""
    return -1 if None in dims else prod(dims)


def _moved(x: Any, order: list[int], shape: tuple[int, int]) -> Any:
    if order != sorted(order):
        x = transpose(x, order)
    return reshape(x, shape)
