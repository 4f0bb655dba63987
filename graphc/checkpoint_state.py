"""The "checkpoint" file TensorFlow 1 keeps beside its checkpoints: which one is the latest,
and which are kept (a CheckpointState protobuf in text form), read by latest_checkpoint.

    model_checkpoint_path: "model.ckpt-200"
    all_model_checkpoint_paths: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-200"

Paths are written as TensorFlow writes them: relative to the folder when the folder is given
as a relative path (or when the Saver saves relative paths), else as they are; read back,
a relative one is joined to the folder.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field

from graphc.files import kind_of, write_atomically

__all__ = ["CheckpointState", "checkpoint_exists", "get_checkpoint_state", "latest_checkpoint"]

STATE_FILE = "checkpoint"
_LINE = re.compile(r'\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"(.*)"\s*')
_OTHER = re.compile(r"\s*(all_model_checkpoint_timestamps|last_preserved_timestamp)\s*:.*")


@dataclass
class CheckpointState:
    """The latest checkpoint's path and the paths of all the kept ones, oldest first."""

    model_checkpoint_path: str = ""
    all_model_checkpoint_paths: list[str] = field(default_factory=list)


def _quote(text: str) -> str:
    """text as a protobuf text-format string literal: C escapes, other bytes in octal."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _unquote(literal: str, path: str) -> str:
    try:
        return codecs.escape_decode(literal.encode("ascii"))[0].decode("utf-8")
    except (UnicodeError, ValueError) as err:
        raise ValueError(f"checkpoint state file {path}: cannot read the string "
                         f'"{literal}": {err}') from None


def write_checkpoint_state(save_dir: str, latest: str, kept: list[str],
                           latest_filename: str | None = None,
                           relative: bool = False) -> str:
    """Write the state file of `save_dir` ("checkpoint", or `latest_filename`) naming
    `latest` and `kept` (oldest first, `latest` last); returns its path."""
    folder = save_dir or "."
    paths = [p for p in kept if p != latest] + [latest]

    def written(p: str) -> str:
        if (relative and os.path.isabs(p)) or not (os.path.isabs(folder) or os.path.isabs(p)):
            return os.path.relpath(p, folder)
        return p
    lines = [f"model_checkpoint_path: {_quote(written(latest))}"]
    lines += [f"all_model_checkpoint_paths: {_quote(written(p))}" for p in paths]
    text = "\n".join(lines) + "\n"
    target = os.path.join(folder, latest_filename or STATE_FILE)
    found = kind_of(target)
    if found is not None:
        raise ValueError(f"cannot write the checkpoint state file {target}: it is a graphc "
                         f"{found} file, which would be lost (move it, or give the Saver "
                         "another latest_filename)")
    write_atomically(target, lambda f: f.write(text.encode("ascii")))
    return target


def get_checkpoint_state(checkpoint_dir: str | os.PathLike[str],
                         latest_filename: str | None = None) -> CheckpointState | None:
    """The CheckpointState in `checkpoint_dir`'s state file ("checkpoint", or
    `latest_filename`), its relative paths joined to the folder; None if there is no such
    file. A file that is not one raises ValueError naming it."""
    folder = os.fspath(checkpoint_dir)
    path = os.path.join(folder, latest_filename or STATE_FILE)
    if not os.path.isfile(path):
        return None
    state = CheckpointState()
    with open(path, encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or _OTHER.fullmatch(line):
                continue
            match = _LINE.fullmatch(line)
            if match is None:
                raise ValueError(f"checkpoint state file {path}, line {number}: expected "
                                 'model_checkpoint_path: "..." or all_model_checkpoint_paths: '
                                 f'"...", got {line.strip()!r}')
            value = os.path.join(folder, _unquote(match.group(2), path))
            if match.group(1) == "model_checkpoint_path":
                state.model_checkpoint_path = value
            else:
                state.all_model_checkpoint_paths.append(value)
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {folder}: {path} names no "
                         "model_checkpoint_path")
    return state


def checkpoint_exists(checkpoint_prefix: str | os.PathLike[str]) -> bool:
    """Whether a graphc checkpoint is at `checkpoint_prefix`."""
    return kind_of(checkpoint_prefix) == "checkpoint"


def latest_checkpoint(checkpoint_dir: str | os.PathLike[str],
                      latest_filename: str | None = None) -> str | None:
    """The path of the latest checkpoint recorded in `checkpoint_dir` (by Saver.save), for
    Saver.restore; None if there is no state file or its checkpoint is gone."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path
