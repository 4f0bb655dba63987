"""Graphs to and from files: JSON for nodes, attributes, types and sites; arrays (constants,
index arrays) in a side file; a SHA-256 over both, so a damaged pair is refused.

Format (graphc-graph-v2): "model.json" holds {"format": "graphc-graph-v2", "seed", "nodes",
"variables", "checksum"} and, in a meta graph (what Saver.save writes to `<checkpoint>.meta`),
"collections" ({key: [["tensor", "x:0"] | ["node", "train"] | ["variable", "w"], ...]}, the
graph's collections whose items are all its tensors, ops and Variables) and "saver" ({name in
the checkpoint: variable node name}); "model.graph.npz" beside it (arrays_path), a plain
uncompressed .npz, holds "__graphc_graph__" (the format string) and the arrays "a0", "a1", ... that
attributes refer to as {"$array": "a0"}. (Version 1 put the arrays in "model.npz", where a
checkpoint of the same name overwrote them, or they it; it still reads.)

The checksum is not keyed: it detects accidents (a truncated copy, a flipped bit, an edit
by mistake), not tampering, since anyone can recompute it. Treat a graph file like code from
its author. What import checks whoever wrote the file: the structure of every record, that
the arrays file holds only arrays of graphc's dtypes that the graph uses (read as data, no
pickles, nothing inflated), each constant's data against its declared dtype, every node's
recorded types against its op's shape rule, that each variable of the list is a
variable node initialized by an assign to it, and, in a meta graph, that each collection
entry names a tensor, op or Variable of the graph (no collection graphc keeps for itself) and
each saved name one of its variables.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from graphc import dtypes
from graphc.dtypes import DType
from graphc.files import (GRAPH_ARRAYS_MARKER, READ_ERRORS, Refused, check_replaceable,
                          npz_members, read_marker, read_member, reason, write_atomically,
                          write_npz)
from graphc.graph import FuncGraph, Graph, Node, Tensor, TensorType
from graphc.registry import OPS
from graphc.site import Site
from graphc.variable_scope import SCOPE_COUNTS, VARIABLE_SCOPES, VARIABLE_STORE
from graphc.variables import VARIABLES, Variable

FORMAT = "graphc-graph-v2"
_ARRAYS_SUFFIX = {"graphc-graph-v1": ".npz", FORMAT: ".graph.npz"}  # formats read
MAX_DEPTH = 200  # of nested JSON lists and objects (a graph's is about 13, +5 per nested
# control-flow function); deeper would exhaust Python's recursion while decoding
_DTYPES = {d.name: d for d in dtypes.ALL}


def arrays_path(path: str | os.PathLike[str]) -> Path:
    """The file beside the graph file `path` that holds its arrays: model.json ->
    model.graph.npz (never a name a checkpoint is likely to have); a meta graph's,
    model.meta -> model.meta.npz (never another graph file's: a Saver writes one beside
    each checkpoint, where the user may have exported the graph as model.json)."""
    path = Path(path)
    if path.suffix == ".meta":
        return path.with_name(path.name + ".npz")
    return path.with_suffix(_ARRAYS_SUFFIX[FORMAT])


# collections graphc keeps for itself: never exported, and refused in a file
_OWN_COLLECTIONS = {VARIABLES, "trainable_variables", VARIABLE_STORE, VARIABLE_SCOPES,
                    SCOPE_COUNTS}


def export_graph(graph: Graph, path: str | os.PathLike[str], *, collections: bool = False,
                 saver: dict[str, Variable] | None = None) -> str:
    """Write `graph` to `path` (JSON) and its arrays beside it, to arrays_path(path)
    (model.json -> model.graph.npz). With `collections`, also the graph's collections whose
    items are all its tensors, ops and Variables (tf.add_to_collection's, LOSSES, UPDATE_OPS,
    ...; others are left out); with `saver`, the names the variables are saved under (a
    meta graph holds both). A checkpoint at either path is not replaced: that raises
    ValueError, and nothing is written."""
    target, side = Path(path), arrays_path(path)
    check_replaceable(target, "graph", "export_graph")
    check_replaceable(side, "graph arrays", "export_graph")
    arrays: dict[str, np.ndarray] = {}
    body: dict[str, Any] = {
        "format": FORMAT,
        "seed": graph.seed,
        "nodes": [_node_record(n, arrays) for n in graph.nodes],
        "variables": [{"node": v.node.name, "initializer": v.initializer.name,
                       "trainable": v.trainable} for v in graph.variables],
    }
    if collections:
        body["collections"] = _collection_records(graph)
    if saver is not None:
        body["saver"] = {name: v.node.name for name, v in saver.items()}
    body["checksum"] = _checksum(body, arrays)
    write_atomically(side, lambda f: write_npz(f, {GRAPH_ARRAYS_MARKER: np.array(FORMAT),
                                                   **arrays}))
    write_atomically(target, lambda f: f.write(json.dumps(body, indent=1).encode()))
    return str(target)


def import_graph(path: str | os.PathLike[str]) -> Graph:
    """A new Graph equal to the exported one (with its collections, if the file holds
    them). A damaged file, or one that does not hold a well-formed graph (see the module's
    docstring), raises ValueError naming the file (FileNotFoundError if the graph file or
    its arrays file is missing). The checksum detects accidents only: treat a graph file
    like code from its author."""
    body, arrays = _read(path)
    graph = Graph()
    graph.seed = body["seed"]
    _build(graph, body, arrays, f"graph {path}")
    return graph


def import_graph_into(path: str | os.PathLike[str], graph: Graph
                      ) -> tuple[list[Variable], dict[str, Variable] | None]:
    """Add the graph of the file at `path` (with its collections) to `graph`, all or
    nothing: the file is first imported into a scratch graph with every check import_graph
    makes, and none of its node names may be in `graph` already (a ValueError naming them).
    Returns the Variables imported and, for a meta graph, the names they are saved under."""
    body, arrays = _read(path)
    where = f"graph {path}"
    _build(Graph(), body, arrays, where)  # every check, before `graph` changes
    taken = sorted({r["name"] for r in body["nodes"]} & {n.name for n in graph.nodes})
    if taken:
        raise ValueError(f"cannot import {where} into a graph that already has nodes of its "
                         f"names: {', '.join(taken[:5])}{' ...' if len(taken) > 5 else ''} "
                         "(import it into a fresh graph: tf.reset_default_graph() first)")
    saved_scopes = graph._scopes
    graph._scopes = []  # the file's names as they are, whatever name scope is open
    try:
        with graph.control_dependencies(None):
            return _build(graph, body, arrays, where)
    finally:
        graph._scopes = saved_scopes


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checked body of the graph file `path` (its checksum verified, its fields checked)
    and its arrays."""
    body, side = _read_body(path)
    arrays = _read_arrays(path, side, _array_keys(body, path), body["format"])
    recorded = body.pop("checksum", None)
    if recorded != _checksum(body, arrays):
        raise Refused(f"graph file {path} (or its arrays file {side.name}) was modified or "
                      "corrupted: its checksum does not match")
    fields = dict(_BODY)
    fields.update({k: v for k, v in _META.items() if k in body})
    _check_fields(body, fields, f"graph {path}", "the file")
    return body, arrays


