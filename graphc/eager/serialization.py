"""torch.save and torch.load for a tensor or a state dict, as a numpy .npz file.

Nothing is pickled either way: save writes the arrays (and one entry saying which of the
two it holds) with numpy's npz format, and load reads them with allow_pickle=False, so a
file from elsewhere can never run code. The file is written under exactly the name given
(np.savez alone would add ".npz"); dtypes and key order are kept; requires_grad is not.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from graphc.eager.tensor import Tensor
from graphc.runtime.arrays import host

_KIND = "__graphc_eager__"  # the entry naming what the file holds: "tensor" or "dict"
_TENSOR = "tensor"
_NO_PICKLE = ("graphc reads the .npz files it writes and never unpickles, so a file that "
              "PyTorch's torch.save wrote cannot be read")


def _array(value: Any, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return np.asarray(host(value.array))
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    raise TypeError(f"save: {where} is a {type(value).__name__}; graphc saves a tensor or a "
                    "dict of str -> tensor (a state_dict), as .npz, never pickled")


def save(obj: Any, f: Any) -> None:
    """Write a tensor, or a dict of str -> tensor (a module's state_dict()), to `f` (a path
    or a binary file object)."""
    if isinstance(obj, dict):
        arrays: dict[str, np.ndarray] = {}
        for key, value in obj.items():
            if not isinstance(key, str) or key == _KIND:
                raise TypeError(f"save: the dict's keys must be strings (not {_KIND!r}); got "
                                f"{key!r}")
            arrays[key] = _array(value, f"the value of {key!r}")
        kind = "dict"
    else:
        arrays, kind = {_TENSOR: _array(obj, "the object")}, "tensor"
    entries: dict[str, Any] = {_KIND: np.array(kind), **arrays}
    if isinstance(f, str | os.PathLike):
        with open(f, "wb") as file:
            _write_npz(file, entries)
    else:
        _write_npz(f, entries)


def _write_npz(file: Any, entries: dict[str, np.ndarray]) -> None:
    """np.savez's format, one NAME.npy member per entry, written here so that every key is
    kept (np.savez takes its keys as keyword arguments: a key 'file' clashes with its first
    parameter and a key 'allow_pickle' is taken as that flag, the array dropped)."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED,
                         allowZip64=True) as archive:
        for key, value in entries.items():
            with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def load(f: Any, map_location: Any = None, weights_only: Any = None) -> Any:
    """What save wrote to `f`: a tensor, or an OrderedDict of str -> tensor; on
    `map_location` ('cpu' or 'cuda') when given."""
    unreadable = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile)
    try:
        data = np.load(f, allow_pickle=False)
    except unreadable as err:
        raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: {err} "
                           f"({_NO_PICKLE})") from None
    if not isinstance(data, np.lib.npyio.NpzFile) or _KIND not in data.files:
        raise RuntimeError(f"load: {f!r} is a numpy file, but not one graphc.eager.save "
                           f"wrote ({_NO_PICKLE})")
    with data:
        try:
            kind = data[_KIND]
            arrays = OrderedDict((k, data[k]) for k in data.files if k != _KIND)
        except unreadable as err:
            raise RuntimeError(f"load: {f!r} is damaged or not a file graphc.eager.save "
                               f"wrote: {err} ({_NO_PICKLE})") from None
    names = list(arrays)
    if not (isinstance(kind, np.ndarray) and kind.shape == () and kind.dtype.kind == "U" and
            (str(kind) == "dict" or (str(kind) == "tensor" and names == [_TENSOR]))):
        raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                           f"{_KIND!r} entry is {kind!r:.80} with the entries {names}; it must "
                           "be 'dict', or 'tensor' with the one entry 'tensor'")
    values = OrderedDict()
    for key, array in arrays.items():
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            what = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
            raise RuntimeError(f"load: the entry {key!r} of {f!r} holds {what} data, not a "
                               "tensor's numbers")
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        values[key] = Tensor(array)
    if map_location is not None:
        values = OrderedDict((k, v.to(map_location)) for k, v in values.items())
    return values[_TENSOR] if kind == "tensor" else values
