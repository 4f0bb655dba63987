"""TensorFlow 1's summary API (gc.summary): scalar and histogram summaries of graph tensors,
merged, fetched by Session.run, and written by a FileWriter as TensorBoard event files.

    loss_summary = gc.summary.scalar("loss", loss)
    gc.summary.histogram("weights", w)
    merged = gc.summary.merge_all()
    with gc.summary.FileWriter(logdir, sess.graph) as writer:
        summary, _ = sess.run([merged, train], feed_dict)
        writer.add_summary(summary, step)

How it fits graphc, whose tensors hold numbers only (TensorFlow's summary ops produce
serialized protobuf strings): a summary is no new op. `scalar(name, t)` adds an identity of
t named `name`, and its tag is that node's name (name scopes included, "_1" added to a name
already taken), as in TensorFlow 1. It returns a MergedSummary: a dict from the tag to that
tensor. Session.run fetches any dict and rebuilds it with its own type, so running a
MergedSummary (alone or inside a list of fetches) returns a MergedSummary from the tag to
the value. FileWriter.add_summary turns that into TensorBoard's `Summary` protobuf: a
scalar's `simple_value` (a float32, as TensorFlow's ScalarSummary kernel makes it), a
histogram's `HistogramProto` with TensorFlow's default buckets (HistogramSummary's). Every
summary is kept in its graph's "summaries" collection (TensorFlow's GraphKeys.SUMMARIES) for
merge_all. `bytes(summary)` is the serialized Summary, what TensorFlow's run would return.

Writing needs the tensorboard package (`pip install 'graphc[tensorboard]'`): FileWriter
(graphc/summary/writer.py, loaded when first named) uses its EventFileWriter and protobuf
classes, imported when a FileWriter is made or a summary serialized, never when graphc is
imported. Building and running summaries does not need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graphc.graph import Graph, Tensor, get_default_graph
from graphc.ops.core import convert_to_tensor, is_eager
from graphc.ops.shape import identity
from graphc.session import Session, _session_for

__all__ = ["SUMMARIES", "FileWriter", "MergedSummary", "histogram", "merge", "merge_all",
           "scalar"]

# the graph collection that merge_all() reads (TensorFlow's GraphKeys.SUMMARIES)
SUMMARIES = "summaries"


def __getattr__(name: str) -> Any:
    """FileWriter, and TensorFlow's summary protobuf classes (gc.summary.Summary, Event,
    SessionLog, SummaryMetadata, HistogramProto: tensorboard's copies), loaded when named."""
    if name == "FileWriter" or name in _PROTOS:
        from graphc.summary import writer

        return writer.FileWriter if name == "FileWriter" else writer.proto(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_PROTOS = ("Summary", "SummaryMetadata", "HistogramProto", "Event", "SessionLog")


# -- building summaries ---------------------------------------------------------------------

class _Tag(str):
    """A summary's tag: a str (merged["loss"] finds it) that also knows the summary's kind
    ("scalar" or "histogram")."""

    kind: str

    def __new__(cls, tag: str, kind: str) -> _Tag:
        self = super().__new__(cls, tag)
        self.kind = kind
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self), self.kind)


class MergedSummary(dict):
    """Summaries by tag: tag -> graph tensor as built (scalar, histogram, merge and
    merge_all return one), tag -> numpy value as Session.run returns it. A fetched one is
    what FileWriter.add_summary writes; bytes() of it is the serialized Summary protobuf."""

    __slots__ = ()

    @property
    def fetched(self) -> bool:
        """Whether it holds values (Session.run's result) rather than graph tensors."""
        return not any(isinstance(v, Tensor) for v in self.values())

    def eval(self, feed_dict: dict[Any, Any] | None = None,
             session: Session | None = None) -> MergedSummary:
        """The summary's values, run in `session` (default: the default session) with
        `feed_dict`, as Session.run returns them (what FileWriter.add_summary writes);
        TensorFlow 1's summary_op.eval()."""
        tensors = [t for t in self.values() if isinstance(t, Tensor)]
        if not tensors:
            raise TypeError("this summary holds values already (Session.run's result); only "
                            "a summary of graph tensors can be evaluated")
        result: MergedSummary = _session_for(tensors[0], session, "eval").run(self, feed_dict)
        return result

    def to_proto(self) -> Any:
        """The values as TensorBoard's `Summary` protobuf (needs tensorboard)."""
        from graphc.summary.writer import summary_proto

        return summary_proto(self)

    def SerializeToString(self) -> bytes:  # noqa: N802 - protobuf's name
        return bytes(self.to_proto().SerializeToString())

    def __bytes__(self) -> bytes:
        return self.SerializeToString()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


