"""torch.save and torch.load for a tensor, a state dict, or a checkpoint of nested dicts and
lists (an optimizer's state_dict(), {"epoch": 3, "model": model.state_dict(), ...}), as a
numpy .npz file.

Nothing is pickled either way: save writes the arrays (and one entry saying which kind of
file it is) with numpy's npz format, and load reads them with allow_pickle=False, so a file
from elsewhere can never run code. The file is written under exactly the name given
(np.savez alone would add ".npz"); dtypes and key order are kept; requires_grad is not.

Three kinds of file:
- "tensor": one tensor, the entry "tensor";
- "dict": a dict of str -> tensor (a module's state_dict()), one entry per key;
- "tree": anything else built of tensors (and numpy arrays of numbers), None, bools, ints,
  floats, strings, lists, tuples and dicts with str or int keys: the tensors are the entries
  "0", "1", ... and the structure is one JSON text (the entry "__graphc_tree__"), in which
  every container is a tagged list (["dict", [[key, value], ...]], ["list", [...]],
  ["tuple", [...]], ["tensor", entry number]) and every other value a JSON scalar. load
  parses it with json and accepts only those forms, nested at most 100 deep. numpy scalars
  are saved as Python numbers, dict subclasses (OrderedDict, Counter) as dicts.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager.tensor import Tensor
from graphc.files import READ_ERRORS, npz_members, read_member, reason
from graphc.runtime.arrays import host

_KIND = "__graphc_eager__"  # the entry naming what the file holds: "tensor", "dict", "tree"
_TREE = "__graphc_tree__"  # a "tree" file's structure, as JSON text
_TENSOR = "tensor"
_DEPTH = 100  # the deepest nesting of containers a tree file may have
_LONGEST = 16 * 2**20  # the most characters a tree file's structure may have
_NO_PICKLE = ("graphc reads the .npz files it writes and never unpickles, so a file that "
              "PyTorch's torch.save wrote cannot be read")
_WHAT = ("graphc saves a tensor, a dict of str -> tensor (a state_dict), or dicts (str or int "
         "keys), lists and tuples of tensors, numbers, strings and None, as .npz, never "
         "pickled")


def _is_array(value: Any) -> bool:
    return isinstance(value, Tensor) or (isinstance(value, np.ndarray) and
                                         _saved_dtype(value.dtype))


def _array(value: Any, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return np.asarray(host(value.array))
    if _is_array(value):
        return value  # type: ignore[no-any-return]
    what = f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__
    raise TypeError(f"save: {where} is a {what}; {_WHAT}")


def _encode(value: Any, arrays: list[np.ndarray], where: str, path: set[int]) -> Any:
    """`value` as JSON-ready data (see the module docstring), its tensors appended to
    `arrays`; `path` holds the containers being encoded (a container inside itself is an
    error)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):  # (also numpy's float64, a float subclass)
        return int(value) if isinstance(value, int) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, Tensor | np.ndarray):
        arrays.append(_array(value, where))
        return ["tensor", len(arrays) - 1]
    if not isinstance(value, dict | list | tuple):
        raise TypeError(f"save: {where} is a {type(value).__name__}; {_WHAT}")
    if id(value) in path:
        raise ValueError(f"save: {where} contains itself")
    if len(path) >= _DEPTH:
        raise ValueError(f"save: {where} nests containers more than {_DEPTH} deep")
    path.add(id(value))
    try:
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if isinstance(key, np.integer):
                    key = int(key)
                if isinstance(key, bool) or not isinstance(key, str | int):
                    raise TypeError(f"save: {where} has the key {key!r:.60}; a saved dict's "
                                    "keys must be strings or ints")
                items.append([key, _encode(item, arrays, f"{where}[{key!r}]", path)])
            return ["dict", items]
        tag = "list" if isinstance(value, list) else "tuple"
        return [tag, [_encode(item, arrays, f"{where}[{i}]", path)
                      for i, item in enumerate(value)]]
    finally:
        path.discard(id(value))


def save(obj: Any, f: Any) -> None:
    """Write a tensor, a dict of str -> tensor (a module's state_dict()), or nested dicts,
    lists and tuples of tensors, numbers, strings and None (an optimizer's state_dict(), a
    checkpoint dict) to `f` (a path or a binary file object)."""
    arrays: dict[str, np.ndarray]
    if isinstance(obj, dict) and all(isinstance(k, str) and k != _KIND and _is_array(v)
                                     for k, v in obj.items()):
        arrays, kind = {k: _array(v, f"the value of {k!r}") for k, v in obj.items()}, "dict"
    elif _is_array(obj):
        arrays, kind = {_TENSOR: _array(obj, "the object")}, "tensor"
    else:
        tensors: list[np.ndarray] = []
        structure = _encode(obj, tensors, "the object", set())
        arrays = {_TREE: np.array(json.dumps(structure, allow_nan=True)),
                  **{str(i): a for i, a in enumerate(tensors)}}
        kind = "tree"
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


def _decode(node: Any, tensors: list[Tensor], used: set[int], f: Any, depth: int = 0) -> Any:
    """The value JSON data `node` stands for (see the module docstring); anything else is
    refused."""
    if node is None or isinstance(node, bool | str | int | float):
        return node
    if depth >= _DEPTH:
        raise RuntimeError(f"load: {f!r}: its {_TREE!r} entry nests containers more than "
                           f"{_DEPTH} deep")
    if isinstance(node, list) and len(node) == 2 and isinstance(node[0], str):
        tag, body = node
        if tag == "tensor" and type(body) is int and 0 <= body < len(tensors) and \
                body not in used:
            used.add(body)
            return tensors[body]
        if tag in ("list", "tuple") and isinstance(body, list):
            items = [_decode(item, tensors, used, f, depth + 1) for item in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(body, list) and all(
                isinstance(item, list) and len(item) == 2 and type(item[0]) in (str, int)
                for item in body):
            return {key: _decode(item, tensors, used, f, depth + 1) for key, item in body}
    raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its {_TREE!r} "
                       f"entry holds {node!r:.80}")


