"""The element types graphc tensors can hold, and their numpy counterparts."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np


class DType:
    """A tensor element type; compares equal to its name and to the matching numpy dtype."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def is_floating(self) -> builtins.bool:
        return self.np.kind == "f"

    @property
    def is_integer(self) -> builtins.bool:
        return self.np.kind in "iu"

    @property
    def is_bool(self) -> builtins.bool:
        return self.np.kind == "b"

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"gc.{self.name}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (as_dtype, (self.name,))


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool = DType("bool", np.bool_)  # noqa: A001 - the public name follows TensorFlow
# the narrow integers data arrives in (uint8 images, int16 audio): stored, fed, fetched and
# cast like any dtype; computing with them (their wrap-around arithmetic) is numpy's
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)

ALL: tuple[DType, ...] = (float32, float64, int32, int64, bool, int8, int16, uint8, uint16)
_BY_NP = {d.np: d for d in ALL}


# TensorFlow's names where numpy's differ ("float" is float64 to numpy); Python's types
# keep numpy's meaning (float is float64), which is PyTorch's too
_ALIASES: dict[str, DType] = {"float": float32, "double": float64}
_UNSUPPORTED = ("half", "float16", "bfloat16", "uint32", "uint64", "complex64", "complex128",
                "string")
_WHY = {"half": "graphc computes in float32 and float64 (cast half data to float32)",
        "float16": "graphc computes in float32 and float64 (cast half data to float32)",
        "bfloat16": "graphc computes in float32 and float64"}


def as_dtype(value: Any) -> DType:
    """Turn a DType, a numpy dtype or type, or a name into a DType. Names are TensorFlow's:
    "float" is float32, "double" float64 (numpy reads "float" as float64)."""
    if isinstance(value, DType):
        return value
    if isinstance(value, np.dtype) and value in _BY_NP:
        return _BY_NP[value]
    if isinstance(value, str) and value in _ALIASES:
        return _ALIASES[value]
    if isinstance(value, str) and value in _UNSUPPORTED:
        raise TypeError(_unsupported(value))
    try:
        np_dtype = np.dtype(value)
    except TypeError as err:
        raise TypeError(f"{value!r} is not a dtype graphc knows; use one of "
                        f"{', '.join(d.name for d in ALL)}") from err
    if np_dtype in _BY_NP:
        return _BY_NP[np_dtype]
    raise TypeError(_unsupported(np_dtype.name))


def _unsupported(name: str) -> str:
    why = _WHY.get(name)
    return (f"dtype {name} is not supported{f': {why}' if why else ''}; use one of "
            f"{', '.join(d.name for d in ALL)}")


def default_dtype_of(value: Any) -> DType:
    """The dtype TensorFlow would give a Python value: float32 for floats, int32 for ints
    (int64 for ints beyond int32's range)."""
    if isinstance(value, np.ndarray | np.generic):
        return as_dtype(value.dtype)
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "b":
        return bool
    if kind in "iu":
        for dtype, info in ((int32, np.iinfo(np.int32)), (int64, np.iinfo(np.int64))):
            if array.size == 0 or info.min <= array.min() and array.max() <= info.max:
                return dtype
        raise TypeError(f"cannot make a tensor from {_short(value)}: it does not fit int64")
    if kind == "f":
        return float32
    raise TypeError(f"cannot make a tensor from {type(value).__name__} value {value!r}: "
                    "graphc tensors hold numbers or booleans")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