def _build(graph: Graph, body: dict[str, Any], arrays: dict[str, np.ndarray], where: str
           ) -> tuple[list[Variable], dict[str, Variable] | None]:
    """Add the nodes, variables and collections of a checked body to `graph`."""
    try:
        for record in body["nodes"]:
            _add_node(graph, record, arrays, where)
        seen: set[Node] = set()
        variables = [_add_variable(graph, record, seen, where) for record in body["variables"]]
        by_name = {v.node.name: v for v in variables}
        items = {key: [_collection_item(graph, record, by_name, where, key) for record in
                       _collection_list(key, records, where)]
                 for key, records in _dict(body.get("collections", {}), where,
                                           "its collections").items()}
        saver = None if "saver" not in body else {
            name: _saved_variable(name, node, by_name, where)
            for name, node in _dict(body["saver"], where, "its saver").items()}
    except Refused:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as err:
        raise Refused(f"{where} is malformed: {reason(err)}") from err
    for key, values in items.items():
        graph.collections.setdefault(key, []).extend(values)
    return variables, saver


# -- collections -----------------------------------------------------------------------------
def _collection_records(graph: Graph) -> dict[str, list[list[str]]]:
    """The collections of `graph` that a file can hold: those whose items are all its
    tensors, ops and Variables (not graphc's own)."""
    out = {}
    for key, items in graph.collections.items():
        if key in _OWN_COLLECTIONS or not items:
            continue
        records = [_item_record(item, graph) for item in items]
        if all(r is not None for r in records):
            out[key] = records
    return out  # type: ignore[return-value]