def scalar(name: str, tensor: Any, collections: Iterable[str] | None = None,
           family: str | None = None) -> MergedSummary:
    """A summary of a real scalar tensor, shown by TensorBoard as a curve over the steps.

    Its tag is the name of the node it adds: `name` (invalid characters made '_') within the
    current name scopes, '_1' added if taken; `family` prefixes the tag, as in TensorFlow 1.
    It is added to each of `collections` (default: the "summaries" one merge_all reads).
    """
    return _summary("scalar", name, tensor, collections, family)


def histogram(name: str, values: Any, collections: Iterable[str] | None = None,
              family: str | None = None) -> MergedSummary:
    """A summary of the distribution of a real tensor's values (any shape), bucketed when it
    is written with TensorFlow's default buckets; NaN or infinity are an error then. Tags and
    collections as for scalar."""
    return _summary("histogram", name, values, collections, family)


def _summary(kind: str, name: str, value: Any, collections: Iterable[str] | None,
             family: str | None) -> MergedSummary:
    what = f"gc.summary.{kind}"
    if is_eager(value):
        raise TypeError(f"{what} builds a graph summary; got an eager tensor (write eager "
                        "values with a Summary protobuf: gc.summary.Summary(value=[...]))")
    graph = value.graph if isinstance(value, Tensor) and value.graph is not None \
        else get_default_graph()
    with graph.as_default():
        t = convert_to_tensor(value, graph=graph, op=what)
        if t.dtype.is_bool:
            raise TypeError(f"{what} '{name}': it takes a real numeric tensor, got a bool one")
        if kind == "scalar" and t.shape is not None and t.shape != ():
            raise ValueError(f"{what} '{name}': the tensor must be a scalar, its shape is "
                             f"{t.shape}")
        base = _clean(name)
        if family is not None:
            family = _clean(family)
            base = f"{family}/{base}"
        node = identity(t, name=base).node
    tag = _Tag(node.name if family is None else f"{family}/{node.name}", kind)
    summary = MergedSummary({tag: node.output})
    for key in [SUMMARIES] if collections is None else collections:
        graph.collections.setdefault(key, []).append(summary)
    return summary


def _clean(name: str) -> str:
    """TensorFlow's clean_tag: characters no name may hold become '_', leading '/' go."""
    if not isinstance(name, str):
        raise TypeError(f"a summary name must be a string, got {name!r}")
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", name).lstrip("/")


def merge(inputs: Iterable[MergedSummary], collections: Iterable[str] | None = None,
          name: str | None = None) -> MergedSummary:
    """One summary holding every summary of `inputs` (what scalar, histogram, merge and
    merge_all return); added to each of `collections` (default none)."""
    merged = MergedSummary()
    for item in inputs:
        if not isinstance(item, MergedSummary):
            raise TypeError(f"gc.summary.merge takes the summaries gc.summary.scalar, "
                            f"histogram, merge and merge_all return; got {item!r}")
        for tag, t in item.items():
            known = merged.get(tag, t)
            if known is not t and not (isinstance(t, Tensor) and t == known):
                raise ValueError(f"gc.summary.merge: duplicate tag '{tag}' for different "
                                 "tensors")
            merged[tag] = t
    if collections is not None:
        graphs = {t.graph for t in merged.values() if isinstance(t, Tensor)}
        graph = graphs.pop() if len(graphs) == 1 else None
        graph = graph or get_default_graph()
        for key in collections:
            graph.collections.setdefault(key, []).append(merged)
    return merged


def merge_all(key: str = SUMMARIES, scope: str | None = None,
              name: str | None = None, graph: Graph | None = None) -> MergedSummary | None:
    """Every summary of the (default) graph's `key` collection merged into one, or None if
    there are none. `scope` keeps those whose node name re.match-es it."""
    graph = graph or get_default_graph()
    items = [s for s in graph.collections.get(key, ())
             if scope is None or any(isinstance(t, Tensor) and re.match(scope, t.node.name)
                                     for t in s.values())]
    return merge(items) if items else None
