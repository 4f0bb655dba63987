"""gc.summary's writing half: FileWriter, and what it writes (a fetched summary as a
Summary protobuf, a graph as a GraphDef), with the tensorboard package's event file writer
and protobuf classes. tensorboard is imported when a FileWriter is made or a summary is
serialized; without it that raises an ImportError saying how to install it.

This module does not import graphc.summary (which loads it lazily): a fetched summary is
known by its `kind`-tagged keys.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import time
import warnings
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphc.dtypes import DType
from graphc.errors import InvalidArgumentError
from graphc.graph import Graph, Tensor

INSTALL = "pip install 'graphc[tensorboard]'"

# where tensorboard keeps each protobuf class gc.summary names
_PROTO_MODULES = {"Summary": "summary_pb2", "SummaryMetadata": "summary_pb2",
                  "HistogramProto": "summary_pb2", "Event": "event_pb2",
                  "SessionLog": "event_pb2"}


def _tensorboard(module: str) -> Any:
    """tensorboard.<module>, or an ImportError saying how to install tensorboard."""
    try:
        return importlib.import_module(f"tensorboard.{module}")
    except ImportError as err:
        raise ImportError("gc.summary needs the tensorboard package to write summaries and "
                          f"event files: {INSTALL}") from err


def proto(name: str) -> Any:
    """One of TensorFlow's summary protobuf classes (tensorboard's copy), by name."""
    return getattr(_tensorboard(f"compat.proto.{_PROTO_MODULES[name]}"), name)


def summary_proto(summary: Mapping[str, Any]) -> Any:
    """A fetched summary (tag -> value, each tag with its `kind`) as a Summary protobuf: a
    scalar's simple_value (a float32, as TensorFlow's ScalarSummary kernel makes it), a
    histogram's HistogramProto."""
    pending = [tag for tag, value in summary.items() if isinstance(value, Tensor)]
    if pending:
        raise TypeError(
            f"this summary holds graph tensors (tags {', '.join(map(repr, pending))}); run "
            "it first and write what the run returns: summary = sess.run(merged); "
            "writer.add_summary(summary, step)")
    summary_pb2 = _tensorboard("compat.proto.summary_pb2")
    result = summary_pb2.Summary()
    for tag, value in summary.items():
        kind = getattr(tag, "kind", None)
        if kind == "scalar":
            array = np.asarray(value)
            if array.size != 1 or array.dtype.kind not in "biuf":
                raise InvalidArgumentError(
                    f"the scalar summary '{tag}' got a {array.dtype} value of shape "
                    f"{array.shape}; it takes one real number")
            result.value.add(tag=tag, simple_value=float(array.reshape(())))
        elif kind == "histogram":
            result.value.add(tag=tag, histo=_histogram(tag, value, summary_pb2))
        else:
            raise TypeError(f"summary tag {tag!r} has no kind: build summaries with "
                            "gc.summary.scalar / histogram, not by hand")
    return result


# -- histograms, as TensorFlow's HistogramSummary kernel makes them ------------------------

def _default_limits() -> np.ndarray:
    """TensorFlow's default bucket limits (tensorflow/core/lib/histogram/histogram.cc):
    +-1e-12 growing by 10% up to 1e20, then +-DBL_MAX, and 0."""
    positive = []
    v = 1.0e-12
    while v < 1.0e20:
        positive.append(v)
        v *= 1.1
    positive.append(sys.float_info.max)
    negative = [-x for x in reversed(positive)]
    return np.array([*negative, 0.0, *positive])


_limits: list[np.ndarray] = []


def _histogram(tag: str, value: Any, summary_pb2: Any) -> Any:
    """A HistogramProto of the values as TensorFlow encodes one: value v counts in the first
    bucket whose limit is above it; runs of empty buckets collapse into their last one."""
    if not _limits:
        _limits.append(_default_limits())
    limits = _limits[0]
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise InvalidArgumentError(f"the histogram summary '{tag}' got a {array.dtype} value; "
                                   "it takes real numbers")
    values = array.astype(np.float64).ravel()
    if np.isnan(values).any():
        raise InvalidArgumentError(f"Nan in summary histogram for: {tag}")
    if np.isinf(values).any():
        raise InvalidArgumentError(f"Infinity in summary histogram for: {tag}")
    counts = np.bincount(np.searchsorted(limits, values, side="right"),
                         minlength=len(limits)).astype(np.float64)
    empty = counts <= 0
    keep = ~empty | np.append(~empty[1:], True)  # a full bucket, or the last of an empty run
    return summary_pb2.HistogramProto(
        min=float(values.min()) if values.size else float(limits[-1]),
        max=float(values.max()) if values.size else -float(limits[-1]),
        num=float(values.size), sum=float(values.sum()),
        sum_squares=float(np.dot(values, values)),
        bucket_limit=limits[keep].tolist(), bucket=counts[keep].tolist())


