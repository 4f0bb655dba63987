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

from graphc.eager.tensor import Tensor
from graphc.runtime.arrays import host

_KIND = "__graphc_eager__"  # the entry naming what the file holds: "tensor", "dict", "tree"
_TREE = "__graphc_tree__"  # a "tree" file's structure, as JSON text
_TENSOR = "tensor"
_DEPTH = 100  # the deepest nesting of containers a tree file may have
_NO_PICKLE = ("graphc reads the .npz files it writes and never unpickles, so a file that "
              "PyTorch's torch.save wrote cannot be read")
_WHAT = ("graphc saves a tensor, a dict of str -> tensor (a state_dict), or dicts (str or int "
         "keys), lists and tuples of tensors, numbers, strings and None, as .npz, never "
         "pickled")


def _is_array(value: Any) -> bool:
    return isinstance(value, Tensor) or (isinstance(value, np.ndarray) and
                                         value.dtype.kind in "biuf")


def _array(value: Any, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return np.asarray(host(value.array))
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    raise TypeError(f"save: {where} is a {type(value).__name__}; {_WHAT}")


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


def load(f: Any, map_location: Any = None, weights_only: Any = None) -> Any:
    """What save wrote to `f`: a tensor, an OrderedDict of str -> tensor, or the nested
    dicts, lists and tuples saved (tensors as tensors); on `map_location` ('cpu' or 'cuda')
    when given."""
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
    is_tree = _TREE in arrays and sorted(names) == sorted(
        [_TREE, *map(str, range(len(names) - 1))])
    if not (isinstance(kind, np.ndarray) and kind.shape == () and kind.dtype.kind == "U" and
            (str(kind) == "dict" or (str(kind) == "tensor" and names == [_TENSOR]) or
             (str(kind) == "tree" and is_tree))):
        raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                           f"{_KIND!r} entry is {kind!r:.80} with the entries {names}; it must "
                           "be 'dict', or 'tensor' with the one entry 'tensor', or 'tree' with "
                           f"the entry {_TREE!r} and entries '0', '1', ...")
    structure = None
    if str(kind) == "tree":
        text = arrays.pop(_TREE)
        if not (isinstance(text, np.ndarray) and text.shape == () and text.dtype.kind == "U"):
            raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                               f"{_TREE!r} entry is not a text")
        try:
            structure = json.loads(str(text))
        except (ValueError, RecursionError) as err:
            raise RuntimeError(f"load: {f!r} is not a file graphc.eager.save wrote: its "
                               f"{_TREE!r} entry is not JSON: {err}") from None
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
    if str(kind) == "tree":
        return _decode(structure, [values[str(i)] for i in range(len(values))], set(), f)
    return values[_TENSOR] if kind == "tensor" else values
