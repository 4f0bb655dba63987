"""Writing files so that readers never see half of one, telling graphc's files apart, and
reading .npz archives that may be damaged or crafted without ever inflating more than the
reader asked for."""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import tempfile
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO

import numpy as np

# The member that marks an .npz archive as one of graphc's, by kind of file.
CHECKPOINT_MARKER = "__graphc_checkpoint__"
GRAPH_ARRAYS_MARKER = "__graphc_graph__"
_KINDS = {"checkpoint": "checkpoint", "graph": "graph file",
          "graph arrays": "graph's arrays file"}
_GRAPH_JSON = re.compile(rb'\{\s*"format":\s*"graphc-graph-')

# What reading a damaged archive can raise inside zipfile, zlib and numpy's .npy reader;
# readers turn these into one ValueError that names the file.
READ_ERRORS: tuple[type[Exception], ...] = (
    ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
    RuntimeError, struct.error, OverflowError, SyntaxError, tokenize.TokenError)
MAX_HEADER = 10_000  # bytes of a member's .npy header (numpy's own limit)


class Refused(ValueError):
    """A file refused by a reader or writer; its message names the file."""


def write_atomically(target: str | os.PathLike[str], write: Callable[[IO[bytes]], object]
                     ) -> Path:
    """Call write(f) on a temporary file beside `target`, flush it to disk, then rename it
    over `target`: readers see the old file or the new one. On failure nothing is left."""
    target = Path(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


# -- kinds of file ---------------------------------------------------------------------------
def kind_of(path: str | os.PathLike[str]) -> str | None:
    """Which of graphc's files `path` is: "checkpoint", "graph" (a graph's JSON) or
    "graph arrays" (its .graph.npz); None for anything else, or no file."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if _GRAPH_JSON.match(head):
                return "graph"
            if not head.startswith(b"PK"):
                return None
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                names = set(archive.namelist())
    except READ_ERRORS:
        return None
    if f"{CHECKPOINT_MARKER}.npy" in names:
        return "checkpoint"
    if f"{GRAPH_ARRAYS_MARKER}.npy" in names:
        return "graph arrays"
    return None


def check_replaceable(path: str | os.PathLike[str], kind: str, writer: str) -> None:
    """Refuse to let `writer`, which writes a file of `kind`, replace another kind of graphc
    file (a checkpoint with a graph, or a graph with a checkpoint)."""
    found = kind_of(path)
    if found is not None and found != kind:
        raise Refused(f"{writer}: {path} is a graphc {_KINDS[found]}; refusing to replace it "
                      f"with a {_KINDS[kind]} (choose another name, or delete it first)")


# -- .npz archives ---------------------------------------------------------------------------
def write_npz(f: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """An .npz archive (uncompressed) holding arrays[key] as member "key.npy", in order; like
    numpy.savez, but any key is taken as it is (numpy.savez would take "file" or
    "allow_pickle" as its own arguments)."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


@contextlib.contextmanager
def npz_members(path: str | os.PathLike[str] | IO[bytes], deflated: bool = True
                ) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]]:
    """Open `path` (or a binary file object, from where it stands) as an .npz archive:
    yields it and its members by key ("w" for "w.npy"), having read only its directory. A
    file that is not one raises ValueError (or one of READ_ERRORS) with a message that does
    not name it. Members are stored or (if `deflated`) deflated; nothing else (no
    encryption, no other compression) is read."""
    methods = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) if deflated else (zipfile.ZIP_STORED,)
    with contextlib.ExitStack() as stack:
        f = stack.enter_context(open(path, "rb")) if isinstance(path, str | os.PathLike) \
            else path
        start = f.tell()
        if f.read(6) == b"\x93NUMPY":
            raise ValueError("it is a single .npy array, not an .npz archive")
        size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        with zipfile.ZipFile(f) as archive:
            members: dict[str, zipfile.ZipInfo] = {}
            # members whose data overlap (each local header inside the one before) would
            # read the same bytes many times over: together they hold at most the file
            if sum(info.compress_size for info in archive.infolist()) > size:
                raise ValueError("its members together claim more bytes than the file holds")
            for info in archive.infolist():
                name = info.filename
                if not name.endswith(".npy") or info.is_dir():
                    raise ValueError(f"its member {name!r} is not an array (.npy)")
                if info.flag_bits & 0x1:
                    raise ValueError(f"its member {name!r} is encrypted")
                if info.compress_type not in methods:
                    raise ValueError(f"its member {name!r} is compressed (method "
                                     f"{info.compress_type}), which is not read")
                if info.compress_type == zipfile.ZIP_STORED and \
                        info.compress_size != info.file_size:
                    raise ValueError(f"its member {name!r} has two different sizes")
                if name[:-4] in members:
                    raise ValueError(f"its member {name!r} appears twice")
                members[name[:-4]] = info
            yield archive, members


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                check: Callable[[np.dtype, tuple[int, ...]], None]) -> np.ndarray:
    """The array in one member, C-ordered and read-only. `check(dtype, shape)` sees its
    header first and raises to refuse it; only then, and only if the member's size is
    exactly the header's plus dtype.itemsize * prod(shape), is the data inflated (so never
    more than the caller accepted), and the member's CRC checked. Pickled (object) arrays
    are refused. Raises ValueError (or one of READ_ERRORS) without naming the file."""
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(stream, max_header_size=MAX_HEADER)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(stream, max_header_size=MAX_HEADER)
        else:
            raise ValueError(f"its member {info.filename!r} is a .npy file of version "
                             f"{version[0]}.{version[1]}, which is not read")
        shape, fortran_order, dtype = header
        if dtype.hasobject:
            raise ValueError(f"its member {info.filename!r} holds Python objects, which "
                             "would need unpickling (never done)")
        check(dtype, shape)
        nbytes = dtype.itemsize * math.prod(shape)
        if info.file_size != stream.tell() + nbytes:
            raise ValueError(f"its member {info.filename!r} holds "
                             f"{info.file_size - stream.tell()} bytes of data, but a "
                             f"{dtype}{shape} array takes {nbytes}")
        data = stream.read(nbytes)
        if len(data) != nbytes or stream.read(1):  # (reading to the end checks the CRC)
            raise ValueError(f"its member {info.filename!r} is truncated")
    if dtype == np.bool_ and nbytes and np.frombuffer(data, np.uint8).max() > 1:
        raise ValueError(f"its member {info.filename!r} holds bools other than 0 and 1")
    array = np.frombuffer(data, dtype).reshape(shape, order="F" if fortran_order else "C")
    if not array.flags.c_contiguous:
        array = np.array(array, order="C")
        array.setflags(write=False)
    return array


def read_marker(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The version string a marker member holds (a 0-d string array of at most 64
    characters); raises ValueError for anything else."""
    def check(dtype: np.dtype, shape: tuple[int, ...]) -> None:
        if dtype.kind != "U" or dtype.itemsize > 256 or shape != ():
            raise ValueError(f"its member {info.filename!r} is a {dtype} array of shape "
                             f"{shape}, not a version string")
    return str(read_member(archive, info, check))


def reason(err: BaseException) -> str:
    """An exception's message, or its type's name where it has none."""
    return str(err) or type(err).__name__