def _item_record(item: Any, graph: Graph) -> list[str] | None:
    if isinstance(item, Variable) and item.node.graph is graph:
        return ["variable", item.node.name]
    if isinstance(item, Tensor) and item.node.graph is graph:
        return ["tensor", item.name]
    if isinstance(item, Node) and item.graph is graph:
        return ["node", item.name]
    return None


def _dict(value: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise Refused(f"{where}: {what} is not an object: {_clip(value)}")
    return value


def _collection_list(key: str, records: Any, where: str) -> list[Any]:
    if key in _OWN_COLLECTIONS:
        raise Refused(f"{where}: its collections hold '{key}', which graphc keeps itself")
    if not isinstance(records, list):
        raise Refused(f"{where}: its collection '{key}' is {_clip(records)}, not a list")
    return records


def _collection_item(graph: Graph, record: Any, variables: dict[str, Variable], where: str,
                     key: str) -> Any:
    """The tensor, op or Variable a collection's record names."""
    if not (isinstance(record, list) and len(record) == 2 and
            record[0] in ("tensor", "node", "variable") and isinstance(record[1], str)):
        raise Refused(f"{where}: collection '{key}' holds {_clip(record)}, which is not "
                      '["tensor" | "node" | "variable", name]')
    kind, name = record
    try:
        if kind == "variable":
            return variables[name]
        if kind == "node":
            return graph.get_node(name)
        if ":" not in name:
            raise KeyError(f"'{name}' is not a tensor name")
        return graph.get_tensor(name)
    except (KeyError, ValueError) as err:
        raise Refused(f"{where}: collection '{key}' refers to {kind} '{name}', which the graph "
                      f"does not have ({reason(err)})") from None


def _saved_variable(name: str, node: Any, variables: dict[str, Variable], where: str
                    ) -> Variable:
    if not isinstance(node, str) or node not in variables:
        raise Refused(f"{where}: its saver saves {_clip(node)} as '{name}', which is not one "
                      "of its variables")
    return variables[node]


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


def _add_node(graph: Graph, record: Any, arrays: dict[str, np.ndarray], where: str) -> None:
    """Add the node of `record`; `where` is how errors name the file (and function graph)."""
    _check_node_record(record, where)
    name, op = record["name"], record["op"]
    if op not in OPS:
        raise Refused(f"{where}: node '{name}' has unknown op '{op}'")
    try:
        inputs = [graph.get_tensor(f"{n}:{i}") for n, i in record["inputs"]]
        controls = [graph.get_node(n) for n in record["control_inputs"]]
    except (KeyError, ValueError) as err:
        raise Refused(f"{where}: node '{name}' refers to {reason(err)}") from None
    attrs = {k: _decode(v, arrays, graph, f"{where}: node '{name}'")
             for k, v in record["attrs"].items()}
    types = tuple(_tensor_type(t, where) for t in record["types"])
    value, declared = attrs.get("value"), attrs.get("dtype")
    if isinstance(value, np.ndarray | np.generic) and isinstance(declared, DType) and \
            value.dtype != declared.np:
        raise Refused(f"{where}: node '{name}' ({op}) declares dtype {declared.name} but its "
                      f"value holds {value.dtype} data")
    if op == "assign" and not (isinstance(attrs.get("var"), Node) and
                               attrs["var"].op == "variable"):
        raise Refused(f"{where}: node '{name}' assigns to something that is not a variable")
    try:
        inferred = OPS[op].infer([t.type for t in inputs], attrs)
        inferred = (inferred,) if isinstance(inferred, TensorType) else tuple(inferred)
    except Exception as err:  # a shape rule given attributes no builder would make
        raise Refused(f"{where}: node '{name}' ({op}) does not fit its op: "
                      f"{type(err).__name__}: {err}") from err
    if inferred != types:
        raise Refused(f"{where}: node '{name}' ({op}) records types "
                      f"{[str(t) for t in types]} but its inputs give "
                      f"{[str(t) for t in inferred]}")
    try:
        node = graph.create_node(op, inputs, attrs, types, name, controls,
                                 site=Site(*record["site"]))
    except (ValueError, TypeError) as err:
        raise Refused(f"{where}: node '{name}': {reason(err)}") from err
    if node.name != name:
        raise Refused(f"{where}: the node name '{name}' appears twice")


def _add_variable(graph: Graph, record: Any, seen: set[Node], where: str) -> Variable:
    _check_fields(record, _VARIABLE, where, "an entry of its variable list")
    try:
        node, init = graph.get_node(record["node"]), graph.get_node(record["initializer"])
    except KeyError as err:
        raise Refused(f"{where}: its variable list refers to {reason(err)}") from None
    if node.op != "variable":
        raise Refused(f"{where}: its variable list names {node.op} node '{node.name}', which "
                      "is not a variable")
    if init.op != "assign" or init.attrs["var"] is not node:
        raise Refused(f"{where}: the initializer of variable '{node.name}' is {init.op} node "
                      f"'{init.name}', not an assign to it")
    if node in seen:
        raise Refused(f"{where}: variable '{node.name}' is listed twice")
    seen.add(node)
    return Variable.from_nodes(node, init, record["trainable"])


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


def _decode(value: Any, arrays: dict[str, np.ndarray], graph: Graph, where: str) -> Any:
    """An attribute from its JSON; `where` (file and node) names it in errors."""
    if isinstance(value, list):
        return [_decode(v, arrays, graph, where) for v in value]
    if not isinstance(value, dict):
        return value
    tag, payload = next(iter(value.items()), (None, None))
    if tag not in _TAGS or set(value) != _TAGS[tag][0] or not isinstance(payload,
                                                                          _TAGS[tag][1]):
        raise Refused(f"{where}: an attribute holds {_clip(value)}, which no attribute is "
                      "encoded as")
    if tag == "$dtype":
        return _dtype(payload, where)
    if tag == "$array":
        array = arrays[payload]
        array.setflags(write=False)
        return array
    if tag == "$scalar":
        return _scalar(payload, _dtype(value["dtype"], where), where)
    if tag == "$tuple":
        return tuple(_decode(v, arrays, graph, where) for v in payload)
    if tag == "$slice" and len(payload) == 3:
        return slice(*(_decode(v, arrays, graph, where) for v in payload))
    if tag == "$ellipsis" and payload is True:
        return Ellipsis
    if tag == "$node":
        try:
            return graph.get_node(payload)
        except KeyError as err:
            raise Refused(f"{where}: an attribute refers to {reason(err)}") from None
    if tag == "$type":
        return _tensor_type(payload, where)
    if tag == "$function_graph":
        return _function_graph(payload, arrays, graph, where)
    if tag == "$function":
        return _missing_function(payload)
    raise Refused(f"{where}: an attribute holds {_clip(value)}, which no attribute is "
                  "encoded as")


def _function_graph(record: Any, arrays: dict[str, np.ndarray], parent: Graph,
                    where: str) -> FuncGraph:
    """Rebuild a traced function graph inside `parent`, its captures pointing there."""
    _check_fields(record, _FUNCTION_GRAPH, where, "a function graph")
    where = f"{where}, function graph '{record['name']}'"
    fg = FuncGraph(parent, record["name"])
    for node in record["nodes"]:
        _add_node(fg, node, arrays, where)
    try:
        fg.inputs = [fg.get_tensor(_str(n)) for n in record["inputs"]]
        fg.outputs = [fg.get_tensor(_str(n)) for n in record["outputs"]]
        fg.captures = {parent.get_tensor(_str(o)): fg.get_tensor(_str(i))
                       for o, i in map(_pair, record["captures"])}
    except (KeyError, ValueError, TypeError) as err:
        raise Refused(f"{where}: {reason(err)}") from None
    fg.returns_sequence = record["returns_sequence"]  # type: ignore[attr-defined]
    return fg


def _missing_function(name: str) -> Any:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise LookupError(f"the Python function {name} of an imported graph was not exported "
                          "(functions cannot be); build the graph in Python to use it")
    missing.__qualname__ = name
    return missing


# -- checking records ------------------------------------------------------------------------
# Each record's fields and their JSON types; an int field never takes a bool.
_BODY = {"format": str, "seed": (int, type(None)), "nodes": list, "variables": list}
_NODE = {"name": str, "op": str, "inputs": list, "control_inputs": list, "attrs": dict,
         "types": list, "site": list}
_META = {"collections": dict, "saver": dict}  # the fields a meta graph adds
_VARIABLE = {"node": str, "initializer": str, "trainable": bool}
_FUNCTION_GRAPH = {"name": str, "nodes": list, "inputs": list, "outputs": list,
                   "captures": list, "returns_sequence": bool}
# an encoded attribute: tag -> (its object's keys, its payload's JSON type)
_TAGS: dict[Any, tuple[set[str], Any]] = {
    "$dtype": ({"$dtype"}, str), "$array": ({"$array"}, str),
    "$scalar": ({"$scalar", "dtype"}, (bool, int, float)), "$tuple": ({"$tuple"}, list),
    "$slice": ({"$slice"}, list), "$ellipsis": ({"$ellipsis"}, bool),
    "$node": ({"$node"}, str), "$type": ({"$type"}, list),
    "$function_graph": ({"$function_graph"}, dict), "$function": ({"$function"}, str)}


def _check_fields(record: Any, fields: dict[str, Any], where: str, what: str) -> None:
    if not isinstance(record, dict) or set(record) != set(fields):
        raise Refused(f"{where}: {what} is not an object with exactly the fields "
                      f"{', '.join(fields)}: {_clip(record)}")
    for key, kind in fields.items():
        value = record[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise Refused(f"{where}: in {what}, '{key}' is {_clip(value)}")


def _check_node_record(record: Any, where: str) -> None:
    _check_fields(record, _NODE, where, "a node record")
    name = record["name"]
    for entry in record["inputs"]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and _is_count(entry[1])):
            raise Refused(f"{where}: node '{name}' has input {_clip(entry)}")
    if not all(isinstance(n, str) for n in record["control_inputs"]):
        raise Refused(f"{where}: node '{name}' has control inputs "
                      f"{_clip(record['control_inputs'])}")
    site = record["site"]
    if not (len(site) == 2 and isinstance(site[0], str) and _is_count(site[1])):
        raise Refused(f"{where}: node '{name}' has site {_clip(site)}")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _dtype(name: Any, where: str) -> DType:
    if not isinstance(name, str) or name not in _DTYPES:
        raise Refused(f"{where}: {_clip(name)} is not one of graphc's dtypes "
                      f"({', '.join(_DTYPES)})")
    return _DTYPES[name]


def _tensor_type(record: Any, where: str) -> TensorType:
    """A TensorType from [dtype name, None or a list of dims (each a count or None)]."""
    if not (isinstance(record, list) and len(record) == 2 and (record[1] is None or (
            isinstance(record[1], list) and all(d is None or _is_count(d) for d in record[1])))):
        raise Refused(f"{where}: {_clip(record)} is not a tensor type")
    dtype, shape = record
    return TensorType(_dtype(dtype, where), None if shape is None else tuple(shape))


def _scalar(payload: Any, dtype: DType, where: str) -> np.generic:
    """A numpy scalar of `dtype` equal to `payload`, which must be of its kind."""
    if dtype.is_bool:
        fits = isinstance(payload, bool)
    elif dtype.is_integer:
        info = np.iinfo(dtype.np)  # type: ignore[type-var]
        fits = type(payload) is int and info.min <= payload <= info.max
    else:
        fits = type(payload) in (int, float)
    if not fits:
        raise Refused(f"{where}: {_clip(payload)} is not a {dtype.name} value")
    return dtype.np.type(payload)  # type: ignore[no-any-return]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{_clip(value)} is not a tensor name")
    return value


def _pair(value: Any) -> tuple[Any, Any]:
    if not (isinstance(value, list) and len(value) == 2):
        raise TypeError(f"{_clip(value)} is not a pair of tensor names")
    return value[0], value[1]


def _clip(value: Any) -> str:
    """A short rendering of a (possibly huge) JSON value for a message."""
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- files -----------------------------------------------------------------------------------
def _read_body(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Path]:
    """The graph file's JSON (checked to be a graphc graph file no deeper than MAX_DEPTH)
    and the path of its arrays file."""
    source = Path(path)
    try:
        text = source.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot import graph {path}: it does not exist") from None
    except OSError as err:
        raise Refused(f"cannot import graph {path}: {reason(err)}") from None
    try:
        body = json.loads(text)
    except RecursionError:
        raise Refused(f"cannot import graph {path}: its JSON is nested too deeply") from None
    except ValueError as err:
        raise Refused(f"cannot import graph {path}: it is not JSON ({err})") from None
    if not isinstance(body, dict) or not isinstance(body.get("format"), str) or \
            body["format"] not in _ARRAYS_SUFFIX:
        raise Refused(f"{path} is not a graphc graph file (format {FORMAT} expected)")
    return body, arrays_path(source) if body["format"] == FORMAT else \
        source.with_suffix(_ARRAYS_SUFFIX[body["format"]])


def _array_keys(body: dict[str, Any], path: Any) -> set[str]:
    """The arrays that attributes refer to ({"$array": key}); refuses nesting deeper than
    MAX_DEPTH (without recursing itself)."""
    keys: set[str] = set()
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("$array"), str):
                keys.add(value["$array"])
            value = list(value.values())
        if isinstance(value, list):
            if depth > MAX_DEPTH:
                raise Refused(f"graph file {path} is nested more than {MAX_DEPTH} deep")
            stack.extend((v, depth + 1) for v in value)
    return keys


