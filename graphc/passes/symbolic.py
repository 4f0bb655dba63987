"""Symbolic dimensions: every unknown (None) dimension is a symbol that flows through the
shape rules, so two tensors whose static shapes both read (None, 10) are known to have one
shape when their first dimension is the same symbol (say, both the batch of placeholder
x), and rewrites may drop the sum_to / broadcast_like between them.

A dimension is an int (its size) or a symbol: a tuple naming where it was born (the node,
its output, the dimension). Everything here is a proof: where a rule cannot say, the
dimension gets a fresh symbol, equal to nothing else.
"""

from __future__ import annotations

from typing import Any

from graphc.graph import Node, Tensor
from graphc.registry import OPS

Dim = int | tuple[Any, ...]
Dims = tuple[Dim, ...] | None  # None: the rank is unknown

class SymbolicShapes:
    """The symbolic shape of each tensor, computed on demand and remembered."""

    def __init__(self, fed: frozenset[Tensor] = frozenset()) -> None:
        self._dims: dict[Tensor, Dims] = {}
        self._fed = fed  # a fed tensor has the feed's shape: its own symbols

    def __call__(self, t: Tensor) -> Dims:
        stack = [t]
        while stack:  # inputs first, without recursion (programs may be deep)
            top = stack[-1]
            if top in self._dims:
                stack.pop()
                continue
            fed = top in self._fed
            missing = [] if fed else [i for i in top.node.inputs if i not in self._dims]
            if missing:
                stack += missing
                continue
            stack.pop()
            self._dims[top] = _dims_of(top, [None] if fed else
                                       [self._dims[i] for i in top.node.inputs])
        return self._dims[t]

    def equal(self, a: Tensor, b: Tensor) -> bool:
        """Whether a and b provably have one shape at run time."""
        dims = self(a)
        return dims is not None and dims == self(b)


def _dims_of(t: Tensor, inputs: list[Dims]) -> Dims:
    node = t.node
    static = node.types[t.index].shape
    if static is None:
        return None
    rule = _rule(node, inputs) if all(d is not None for d in inputs) else None
    if rule is None or len(rule) != len(static):
        rule = tuple((node, t.index, d) for d in range(len(static)))  # fresh symbols
    # a size the static shape knows wins: it is the same fact, stated plainly
    return tuple(d if d is not None else r for d, r in zip(static, rule))


def _rule(node: Node, inputs: list[Any]) -> tuple[Dim, ...] | None:
    """The op's own dims rule (OpDef.dims), or broadcasting for an elementwise op."""
    opdef = OPS[node.op]
    if opdef.dims is not None:
        return opdef.dims(inputs, node.attrs)
    if opdef.elementwise:
        return _broadcast(node, inputs)
    return None


def _broadcast(node: Node, inputs: list[tuple[Dim, ...]]) -> tuple[Dim, ...]:
    """numpy's rule: dims aligned on the right; a 1 stretches. A known size k > 1 wins over
    a symbol (the symbol is k or 1, or the run fails); one symbol throughout stays itself;
    different symbols give a fresh one."""
    rank = max((len(d) for d in inputs), default=0)
    out: list[Dim] = []
    for i in range(-rank, 0):
        dims = {d[i] for d in inputs if len(d) >= -i} - {1}
        sizes = {d for d in dims if isinstance(d, int)}
        if not dims:
            out.append(1)
        elif len(dims) == 1:
            out.append(dims.pop())
        elif sizes:
            out.append(sizes.pop())
        else:
            out.append((node, 0, rank + i))
    return tuple(out)