# -- the graph, as a GraphDef TensorBoard draws -----------------------------------------------

_DATA_TYPES = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int32": "DT_INT32",
               "int64": "DT_INT64", "bool": "DT_BOOL"}
_SMALL_CONSTANT = 16  # constants with at most this many elements keep their value


def _graph_def(graph: Graph) -> Any:
    """The graph as a TensorFlow GraphDef (tensorboard's protobuf classes): each node with its
    name, op, inputs ("name" for output 0, "name:i", "^name" for a control input), an
    empty device, its output dtype(s) and shapes, and its plain attributes."""
    graph_pb2 = _tensorboard("compat.proto.graph_pb2")
    attr_value_pb2 = _tensorboard("compat.proto.attr_value_pb2")
    types_pb2 = _tensorboard("compat.proto.types_pb2")
    convert = _AttrConverter(attr_value_pb2, types_pb2,
                             _tensorboard("compat.proto.tensor_shape_pb2"))
    graph_def = graph_pb2.GraphDef()
    for node in list(graph.nodes):
        node_def = graph_def.node.add(name=node.name, op=node.op, device="")
        node_def.input.extend(t.node.name if t.index == 0 else t.name for t in node.inputs)
        node_def.input.extend("^" + n.name for n in node.control_inputs)
        for key, value in node.attrs.items():
            attr = convert(key, value)
            if attr is not None:
                node_def.attr[key].CopyFrom(attr)
        if len(node.types) == 1 and "dtype" not in node.attrs:
            node_def.attr["dtype"].type = convert.data_type(node.types[0].dtype.name)
        elif len(node.types) > 1:
            node_def.attr["_output_types"].list.type.extend(
                convert.data_type(t.dtype.name) for t in node.types)
        if node.types:
            node_def.attr["_output_shapes"].list.shape.extend(
                convert.shape(t.shape) for t in node.types)
    return graph_def


class _AttrConverter:
    """graphc attribute values as TensorFlow AttrValues; None for those with no such form
    (functions, nested graphs, storage objects, large constants)."""

    def __init__(self, attr_value_pb2: Any, types_pb2: Any, tensor_shape_pb2: Any) -> None:
        self.pb = attr_value_pb2
        self.types = types_pb2
        self.shapes = tensor_shape_pb2

    def data_type(self, name: str) -> int:
        return int(getattr(self.types, _DATA_TYPES.get(name, "DT_INVALID")))

    def shape(self, shape: Any) -> Any:
        proto = self.shapes.TensorShapeProto()
        if shape is None:
            proto.unknown_rank = True
        else:
            for n in shape:
                proto.dim.add(size=-1 if n is None else int(n))
        return proto

    def __call__(self, key: str, value: Any) -> Any:
        AttrValue = self.pb.AttrValue  # noqa: N806 - protobuf's name
        if isinstance(value, bool | np.bool_):
            return AttrValue(b=bool(value))
        if isinstance(value, int | np.integer):
            return AttrValue(i=int(value))
        if isinstance(value, float | np.floating):
            return AttrValue(f=float(value))
        if isinstance(value, str):
            return AttrValue(s=value.encode())
        if isinstance(value, DType):
            return AttrValue(type=self.data_type(value.name))
        if key == "shape" and (value is None or isinstance(value, tuple | list)):
            attr = AttrValue()
            attr.shape.CopyFrom(self.shape(value))
            return attr
        if isinstance(value, tuple | list) and value:
            attr = AttrValue()
            if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
                attr.list.i.extend(int(v) for v in value)
            elif all(isinstance(v, float | np.floating) for v in value):
                attr.list.f.extend(float(v) for v in value)
            elif all(isinstance(v, str) for v in value):
                attr.list.s.extend(v.encode() for v in value)
            else:
                return None
            return attr
        if isinstance(value, np.ndarray) and value.size <= _SMALL_CONSTANT \
                and value.dtype.name in _DATA_TYPES:
            attr = AttrValue()
            attr.tensor.dtype = self.data_type(value.dtype.name)
            attr.tensor.tensor_shape.CopyFrom(self.shape(value.shape))
            attr.tensor.tensor_content = np.ascontiguousarray(value).astype(
                value.dtype.newbyteorder("<")).tobytes()
            return attr
        return None