class _Refusal(RuntimeError):
    """A file load refuses, with the message it gives the user."""


def _saved_dtype(dtype: np.dtype) -> bool:
    """Whether arrays of `dtype` are tensors graphc has (bool, ints, floats of its dtypes)."""
    try:
        as_dtype(dtype.newbyteorder("="))  # (a file may hold either byte order)
    except (TypeError, ValueError):
        return False
    return dtype.kind in "biuf"


def _text_check(name: str, longest: int) -> Any:
    """A header check for a member that must be one text of at most `longest` characters."""
    def check(dtype: np.dtype, shape: tuple[int, ...]) -> None:
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * longest:
            raise _Refusal(f"its {name!r} entry is not a text (a {dtype} array of shape "
                           f"{shape})")
    return check


def _numbers_check(f: Any, key: str) -> Any:
    def check(dtype: np.dtype, shape: tuple[int, ...]) -> None:
        if not _saved_dtype(dtype):
            raise _Refusal(f"load: the entry {key!r} of {f!r} holds {dtype} data, not a "
                           "tensor's numbers")
    return check


def _read(f: Any) -> tuple[str, str | None, OrderedDict[str, np.ndarray]]:
    """The kind, the tree's JSON text (or None) and the arrays by key of the .npz archive
    `f`, each member's header checked before its data is read (files.read_member: never
    more than the header says, never unpickled)."""
    with npz_members(f, deflated=False) as (archive, members):
        if _KIND not in members:
            raise _Refusal(f"load: {f!r} is a numpy file, but not one graphc.eager.save "
                           f"wrote ({_NO_PICKLE})")
        kind = str(read_member(archive, members.pop(_KIND), _text_check(_KIND, 16)))
        text = None
        if kind == "tree" and _TREE in members:
            text = str(read_member(archive, members.pop(_TREE), _text_check(_TREE, _LONGEST)))
        arrays = OrderedDict((key, read_member(archive, info, _numbers_check(f, key)))
                             for key, info in members.items())
    return kind, text, arrays


def load(f: Any, map_location: Any = None, weights_only: Any = None) -> Any:
    """What save wrote to `f`: a tensor, an OrderedDict of str -> tensor, or the nested
    dicts, lists and tuples saved (tensors as tensors); on `map_location` ('cpu' or 'cuda')
    when given."""
    if isinstance(f, str | os.PathLike) and not os.path.exists(f):
        raise FileNotFoundError(f"load: no such file: {f!r}")
    if not isinstance(f, str | os.PathLike) and not all(
            callable(getattr(f, name, None)) for name in ("read", "seek", "tell")):
        raise TypeError(f"load: {f!r} is neither a path nor a binary file object with read, "
                        "seek and tell")
    try:
        if not isinstance(f, str | os.PathLike) and not getattr(f, "seekable", lambda: True)():
            raise _Refusal(f"load: {f!r} cannot seek; an .npz archive is read from its end "
                           "(its directory) first: read the stream into io.BytesIO")
        kind, text, arrays = _read(f)
    except _Refusal as err:
        message = str(err)
        raise RuntimeError(message if message.startswith("load: ") else
                           f"load: {f!r} is not a file graphc.eager.save wrote: {message}"
                           ) from None
    except ValueError as err:
        if "single .npy array" in str(err):
            raise RuntimeError(f"load: {f!r} is a numpy file, but not one graphc.eager.save "
                               f"wrote ({_NO_PICKLE})") from None
        raise RuntimeError(f"load: {f!r} is damaged or not a file graphc.eager.save wrote: "
                           f"{reason(err)} ({_NO_PICKLE})") from None
    except READ_ERRORS + (KeyError, MemoryError) as err:
        raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: "
                           f"{reason(err)} ({_NO_PICKLE})") from None
    names = list(arrays)
    is_tree = text is not None and names == [str(i) for i in range(len(names))]
    if not ((kind == "dict") or (kind == "tensor" and names == [_TENSOR]) or
            (kind == "tree" and is_tree)):
        raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                           f"{_KIND!r} entry is {kind!r:.80} with the entries {names}; it must "
                           "be 'dict', or 'tensor' with the one entry 'tensor', or 'tree' with "
                           f"the entry {_TREE!r} and entries '0', '1', ...")
    structure = None
    if text is not None:
        try:
            structure = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                               f"{_TREE!r} entry is not JSON: {err}") from None
    values = OrderedDict()
    for key, array in arrays.items():
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        values[key] = Tensor(np.array(array))  # (read_member's arrays are read-only)
    if map_location is not None:
        values = OrderedDict((k, v.to(map_location)) for k, v in values.items())
    if kind == "tree":
        used: set[int] = set()
        tree = _decode(structure, [values[str(i)] for i in range(len(values))], used, f)
        if len(used) != len(values):
            raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                               f"{_TREE!r} entry uses {len(used)} of its {len(values)} "
                               "tensors")
        return tree
    return values[_TENSOR] if kind == "tensor" else values
