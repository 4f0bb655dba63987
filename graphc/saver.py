"""Checkpoints: variable values saved to, and restored from, a plain .npz file.

Format: a numpy .npz archive (a zip of .npy files) holding one array per variable, keyed by
the variable's node name ("w1", "layer1/w"), plus "__graphc_checkpoint__", a string array
holding the format version. `numpy.load(path)` reads it without graphc; graphc reads it with
pickling disabled, so loading a checkpoint never runs code.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from graphc import shapes
from graphc.files import write_atomically
from graphc.session import Session
from graphc.variables import Variable, global_variables

MARKER = "__graphc_checkpoint__"
FORMAT = "graphc-checkpoint-v1"


class Saver:
    """Saves and restores the values of a set of Variables (all of the default graph's by
    default, taken when the Saver is made)."""

    def __init__(self, var_list: Iterable[Variable] | Mapping[str, Variable] | None = None):
        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, Mapping):
            self.variables = dict(var_list)
        else:
            self.variables = {v.node.name: v for v in var_list}
        if not self.variables:
            raise ValueError("Saver: there are no variables to save")

    def save(self, sess: Session, path: str | os.PathLike[str]) -> str:
        """Write the variables' current values to `path` atomically; returns the path."""
        values = sess.variable_values([v.node for v in self.variables.values()])
        arrays = {name: values[v.node] for name, v in self.variables.items()}
        arrays[MARKER] = np.array(FORMAT)
        return str(write_atomically(path, lambda f: np.savez(f, **arrays)))  # type: ignore[arg-type]

    def restore(self, sess: Session, path: str | os.PathLike[str]) -> None:
        """Set the variables from `path`; on any problem raise and change nothing."""
        arrays = read_checkpoint(path)
        values = {}
        for name, var in self.variables.items():
            if name not in arrays:
                raise ValueError(f"checkpoint {path} has no value for variable '{name}' "
                                 f"(it holds: {', '.join(sorted(arrays)) or 'nothing'})")
            value, expected = arrays[name], var.type
            if value.dtype != expected.dtype.np or not shapes.matches(expected.shape,
                                                                      value.shape):
                raise ValueError(f"checkpoint {path}: variable '{name}' is "
                                 f"{expected.dtype.name}{shapes.fmt(expected.shape)} but the "
                                 f"file holds {value.dtype}{shapes.fmt(value.shape)}")
            values[var.node] = value
        sess.load_variables(values)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of a graphc checkpoint, by name; a clear error for anything else."""
    if not Path(path).exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("it is a single .npy array, not an .npz archive")
            arrays: dict[str, Any] = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"cannot read checkpoint {path}: {err}") from None
    marker = arrays.pop(MARKER, None)
    if marker is None or str(marker) != FORMAT:
        raise ValueError(f"{path} is not a graphc checkpoint (its {MARKER} entry is "
                         f"{'missing' if marker is None else repr(str(marker))})")
    return arrays