# -- writing event files -------------------------------------------------------------------
_open_writers: weakref.WeakSet[FileWriter] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Write what the writers a program never closed still hold, as it exits (their queue
    is written by a background thread, which exit would otherwise stop mid-way)."""
    for writer in list(_open_writers):
        writer.close()


class FileWriter:
    """Writes summaries and the graph to an event file in `logdir`, for TensorBoard
    (`tensorboard --logdir logdir`), as TensorFlow 1's tf.summary.FileWriter. Events are
    queued and written by a background thread every `flush_secs` seconds, when the queue
    holds `max_queue`, at flush() and close(), and when the program exits (a writer it
    never closed loses no event); use it as a context manager.

    `graph` (a gc.Graph, e.g. sess.graph, or a GraphDef protobuf) is written at once, as by
    add_graph. Needs the tensorboard package: pip install 'graphc[tensorboard]'.
    """

    def __init__(self, logdir: str | os.PathLike[str], graph: Any = None, max_queue: int = 10,
                 flush_secs: float = 120, graph_def: Any = None,
                 filename_suffix: str | None = None) -> None:
        self._module = _tensorboard("summary.writer.event_file_writer")
        self._event_pb2 = _tensorboard("compat.proto.event_pb2")
        self._summary_pb2 = _tensorboard("compat.proto.summary_pb2")
        self._logdir = os.fspath(logdir)
        self._options = (max_queue, flush_secs, filename_suffix or "")
        self._writer = self._module.EventFileWriter(self._logdir, *self._options)
        self._closed = False
        _open_writers.add(self)
        self._seen_tags: set[str] = set()  # tags whose plugin metadata has been written
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        """The folder the event file is in."""
        return self._logdir

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Write a summary at step `global_step`: what Session.run returned for a summary
        (scalar, histogram, merge, merge_all), its bytes, or a Summary protobuf."""
        if isinstance(summary, Mapping) and all(isinstance(getattr(tag, "kind", None), str)
                                                for tag in summary):  # a fetched summary
            message = summary_proto(summary)
        elif isinstance(summary, bytes):
            message = self._summary_pb2.Summary.FromString(summary)
        elif isinstance(summary, self._summary_pb2.Summary):
            message = self._summary_pb2.Summary()
            message.CopyFrom(summary)
        elif isinstance(summary, Tensor):
            raise TypeError(f"add_summary got the graph tensor '{summary.name}'; run the "
                            "summary first: writer.add_summary(sess.run(merged), step)")
        else:
            raise TypeError("add_summary takes what Session.run returns for a summary, its "
                            f"bytes, or a Summary protobuf; got {type(summary).__name__}")
        for value in message.value:  # as TensorFlow: plugin metadata only the first time
            if value.HasField("metadata"):
                if value.tag in self._seen_tags:
                    value.ClearField("metadata")
                else:
                    self._seen_tags.add(value.tag)
        self._add(self._event_pb2.Event(summary=message), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Write a graph for TensorBoard's Graphs tab: a gc.Graph (converted to a GraphDef
        of its nodes' names, ops, inputs, dtypes and shapes) or a GraphDef protobuf."""
        source = graph if graph is not None else graph_def
        if isinstance(source, Graph):
            data = _graph_def(source).SerializeToString()
        elif hasattr(source, "SerializeToString"):
            data = source.SerializeToString()
        elif hasattr(source, "graph") and isinstance(source.graph, Graph):  # a Session
            data = _graph_def(source.graph).SerializeToString()
        else:
            raise TypeError("add_graph takes a gc.Graph (e.g. sess.graph) or a GraphDef "
                            f"protobuf; got {type(source).__name__}")
        self._add(self._event_pb2.Event(graph_def=data), global_step)

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Write a SessionLog protobuf (gc.summary.SessionLog), as TensorFlow 1."""
        self._add(self._event_pb2.Event(session_log=session_log), global_step)

    def add_event(self, event: Any) -> None:
        """Write an Event protobuf (gc.summary.Event) as it is."""
        if self._usable():
            self._writer.add_event(event)

    def _add(self, event: Any, global_step: Any) -> None:
        event.wall_time = time.time()
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def _usable(self) -> bool:
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a "
                          "noop unless the FileWriter is explicitly reopened.", stacklevel=3)
        return not self._closed

    def flush(self) -> None:
        """Write every pending event to disk."""
        if self._usable():
            self._writer.flush()

    def close(self) -> None:
        """Flush, then close the event file; later writes warn and do nothing, until
        reopen()."""
        if not self._closed:
            self._writer.close()
            self._closed = True
            _open_writers.discard(self)

    def reopen(self) -> None:
        """After close(): go on writing, to a new event file in the same folder."""
        if self._closed:
            self._writer = self._module.EventFileWriter(self._logdir, *self._options)
            self._closed = False
            _open_writers.add(self)

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
