"""Static shapes: tuples whose entries are ints or None (unknown), or None for unknown rank.

TensorFlow 1's `Dimension` is here too, with the least change to those tuples. A
TensorShape (what a graph tensor's `.shape` and `get_shape()` return) stores plain ints and
None, so iterating it, comparing it with a tuple, `as_list()`, `None in shape` and everything
graphc computes from shapes see what they always saw. Only indexing one item from outside
graphc, `x.shape[1]` in a user's program, gives a Dimension: for a known size a `Dimension`
that is an `int` subclass (so comparisons, arithmetic, `int(d)`, `range(d)`, numpy shapes and
shape arguments work as with the int, and `d.value` is the int), for an unknown size the
one unknown Dimension, whose `value` is None. That unknown one cannot be `None` itself
(`x.shape[0] is None` is False in TensorFlow 1 too), so graphc's own code, which tests
`shape[i] is None` in many places, gets the plain item: `TensorShape.__getitem__` looks at
the module that calls it (one frame up) and gives graphc's modules the stored value.
`dims` gives Dimensions, as TensorFlow's does; iterating a shape (and `reversed`, and
unpacking it) gives the stored ints and None, as TensorFlow 2's shapes do, so write
`[d.value for d in shape.dims]` or `shape.as_list()` for TensorFlow 1's loop over
Dimensions. A known Dimension serves in any shape argument as its int; `as_shape`
(placeholder's, Variable's, get_variable's shapes) also reads an unknown one as None, so
`[x.shape[0], 3]` is a placeholder's shape (an op that needs the size itself, a reshape,
raises TypeError on an unknown one, as TensorFlow does).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

Shape = tuple[int | None, ...] | None


class Dimension:
    """TensorFlow 1's Dimension: `Dimension(3)` is a known size (an int, with `.value` 3),
    `Dimension(None)` the unknown one (`.value` None). Arithmetic on Dimensions gives
    Dimensions, unknown when either side is; comparing an unknown Dimension gives None, as in
    TensorFlow."""

    __slots__ = ()

    def __new__(cls, value: Any = None) -> Any:
        if cls is not Dimension:  # (the unknown Dimension's own class)
            return object.__new__(cls)
        if value is None or value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, KnownDimension):
            return value
        number = int(value)
        if not isinstance(value, str | bytes) and number != value:
            raise ValueError(f"Ambiguous dimension: {value}")
        if number < 0:
            raise ValueError(f"Dimension {number} must be >= 0")
        return KnownDimension(number)

    @property
    def value(self) -> int | None:
        raise NotImplementedError

    def is_compatible_with(self, other: Any) -> bool:
        """Whether the two could be the same size (an unknown one is compatible with all)."""
        a, b = self.value, dimension_value(Dimension(other))
        return a is None or b is None or a == b

    def merge_with(self, other: Any) -> Dimension:
        """The Dimension both describe; ValueError if they are not compatible."""
        other = Dimension(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {other} are not compatible")
        return self if self.value is not None else other


def _arithmetic(name: str) -> Any:
    def method(self: KnownDimension, other: Any) -> Any:
        if other is None or other is UNKNOWN:
            return UNKNOWN
        result = getattr(int, name)(self, other)
        return KnownDimension(result) if type(result) is int and result >= 0 else result
    method.__name__ = name
    return method


class KnownDimension(int, Dimension):
    """A Dimension of known size: the int itself, with `.value`."""

    __slots__ = ()

    @property
    def value(self) -> int:
        return int(self)

    __add__, __radd__ = _arithmetic("__add__"), _arithmetic("__radd__")
    __sub__, __rsub__ = _arithmetic("__sub__"), _arithmetic("__rsub__")
    __mul__, __rmul__ = _arithmetic("__mul__"), _arithmetic("__rmul__")
    __floordiv__, __rfloordiv__ = _arithmetic("__floordiv__"), _arithmetic("__rfloordiv__")
    __mod__, __rmod__ = _arithmetic("__mod__"), _arithmetic("__rmod__")


class _UnknownDimension(Dimension):
    """The Dimension of unknown size (TensorFlow's Dimension(None)): falsy, `.value` None;
    arithmetic with it is unknown and comparisons are None."""

    __slots__ = ()

    @property
    def value(self) -> None:
        return None

    def __repr__(self) -> str:
        return "Dimension(None)"

    def __str__(self) -> str:
        return "?"

    def __bool__(self) -> bool:
        return False

    def __hash__(self) -> int:
        return hash(None)

    def __reduce__(self) -> str:
        return "UNKNOWN"  # (pickled and copied as the one unknown Dimension)

    def __int__(self) -> int:
        raise TypeError("an unknown Dimension (value None) has no int value")

    __index__ = __int__

    def _unknown(self, other: Any) -> Any:
        return UNKNOWN

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unknown
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _unknown

    def _none(self, other: Any) -> None:
        return None

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _none  # type: ignore[assignment]


UNKNOWN: Any = _UnknownDimension()


def dimension_value(dimension: Any) -> int | None:
    """TensorFlow's tf.dimension_value: a Dimension's value (int or None); an int or None as
    it is."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


def dimension_at_index(shape: Any, index: int) -> Dimension:
    """TensorFlow's tf.dimension_at_index: the Dimension at `index`, unknown for an unknown
    rank."""
    return Dimension(None if shape is None else tuple.__getitem__(TensorShape(shape), index))


def _called_from_graphc() -> bool:
    """Whether the function calling our caller is in graphc's own modules."""
    name = sys._getframe(2).f_globals.get("__name__", "")
    return name == "graphc" or name.startswith("graphc.")


class TensorShape(tuple):  # type: ignore[type-arg]
    """A graph tensor's static shape as its `.shape` and `get_shape()` give it: a tuple (None
    for a dim known only when the graph runs) with TensorFlow 1's TensorShape methods, so
    `x.get_shape().as_list()` works. It stores ints and None; `shape[1]` in a user's program
    is a Dimension, whose `.value` is the int or None (see the module's docstring).
    `TensorShape(dims)` takes ints, None and Dimensions (an int alone is one dim);
    `TensorShape(None)`, an unknown rank, is None, which is how graphc's shapes spell it."""

    __slots__ = ()

    def __new__(cls, dims: Any = ()) -> Any:
        if dims is None:
            return None
        if isinstance(dims, str | bytes):
            raise TypeError(f"A string has ambiguous TensorShape, please wrap in a list or "
                            f"convert to an int: {dims!r}")
        if isinstance(dims, int | Dimension):
            dims = (dims,)
        return tuple.__new__(cls, (d if d is None or type(d) is int else dimension_value(
            Dimension(d)) for d in dims))

    def as_list(self) -> list[int | None]:
        return list(self)

    @property
    def ndims(self) -> int:
        return len(self)

    rank = ndims

    @property
    def dims(self) -> list[Dimension]:
        """Each dim as a Dimension (TensorFlow's): `[d.value for d in shape.dims]`."""
        return [Dimension(d) for d in tuple.__iter__(self)]

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
        if isinstance(key, slice):
            return TensorShape(item)
        return item if _called_from_graphc() else Dimension(item)

    def __reversed__(self) -> Any:  # (as iterating it: the stored ints and None)
        return tuple.__iter__(self[::-1])

    def is_compatible_with(self, other: Any) -> bool:
        """Whether the two shapes could describe the same value."""
        return compatible(self, as_shape(other))


def as_shape(value: int | Iterable[int | None] | None) -> Shape:
    """Normalise a user's shape (an int, a sequence with None dims, or None) to a Shape."""
    if value is None:
        return None
    if isinstance(value, int):
        value = (value,)
    values = [dimension_value(d) for d in value]  # (a Dimension is its value)
    dims = tuple(None if d is None or d == -1 else int(d) for d in values)
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
