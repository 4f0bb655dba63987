"""Graphs to and from files: JSON for nodes, attributes, types and sites; constants in a side
.npz; a SHA-256 over both, so a modified or corrupted pair is refused."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from graphc.dtypes import DType, as_dtype
from graphc.files import write_atomically
from graphc.graph import FuncGraph, Graph, Node, TensorType
from graphc.registry import OPS
from graphc.site import Site
from graphc.variables import Variable

FORMAT = "graphc-graph-v1"


def export_graph(graph: Graph, path: str | os.PathLike[str]) -> str:
    """Write `graph` to `path` (JSON) and its constants beside it (same name, .npz)."""
    arrays: dict[str, np.ndarray] = {}
    body = {
        "format": FORMAT,
        "seed": graph.seed,
        "nodes": [_node_record(n, arrays) for n in graph.nodes],
        "variables": [{"node": v.node.name, "initializer": v.initializer.name,
                       "trainable": v.trainable} for v in graph.variables],
    }
    body["checksum"] = _checksum(body, arrays)
    target = Path(path)
    write_atomically(target.with_suffix(".npz"),
                     lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
    write_atomically(target, lambda f: f.write(json.dumps(body, indent=1).encode()))
    return str(target)


def import_graph(path: str | os.PathLike[str]) -> Graph:
    """A new Graph equal to the exported one; a clear error if the files are not intact."""
    source = Path(path)
    try:
        body = json.loads(source.read_text())
        with np.load(source.with_suffix(".npz"), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError as err:
        raise FileNotFoundError(f"cannot import graph {path}: {err.filename} is missing") \
            from None
    except (ValueError, zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"cannot import graph {path}: {err}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError(f"{path} is not a graphc graph file (format {FORMAT} expected)")
    recorded = body.pop("checksum", None)
    if recorded != _checksum(body, arrays):
        raise ValueError(f"graph file {path} (or its .npz) was modified or corrupted: "
                         "its checksum does not match")
    graph = Graph()
    graph.seed = body["seed"]
    for record in body["nodes"]:
        _add_node(graph, record, arrays, path)
    for v in body["variables"]:
        Variable.from_nodes(graph.get_node(v["node"]), graph.get_node(v["initializer"]),
                            v["trainable"])
    return graph


# -- nodes -----------------------------------------------------------------------------------
def _node_record(node: Node, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {
        "name": node.name,
        "op": node.op,
        "inputs": [[t.node.name, t.index] for t in node.inputs],
        "control_inputs": [n.name for n in node.control_inputs],
        "attrs": {k: _encode(v, arrays, node) for k, v in node.attrs.items()},
        "types": [[t.dtype.name, None if t.shape is None else list(t.shape)]
                  for t in node.types],
        "site": [node.site.file, node.site.line],
    }


def _add_node(graph: Graph, record: dict[str, Any], arrays: dict[str, np.ndarray],
              path: Any) -> None:
    name, op = record["name"], record["op"]
    if op not in OPS:
        raise ValueError(f"graph {path}: node '{name}' has unknown op '{op}'")
    try:
        inputs = [graph.get_tensor(f"{n}:{i}") for n, i in record["inputs"]]
        controls = [graph.get_node(n) for n in record["control_inputs"]]
    except KeyError as err:
        raise ValueError(f"graph {path}: node '{name}' refers to {err}") from None
    attrs = {k: _decode(v, arrays, graph) for k, v in record["attrs"].items()}
    types = tuple(TensorType(as_dtype(d), None if s is None else tuple(s))
                  for d, s in record["types"])
    inferred = OPS[op].infer([t.type for t in inputs], attrs)
    inferred = (inferred,) if isinstance(inferred, TensorType) else tuple(inferred)
    if inferred != types:
        raise ValueError(f"graph {path}: node '{name}' ({op}) records types "
                         f"{[str(t) for t in types]} but its inputs give "
                         f"{[str(t) for t in inferred]}")
    node = graph.create_node(op, inputs, attrs, types, name, controls,
                             site=Site(*record["site"]))
    if node.name != name:
        raise ValueError(f"graph {path}: the node name '{name}' appears twice")


# -- attributes ------------------------------------------------------------------------------
def _encode(value: Any, arrays: dict[str, np.ndarray], node: Node) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, DType):
        return {"$dtype": value.name}
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"$array": key}
    if isinstance(value, np.generic):
        return {"$scalar": value.item(), "dtype": value.dtype.name}
    if isinstance(value, tuple | list):
        items = [_encode(v, arrays, node) for v in value]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, slice):
        return {"$slice": [_encode(v, arrays, node) for v in (value.start, value.stop,
                                                               value.step)]}
    if value is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(value, Node):
        return {"$node": value.name}
    if isinstance(value, TensorType):
        return {"$type": [value.dtype.name, None if value.shape is None else list(value.shape)]}
    if isinstance(value, FuncGraph):
        return {"$function_graph": {
            "name": value.name, "nodes": [_node_record(n, arrays) for n in value.nodes],
            "inputs": [t.name for t in value.inputs], "outputs": [t.name for t in value.outputs],
            "captures": [[outer.name, inner.name] for outer, inner in value.captures.items()],
            "returns_sequence": getattr(value, "returns_sequence", False)}}
    if callable(value):
        return {"$function": getattr(value, "__qualname__", repr(value))}
    raise TypeError(f"cannot export {node.describe()}: attribute of type "
                    f"{type(value).__name__}")


def _decode(value: Any, arrays: dict[str, np.ndarray], graph: Graph) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays, graph) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, payload), *rest = value.items()
    if tag == "$dtype":
        return as_dtype(payload)
    if tag == "$array":
        array = arrays[payload]
        array.setflags(write=False)
        return array
    if tag == "$scalar":
        return np.dtype(rest[0][1]).type(payload)
    if tag == "$tuple":
        return tuple(_decode(v, arrays, graph) for v in payload)
    if tag == "$slice":
        return slice(*(_decode(v, arrays, graph) for v in payload))
    if tag == "$ellipsis":
        return Ellipsis
    if tag == "$node":
        return graph.get_node(payload)
    if tag == "$type":
        return TensorType(as_dtype(payload[0]), None if payload[1] is None else tuple(payload[1]))
    if tag == "$function_graph":
        return _function_graph(payload, arrays, graph)
    if tag == "$function":
        return _missing_function(payload)
    raise ValueError(f"unknown attribute encoding {tag!r}")


def _function_graph(record: dict[str, Any], arrays: dict[str, np.ndarray],
                    parent: Graph) -> FuncGraph:
    """Rebuild a traced function graph inside `parent`, its captures pointing there."""
    fg = FuncGraph(parent, record["name"])
    for node in record["nodes"]:
        _add_node(fg, node, arrays, f"function graph {record['name']}")
    fg.inputs = [fg.get_tensor(n) for n in record["inputs"]]
    fg.outputs = [fg.get_tensor(n) for n in record["outputs"]]
    fg.captures = {parent.get_tensor(o): fg.get_tensor(i) for o, i in record["captures"]}
    fg.returns_sequence = record["returns_sequence"]  # type: ignore[attr-defined]
    return fg


def _missing_function(name: str) -> Any:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise LookupError(f"the Python function {name} of an imported graph was not exported "
                          "(functions cannot be); build the graph in Python to use it")
    missing.__qualname__ = name
    return missing


# -- files -----------------------------------------------------------------------------------
def _checksum(body: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode())
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(str(arrays[key].dtype).encode() + str(arrays[key].shape).encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()
