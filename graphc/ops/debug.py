"""Debugging ops: check_numerics stops a run at the first NaN or infinity; Print and print
write values while a run computes them."""

from __future__ import annotations

import itertools
import sys
from typing import Any

import numpy as np

from graphc.errors import InvalidArgumentError
from graphc.graph import get_default_graph
from graphc.ops.core import apply, constant_node, convert_to_tensor, is_eager
from graphc.registry import OpDef, register


def not_finite(message: str, bad: int, size: int) -> str:
    """What a failed check says (every backend's words)."""
    return f"{message}: {bad} of {size} values are NaN or infinite"


def _check(x: np.ndarray, message: str) -> np.ndarray:
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise InvalidArgumentError(not_finite(message, int(np.count_nonzero(~np.isfinite(x))),
                                              x.size))
    return x


# forward y = x, raising if x holds a NaN or an infinity; backward dy passes through
CHECK_NUMERICS = register(OpDef("check_numerics", lambda types, attrs: types[0], _check,
                                lambda op, g: (g,), elementwise=True, view=True,
                                check=True))


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Any:
    """`tensor`, unchanged; a run (or eager call) fails with `message` if it holds NaN/Inf."""
    return apply(CHECK_NUMERICS, tensor, name=name, message=str(message))


# -- Print and print: a host op that writes its data when it runs ------------------------------
_KEYS = itertools.count()
_RUNS: dict[int, int] = {}  # print node's key -> how many runs printed (for first_n)
_STREAMS = {"stderr", "stdout"}


def _element(value: Any) -> str:
    """One element as TensorFlow's kernels write it (C's %g with enough digits to read back:
    6, else 9 for float32; 15, else 17 for float64; booleans as 1 and 0)."""
    if isinstance(value, np.floating):
        short, full = (6, 9) if value.dtype.itemsize <= 4 else (15, 17)
        text = f"{float(value):.{short}g}"
        if np.isfinite(value) and value.dtype.type(text) != value:
            text = f"{float(value):.{full}g}"
        return text
    if isinstance(value, np.bool_ | bool):
        return "1" if value else "0"
    return str(value.item() if isinstance(value, np.generic) else value)


def _summarize_v1(x: np.ndarray, summarize: int) -> str:
    """tf.Print's text of a tensor: its first `summarize` elements in row-major order, nested
    by dims, with '...' where it stops (TensorFlow 1's Tensor::SummarizeValue)."""
    flat = x.reshape(-1)
    limit = flat.size if summarize < 0 else min(summarize, flat.size)
    if x.ndim == 0:
        return "".join(_element(v) for v in flat[:limit])
    out: list[str] = []
    index = 0

    def dim(d: int) -> None:
        nonlocal index
        if index >= limit:
            return
        if d == x.ndim - 1:
            for i in range(x.shape[d]):
                if index >= limit:
                    if d != 0:
                        out.append("...")
                    return
                if i > 0:
                    out.append(" ")
                out.append(_element(flat[index]))
                index += 1
            return
        for _ in range(x.shape[d]):
            opened = index < limit
            if opened:
                out.append("[")
            dim(d + 1)
            if opened:
                out.append("]")

    dim(0)
    if flat.size > limit:
        out.append("...")
    return "".join(out)


def _summarize_v2(x: np.ndarray, summarize: int) -> str:
    """tf.print's text of a tensor: the first and last `summarize` entries of each dim, as
    numpy lays them out (rows on lines of their own), '...' between."""
    if x.ndim == 0:
        return _element(x[()])
    if x.size == 0:
        return "[]"
    ends = x.size if summarize < 0 else min(summarize, x.size)

    def dim(d: int, at: tuple[int, ...]) -> str:
        if d == x.ndim:
            return _element(x[at])
        count = x.shape[d]
        spacing = " " if d == x.ndim - 1 else "\n" * (x.ndim - d - 1) + " " * (d + 1)
        items = [dim(d + 1, (*at, i)) for i in range(min(ends, count))]
        if count > 2 * ends:
            items.append("...")
        items += [dim(d + 1, (*at, i)) for i in range(max(ends, count - ends), count)]
        return "[" + spacing.join(items) + "]"

    return dim(0, ())


