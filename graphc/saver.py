"""Checkpoints: variable values saved to, and restored from, a plain .npz file.

Format (graphc-checkpoint-v2): a numpy .npz archive (a zip of uncompressed .npy files), so
`numpy.load(path)` reads it without graphc:

- "__graphc_checkpoint__.npy": a 0-d string array, "graphc-checkpoint-v2";
- "<name>.npy" for each variable, its value, under its checkpoint name ("w1",
  "layer1/w"). A name follows TensorFlow's rule [A-Za-z0-9.][A-Za-z0-9_.\\-/]*, so no
  name is the marker's (which starts with "_"); a path component that is only dots ("..",
  ".") is written with each dot as "%2E" ("%2E%2E/w" for "../w"), so no member climbs out
  of a folder the archive is unpacked into ("%" is in no name, so this is never ambiguous).

graphc reads a checkpoint as data only: it reads the archive's directory, refuses a member
that is not the marker or a variable, inflates only the members of the variables it
restores, only after their headers show the expected dtype and shape and their sizes fit
them, and never unpickles. Version 1 files (the same, without the "%2E" rule) still read.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from graphc import shapes
from graphc.checkpoint_state import STATE_FILE, write_checkpoint_state
from graphc.files import (CHECKPOINT_MARKER, READ_ERRORS, Refused, check_replaceable, kind_of,
                          npz_members, read_marker, read_member, reason, write_atomically,
                          write_npz)
from graphc.graph import Graph, Tensor, TensorType, get_default_graph
from graphc.serialize import arrays_path, export_graph, import_graph_into
from graphc.site import user_stacklevel
from graphc.session import Session
from graphc.variables import Variable, global_variables

MARKER = CHECKPOINT_MARKER
FORMAT = "graphc-checkpoint-v2"
_READABLE = ("graphc-checkpoint-v1", FORMAT)
NAME_RULE = r"[A-Za-z0-9.][A-Za-z0-9_.\-/]*"
_NAME = re.compile(NAME_RULE)
_DOTS = re.compile(r"\.+")


class Saver:
    """Saves and restores the values of a set of Variables (all of the default graph's by
    default, taken when the Saver is made), each under its node name or, given a mapping,
    under its key there.

    As TensorFlow 1's Saver, save() with a global_step writes `<path>-<step>`, records the
    checkpoint in a "checkpoint" file beside it (latest_checkpoint reads it) and keeps the
    last `max_to_keep` checkpoints it wrote (None or 0: all), deleting older ones, except
    that one checkpoint per `keep_checkpoint_every_n_hours` is kept for good."""

    def __init__(self, var_list: Iterable[Variable] | Mapping[str, Variable] | None = None,
                 reshape: bool = False, sharded: bool = False, max_to_keep: int | None = 5,
                 keep_checkpoint_every_n_hours: float = 10000.0, name: str | None = None,
                 restore_sequentially: bool = False, saver_def: object = None,
                 builder: object = None, defer_build: bool = False, allow_empty: bool = False,
                 write_version: object = None, pad_step_number: bool = False,
                 save_relative_paths: bool = False, filename: str | None = None):
        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, Mapping):
            self.variables = dict(var_list)
        else:
            self.variables = {v.node.name: v for v in var_list}
        if not self.variables:
            raise ValueError("Saver: there are no variables to save")
        for name_ in self.variables:
            if not isinstance(name_, str) or not _NAME.fullmatch(name_):
                raise ValueError(f"Saver: a variable cannot be saved under the name {name_!r}: "
                                 f"checkpoint names match {NAME_RULE} (TensorFlow's rule); "
                                 "give another, as in Saver({'w': variable})")
        for label, value in (("reshape", reshape), ("sharded", sharded)):
            if value:
                raise NotImplementedError(f"Saver: {label}=True is not supported")
        self.max_to_keep = max_to_keep
        self.pad_step_number = pad_step_number
        self.save_relative_paths = save_relative_paths
        self.last_checkpoints: list[str] = []  # the kept checkpoints this Saver wrote, oldest first
        self._saved_at: dict[str, float] = {}  # when each of them was written
        self._meta_of: dict[str, str] = {}  # the meta graph written with each of them
        self._keep_every_s = keep_checkpoint_every_n_hours * 3600
        self._next_kept_for_good = time.time() + self._keep_every_s

    def save(self, sess: Session, save_path: str | os.PathLike[str],
             global_step: int | Tensor | None = None, latest_filename: str | None = None,
             meta_graph_suffix: str = "meta", write_meta_graph: bool = True,
             write_state: bool = True, strip_default_attrs: bool = False,
             save_debug_info: bool = False) -> str:
        """Write the variables' current values to `save_path` (with a global_step, an int or
        a tensor run in `sess`, to `<save_path>-<step>`) atomically; returns that path. With
        `write_state`, record it in the "checkpoint" file (or `latest_filename`) of its
        folder, with the other checkpoints kept. With `write_meta_graph`, the session's graph
        is written too, as TensorFlow's meta graph: to `<path>.meta` (`meta_graph_suffix`),
        a graphc graph file (gc.export_graph's JSON, its arrays in `<path>.graph.npz`) with
        the graph's collections and this Saver's names, which import_meta_graph reads. A
        graph file (or a graph's arrays file) at the path is not replaced: that raises
        ValueError."""
        path = os.fspath(save_path)
        if latest_filename is not None and os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        if not os.path.isdir(os.path.dirname(path) or "."):
            raise ValueError(f"Parent directory of {path} doesn't exist, can't save.")
        if global_step is not None:
            step = global_step if isinstance(global_step, int | np.integer) \
                else sess.run(global_step)
            path = f"{path}-{int(step):08d}" if self.pad_step_number else f"{path}-{int(step)}"
        state_file = latest_filename or STATE_FILE
        if write_state and os.path.basename(path) == state_file:
            raise ValueError(f"Saver.save: {path} is the folder's checkpoint state file "
                             f"('{state_file}'), which records the checkpoints; save the "
                             "checkpoint under another name")
        meta = f"{path}.{meta_graph_suffix}" if write_meta_graph else None
        self._write_files(sess, path, write_state, latest_filename, meta)
        return path

    def export_meta_graph(self, filename: str | os.PathLike[str], collection_list: object = None,
                          as_text: bool = False, export_scope: str | None = None,
                          clear_devices: bool = False, clear_extraneous_savers: bool = False,
                          strip_default_attrs: bool = False, save_debug_info: bool = False,
                          graph: Graph | None = None) -> str:
        """Write the (default) graph, its collections and this Saver's names to `filename`,
        as save() writes `<checkpoint>.meta`; returns the path."""
        return export_meta_graph(filename, graph=graph, collection_list=collection_list,
                                 export_scope=export_scope, saver=self)

    def _write_files(self, sess: Session, path: str, write_state: bool,
                     latest_filename: str | None, meta: str | None = None) -> None:
        """Write the checkpoint at `path` (and the meta graph at `meta`) and, with
        `write_state`, record it."""
        check_replaceable(path, "checkpoint", "Saver.save")
        values = sess.variable_values([v.node for v in self.variables.values()])
        if meta is not None:
            try:
                export_graph(sess.graph, meta, collections=True, saver=self.variables)
            except (TypeError, ValueError) as err:  # (an attribute no graph file holds,
                # a file there that is no graph file: the checkpoint is what the user asked
                # for, the meta graph an extra)
                warnings.warn(f"Saver.save: the meta graph {meta} was not written: {err}",
                              stacklevel=user_stacklevel())
            else:
                self._meta_of[path] = meta
        arrays = {MARKER: np.array(FORMAT)}
        arrays.update({member_key(name): values[v.node] for name, v in self.variables.items()})
        write_atomically(path, lambda f: write_npz(f, arrays))
        if write_state:
            self._remember(path, latest_filename)

    def _remember(self, path: str, latest_filename: str | None) -> None:
        """Add `path` to the kept checkpoints, delete the oldest beyond max_to_keep, and
        write the folder's checkpoint state file."""
        if path in self.last_checkpoints:
            self.last_checkpoints.remove(path)
        self.last_checkpoints.append(path)
        self._saved_at[path] = time.time()
        while self.max_to_keep and len(self.last_checkpoints) > self.max_to_keep:
            oldest = self.last_checkpoints.pop(0)
            if self._saved_at.pop(oldest) > self._next_kept_for_good:
                # kept for good, as TensorFlow keeps one every keep_checkpoint_every_n_hours
                self._next_kept_for_good += self._keep_every_s
            elif kind_of(oldest) == "checkpoint":
                os.remove(oldest)
                meta = self._meta_of.pop(oldest, None)
                # its meta graph goes with it, as TensorFlow's does
                for file, kind in ((meta, "graph"), (meta and arrays_path(meta), "graph arrays")):
                    if file is not None and kind_of(file) == kind:
                        os.remove(file)
        save_dir = os.path.dirname(path)
        kept = [p for p in self.last_checkpoints if os.path.dirname(p) == save_dir]
        write_checkpoint_state(save_dir, path, kept, latest_filename, self.save_relative_paths)

    def restore(self, sess: Session, save_path: str | os.PathLike[str] | None) -> None:
        """Set the variables from `save_path`, all or none: everything is read and checked
        first, and on any problem this raises ValueError naming the file (FileNotFoundError
        if there is none) and no variable changes. Values of other variables in the file
        are ignored (never inflated)."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        arrays = read_checkpoint(save_path,
                                 {name: v.type for name, v in self.variables.items()})
        sess.load_variables({self.variables[name].node: value
                             for name, value in arrays.items()})


def member_key(name: str) -> str:
    """The archive key (member name less ".npy") of the variable saved as `name`."""
    *folders, last = name.split("/")
    return "/".join([*("%2E" * len(f) if _DOTS.fullmatch(f) else f for f in folders), last])


def _variable_name(key: str) -> str | None:
    """The variable name a member key stands for; None if no legal name is saved as it."""
    name = "/".join("." * (len(part) // 3) if part and part == "%2E" * (len(part) // 3)
                    else part for part in key.split("/"))
    return name if _NAME.fullmatch(name) and member_key(name) == key else None


def read_checkpoint(path: str | os.PathLike[str], wanted: Mapping[str, TensorType]
                    ) -> dict[str, np.ndarray]:
    """The values of the `wanted` variables (name -> expected type) in the checkpoint at
    `path`; a ValueError naming the file for anything else."""
    if not Path(path).exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        with npz_members(path) as (archive, members):
            if MARKER not in members:
                raise Refused(f"{path} is not a graphc checkpoint (it has no {MARKER} entry)")
            marker = read_marker(archive, members.pop(MARKER))
            if marker not in _READABLE:
                raise Refused(f"{path} is not a graphc checkpoint that this graphc reads (its "
                              f"{MARKER} entry is {marker!r}, not {FORMAT!r})")
            saved = {}
            for key, info in members.items():
                name = _variable_name(key)
                if name is None:
                    raise Refused(f"checkpoint {path}: its member {info.filename!r} is not "
                                  "a variable (no legal variable name is saved as it)")
                saved[name] = info
            values = {}
            for name, expected in wanted.items():
                if name not in saved:
                    raise Refused(f"checkpoint {path} has no value for variable '{name}' "
                                  f"(it holds: {', '.join(sorted(saved)) or 'nothing'})")
                values[name] = read_member(archive, saved[name],
                                           _variable_header(path, name, expected))
            return values
    except Refused:
        raise
    except READ_ERRORS as err:
        raise Refused(f"cannot read checkpoint {path}: {reason(err)}") from None


def _variable_header(path: object, name: str, expected: TensorType
                     ) -> Callable[[np.dtype, tuple[int, ...]], None]:
    def check(dtype: np.dtype, shape: tuple[int, ...]) -> None:
        if dtype != expected.dtype.np or not shapes.matches(expected.shape, shape):
            raise Refused(f"checkpoint {path}: variable '{name}' is {expected.dtype.name}"
                          f"{shapes.fmt(expected.shape)} but the file holds "
                          f"{dtype}{shapes.fmt(shape)}")
    return check


def export_meta_graph(filename: str | os.PathLike[str] | None = None, meta_info_def: object = None,
                      graph_def: object = None, saver_def: object = None,
                      collection_list: object = None, as_text: bool = False,
                      graph: Graph | None = None, export_scope: str | None = None,
                      clear_devices: bool = False, clear_extraneous_savers: bool = False,
                      strip_default_attrs: bool = False, save_debug_info: bool = False,
                      saver: Saver | None = None, **kwargs: object) -> str:
    """TensorFlow 1's tf.train.export_meta_graph: write the (default) graph with its
    collections (those whose items are all its tensors, ops and Variables) to `filename`, a
    graphc graph file (gc.export_graph's JSON, its arrays beside it in `<name>.graph.npz`),
    with the names `saver` saves the variables under; returns the path. collection_list,
    export_scope and graph_def are not supported."""
    for label, value in (("collection_list", collection_list), ("export_scope", export_scope),
                         ("graph_def", graph_def), ("saver_def", saver_def)):
        if value is not None:
            raise NotImplementedError(f"export_meta_graph: {label} is not supported")
    if filename is None:
        raise NotImplementedError("export_meta_graph: give a filename (graphc returns no "
                                  "MetaGraphDef)")
    graph = graph or get_default_graph()
    return export_graph(graph, filename, collections=True,
                        saver=None if saver is None else saver.variables)


def import_meta_graph(meta_graph_or_file: str | os.PathLike[str], clear_devices: bool = False,
                      import_scope: str | None = None, **kwargs: object) -> Saver | None:
    """TensorFlow 1's tf.train.import_meta_graph: add the graph of a meta graph file (what
    Saver.save writes to `<checkpoint>.meta`, or export_meta_graph) to the default graph,
    with its collections, and return a Saver of its variables, under the names the saving
    Saver gave them, so that `saver.restore(sess, checkpoint)` sets them; None if it has
    no variables. Then `graph.get_tensor_by_name("x:0")` and
    `tf.get_collection("train_op")` find what the program that saved it built. The file is
    read as data, with every check gc.import_graph makes; nothing changes on any problem
    (a ValueError naming the file, or naming the nodes the default graph already has of the
    file's names). clear_devices is accepted (graphc records no devices); import_scope is
    not supported."""
    if import_scope:
        raise NotImplementedError("import_meta_graph: import_scope is not supported")
    if not isinstance(meta_graph_or_file, str | os.PathLike):
        raise TypeError("import_meta_graph: give the path of a meta graph file (graphc reads "
                        f"no MetaGraphDef objects), not {type(meta_graph_or_file).__name__}")
    variables, names = import_graph_into(meta_graph_or_file, get_default_graph())
    if names is not None:
        return Saver(names) if names else None
    return Saver(variables) if variables else None