def _read_arrays(path: Any, side: Path, used: set[str], version: str
                 ) -> dict[str, np.ndarray]:
    """The arrays of the graph file `path` from its arrays file `side`, which must hold
    exactly the `used` arrays (and, from version 2, its marker), of graphc's dtypes; each is
    read only after its header, and no more than the file's size is ever inflated."""
    if not side.exists():
        raise FileNotFoundError(f"cannot import graph {path}: {side} is missing")
    try:
        with npz_members(side, deflated=False) as (archive, members):
            if version != "graphc-graph-v1":
                marker = GRAPH_ARRAYS_MARKER
                if marker not in members or read_marker(archive, members.pop(marker)) != version:
                    raise ValueError(f"it is not the arrays file of a {version} graph (its "
                                     f"{marker} entry is missing or differs)")
            for key, info in members.items():
                if key not in used:
                    raise ValueError(f"its member {info.filename!r} is not an array the graph "
                                     "uses")
            if used - members.keys():
                raise ValueError(f"it lacks the array {min(used - members.keys())!r}, which "
                                 "the graph uses")
            return {key: read_member(archive, info, _array_header)
                    for key, info in members.items()}
    except READ_ERRORS as err:
        raise Refused(f"cannot import graph {path}: its arrays file {side}: {reason(err)}") \
            from None


def _array_header(dtype: np.dtype, shape: tuple[int, ...]) -> None:
    if dtype not in {d.np for d in dtypes.ALL}:
        raise ValueError(f"it holds a {dtype} array; graphc's dtypes are "
                         f"{', '.join(_DTYPES)}")


def _checksum(body: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """A SHA-256 over the graph file's JSON (less its checksum) and its arrays. Not keyed:
    it detects accidents, not tampering."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode())
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(str(arrays[key].dtype).encode() + str(arrays[key].shape).encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()