def _write(text: str, stream: str) -> None:
    # a graph never writes files: a graph file is data, and its attributes may be hostile
    if stream not in _STREAMS:
        raise ValueError(f"print writes to stderr or stdout, not {stream!r}")
    out = getattr(sys, stream)  # (the stream at run time: a test's capture, say)
    out.write(text)
    out.flush()


def _print_ref(x: np.ndarray, *data: np.ndarray, parts: tuple[Any, ...], style: str,
               summarize: int, first_n: int, stream: str, sep: str, end: str,
               key: int) -> np.ndarray:
    runs = _RUNS.get(key, 0)
    if first_n < 0 or runs < first_n:
        _RUNS[key] = runs + 1
        values = (x, *data)
        text = [p if isinstance(p, str) else
                "[" + _summarize_v1(np.asarray(values[p]), summarize) + "]" if style == "v1"
                else _summarize_v2(np.asarray(values[p]), summarize) for p in parts]
        _write(sep.join(text) + end, stream)
    return x


# forward y = x (input 0), writing the parts (text, and the values of the inputs they name)
# when it runs; backward dx = dy (the data get none). Its effect keeps it from being folded
# or merged, `check` keeps it in a program that stops reading its result, `host` runs it in
# Python on every backend.
PRINT = register(OpDef("print", lambda types, attrs: types[0], _print_ref,
                       lambda op, g: (g, *(None for _ in op.inputs[1:])), effect="print",
                       host=True, view=True, check=True))


def Print(input_: Any, data: Any, message: str | None = None,  # noqa: N802 - TF's name
          first_n: int | None = None, summarize: int | None = None,
          name: str | None = None) -> Any:
    """input_, unchanged; each run that computes it writes `message` and the values of the
    tensors in `data` to stderr, as TensorFlow 1's tf.Print does: each value in brackets, its
    first `summarize` elements (3 by default; -1 for all) followed by '...' if there are
    more. Only the first `first_n` runs print (all when None or negative)."""
    items = list(data) if isinstance(data, list | tuple) else [data]
    return apply(PRINT, input_, *items, name=name or "Print",
                 parts=("" if message is None else str(message),
                        *range(1, len(items) + 1)), style="v1",
                 summarize=3 if summarize is None else int(summarize),
                 first_n=-1 if first_n is None else int(first_n), stream="stderr", sep="",
                 end="\n", key=next(_KEYS))


def print_(*inputs: Any, output_stream: Any = None, summarize: int | None = 3,
           sep: str = " ", end: str = "\n", name: str | None = None) -> Any:
    """tf.print: an op that writes `inputs` when it runs (fetch it, or name it in
    control_dependencies). A Python string is written as it is; a tensor (or other value)
    as its first and last `summarize` entries in each dim (3 when None; -1 for all), rows on
    lines of their own, as TensorFlow 2's tf.print writes them. Items are joined by `sep`
    and followed by `end`; output_stream is sys.stderr (the default, also when None) or
    sys.stdout (never a file: graphs hold no file names). Either stream is the one sys names when
    the op runs."""
    if output_stream is None or output_stream in (sys.stderr, sys.__stderr__, "stderr"):
        stream = "stderr"
    elif output_stream in (sys.stdout, sys.__stdout__, "stdout"):
        stream = "stdout"
    else:  # (TensorFlow's 'file://<path>' too: a graph never writes files, see _write)
        raise ValueError(f"print: output_stream must be sys.stderr or sys.stdout, got "
                         f"{output_stream!r}")
    tensors: list[Any] = []
    parts: list[Any] = []
    for item in inputs:
        if isinstance(item, str):
            parts.append(item)
        else:
            tensors.append(item if is_eager(item) else convert_to_tensor(item))
            parts.append(len(tensors))
    eager = is_eager(*tensors)  # (then it writes at once, and returns None)
    graph = None if eager else tensors[0].graph if tensors else get_default_graph()
    anchor = np.zeros((), np.int32) if graph is None else \
        constant_node(np.zeros((), np.int32), graph, None)
    out = apply(PRINT, anchor, *tensors, name=name or "PrintV2", parts=tuple(parts),
                style="v2", summarize=3 if summarize is None else int(summarize),
                first_n=-1, stream=stream, sep=str(sep), end=str(end), key=next(_KEYS))
    return None if eager else out.node
