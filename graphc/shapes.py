"""Static shapes: tuples whose entries are ints or None (unknown), or None for unknown rank."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Shape = tuple[int | None, ...] | None


class TensorShape(tuple):  # type: ignore[type-arg]
    """A graph tensor's static shape as its `.shape` and `get_shape()` give it: a tuple (None
    for a dim known only when the graph runs) with TensorFlow 1's TensorShape methods, so
    `x.get_shape().as_list()` works. Its items are ints or None (TensorFlow 1's Dimension
    objects, and their `.value`, are not there: `shape[1]` is the size itself)."""

    __slots__ = ()

    def as_list(self) -> list[int | None]:
        return list(self)

    @property
    def ndims(self) -> int:
        return len(self)

    rank = ndims

    @property
    def dims(self) -> list[int | None]:
        return list(self)

    def num_elements(self) -> int | None:
        """The number of elements, or None when a dim is unknown."""
        total = 1
        for d in self:
            if d is None:
                return None
            total *= d
        return total

    def is_fully_defined(self) -> bool:
        return None not in self

    def __getitem__(self, key: Any) -> Any:
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item


def as_shape(value: int | Iterable[int | None] | None) -> Shape:
    """Normalise a user's shape (an int, a sequence with None dims, or None) to a Shape."""
    if value is None:
        return None
    if isinstance(value, int):
        value = (value,)
    dims = tuple(None if d is None or d == -1 else int(d) for d in value)
    if any(d is not None and d < 0 for d in dims):
        raise ValueError(f"shape {value} has a negative dimension")
    return dims


def fmt(shape: Shape) -> str:
    """Render a shape the way users write it: (None, 1000), or <unknown> for unknown rank."""
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def is_fully_defined(shape: Shape) -> bool:
    return shape is not None and all(d is not None for d in shape)


def broadcast(*shapes: Shape) -> Shape:
    """numpy's broadcasting rule on static shapes; raises ValueError naming the shapes."""
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out: list[int | None] = []
    for i in range(-rank, 0):
        dims = [s[i] for s in shapes if len(s) >= -i]  # type: ignore[index,arg-type]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError("shapes " + " and ".join(fmt(s) for s in shapes)
                             + " cannot be broadcast together")
        if known:
            out.append(known.pop())
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def compatible(a: Shape, b: Shape) -> bool:
    """Whether two static shapes could describe the same value."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def matches(shape: Shape, concrete: Sequence[int]) -> bool:
    """Whether a concrete shape fits a static one (None dims match anything)."""
    if shape is None:
        return True
    return len(shape) == len(concrete) and all(d is None or d == c for d, c in zip(shape, concrete))


def normalize_axes(axis: int | Sequence[int] | None, rank: int, op: str) -> tuple[int, ...]:
    """Axis argument of a reduction as sorted non-negative ints; None means every axis."""
    if axis is None:
        return tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = set()
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {rank}")
        out.add(a % rank)
    return tuple(sorted(out))


# Dimension movers: an op's output dimensions picked from its input's, with no arithmetic
# and no comparison, so they apply to sizes and to symbols alike (passes/symbolic.py).
def reduced(dims: tuple[Any, ...], axis: Sequence[int] | None, keepdims: bool
            ) -> tuple[Any, ...]:
    """dims after a reduction over `axis` (all when None): dropped, or kept as 1s."""
    axes = range(len(dims)) if axis is None else axis
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(dims))
    return tuple(d for i, d in enumerate(dims) if i not in axes)


def transposed(dims: tuple[Any, ...], perm: Sequence[int] | None) -> tuple[Any, ...]:
    """dims permuted by `perm` (reversed when None)."""
    return dims[::-1] if perm is None else tuple(dims[p] for p in perm)


def product(a: tuple[Any, ...], b: tuple[Any, ...], transpose_a: bool, transpose_b: bool
            ) -> tuple[Any, Any]:
    """The (rows, columns) of op(a) @ op(b) for matrices a and b."""
    return (a[1] if transpose_a else a[0], b[0] if transpose_b else b[1])
