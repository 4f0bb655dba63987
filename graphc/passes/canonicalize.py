"""Canonicalization: every spelling of a computation becomes one form, so the passes after
it (CSE, fusion) and the backends see one way to write each thing.

The stage folds constants and applies the table below, repeated until nothing changes
(passes/pipeline.py). Each rule keeps every value bit for bit, except where its comment
says otherwise, and reads constants only through `Uses` (a fed constant is never folded).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from graphc import shapes
from graphc.graph import Node, Tensor
from graphc.passes.fold_constants import fold_node
from graphc.passes.rewrite import (Build, Pattern, Uses, computed, constant, constant_for, op,
                                   pattern_rules, remade, rewrite, scalar, user_nodes, value,
                                   zero)
from graphc.program import Program
from graphc.registry import OpNames

COMMUTATIVE = OpNames(lambda opdef: opdef.commutative)
MIRRORED = {"less": "greater", "greater": "less", "less_equal": "greater_equal",
            "greater_equal": "less_equal"}


def _same(name: str) -> Build:
    """The bound tensor itself (kept only if it has the node's type)."""
    return lambda m, node, uses: m[name]


def _as(op_name: str, *names: str) -> Build:
    """The node as `op_name` on the bound tensors."""
    return lambda m, node, uses: remade(node, op_name, tuple(m[n] for n in names))


def _same_type_as(op_name: str, *names: str) -> Build:
    """The node as `op_name` on the bound tensors, where the first provably has the node's
    type (a ReLU of x cannot stand for a maximum that widens x)."""
    def build(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
        x = m[names[0]]
        if x.type != node.types[0] or not uses.shapes.equal(x, node.outputs[0]):
            return None
        return remade(node, op_name, tuple(m[n] for n in names))
    return build


def _constant_right(m: dict[str, Tensor], node: Node, uses: Uses) -> Node:
    """c op x -> x op c, and c < x -> x > c."""
    return remade(node, MIRRORED.get(node.op, node.op), (m["x"], m["c"]), node.attrs)


def _fold_transpose(side: int) -> Build:
    """matmul(transpose(a), b) -> matmul(a, b, transpose_a=True); the same for b."""
    flag = ("transpose_a", "transpose_b")[side]

    def build(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
        t = node.inputs[side].node
        if t.attrs["perm"] not in (None, (1, 0)) or len(m["t"].shape or ()) != 2:
            return None
        inputs = list(node.inputs)
        inputs[side] = m["t"]
        return remade(node, "matmul", tuple(inputs),
                      {**node.attrs, flag: not node.attrs[flag]})
    return build


def _same_shape(m: dict[str, Tensor], node: Node, uses: Uses) -> Tensor | None:
    """sum_to / broadcast_like / reshape_like of x to a shape x provably has: x."""
    x = m["x"]
    return x if uses.shapes.equal(x, node.outputs[0]) else None


def _filled(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
    """fill_like(x) where x's shape is known: a fill (which then folds, if small)."""
    shape, dtype = m["x"].shape, node.attrs["dtype"]
    if not shapes.is_fully_defined(shape):
        return None
    return remade(node, "fill", (), {"shape": shape, "dtype": dtype,
                                     "value": dtype.np.type(node.attrs["value"])})


def _expansion(t: Tensor, uses: Uses) -> Tensor | None:
    """What an elementwise op may read instead of t, where another of its inputs provably
    has its result's shape and broadcasting does the rest: for broadcast_like(s, like) that
    adds dims in front only, s; for fill_like(x), the scalar it fills with."""
    node = t.node
    if t in uses.fed or node.control_inputs:  # a fed tensor's value is the feed
        return None
    if node.op == "broadcast_like" and \
            sorted(node.attrs["axes"]) == list(range(len(node.attrs["axes"]))):
        # (size-1 dims inserted in front are what broadcasting assumes; elsewhere they are not)
        return node.inputs[0]
    if node.op == "fill_like":
        value = np.array(node.attrs["value"], node.attrs["dtype"].np)
        return constant_for(node, value, f"{node.name}/scalar").outputs[0]
    return None


def _without_expansion(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
    """An elementwise op reading broadcast_like(s, like) reads s itself, and one reading
    fill_like(x) reads its scalar, where it and another input provably have the result's
    shape (so no broadcast that could fail is left out): numpy's broadcasting does the
    rest, with no copy (ones_like(y) * g -> g * 1 -> g)."""
    inputs = list(node.inputs)
    result = node.outputs[0]
    for i, t in enumerate(inputs):
        if t.node.op not in ("broadcast_like", "fill_like") or \
                not uses.shapes.equal(t, result):
            continue
        if any(uses.shapes.equal(o, result) for j, o in enumerate(inputs) if j != i):
            replacement = _expansion(t, uses)
            if replacement is not None:
                inputs[i] = replacement
                return remade(node, node.op, tuple(inputs), node.attrs)
    return None


def _relu_of(reader: Node, x: Tensor, uses: Uses) -> bool:
    """Whether reader computes max(x, 0) as a ReLU does, or where(x > 0, x, 0): either way
    its result y has y > 0 exactly where x > 0 (NaN included: neither holds)."""
    if reader.outputs[0].type != x.type:
        return False
    if reader.op == "relu":
        return True
    if reader.op != "where" or reader.inputs[1] != x or not uses.is_zero(reader.inputs[2]):
        return False
    test = reader.inputs[0].node
    return test.op == "greater" and test.inputs[0] == x and uses.is_zero(test.inputs[1])


def _mask_of_relu(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
    """where(x > 0, g, z) -> where(y > 0, g, z), where an earlier node makes y = relu(x)
    (however spelled): the same mask, read from the ReLU's result, so x keeps one reader
    and the matmul making x can take the ReLU as its epilogue (the gradient of
    where(x > 0, x, 0) is such a mask)."""
    x = m["x"]
    for reader in uses.earlier_readers(x):
        if reader is not node and _relu_of(reader, x, uses):
            test = m["test"].node
            mask = dataclasses.replace(test, inputs=(reader.outputs[0], test.inputs[1]),
                                       name=f"{test.name}/of_relu", origin=user_nodes(test))
            return remade(node, "where", (mask.outputs[0], *node.inputs[1:]), node.attrs)
    return None


def _transposed(side: int) -> Pattern:
    operands = [value(), value()]
    operands[side] = op("transpose", value("t"))
    return op("matmul", *operands)


RULES: list[tuple[Pattern, Build]] = [
    # constants to the right: 2 * x -> x * 2, 0 < x -> x > 0. (maximum and minimum of two
    # zeros of different signs give the second; with the constant moved, the other one)
    (op({*COMMUTATIVE, *MIRRORED}, constant("c"), computed("x")), _constant_right),
    # identities: x * 1, x / 1, x + 0, x - 0, x ** 1 -> x (x + 0 turns -0.0 into +0.0; the
    # rule keeps x's -0.0)
    (op(("multiply", "divide", "pow"), value("x"), scalar(1.0)), _same("x")),
    (op("add", value("x"), scalar(0.0), commutative=False), _same("x")),
    (op("subtract", value("x"), zero()), _same("x")),  # (x - (-0.0) is x + 0.0: kept)
    # signs: --x -> x; a - (-b) -> a + b; a + (-b) -> a - b
    (op("negative", op("negative", value("x"))), _same("x")),
    (op("subtract", value("a"), op("negative", value("b"))), _as("add", "a", "b")),
    (op("add", value("a"), op("negative", value("b"))), _as("subtract", "a", "b")),
    # x ** 2 -> square(x) (the same rounding: one product)
    (op("pow", value("x"), scalar(2.0)), _as("square", "x")),
    # maximum(x, 0) -> relu(x), when the zeros do not widen x (maximum(0, x) arrives here
    # with its constant moved right; its gradient is already ReLU's: ops/elementwise.py)
    (op("maximum", value("x"), zero(), commutative=False), _same_type_as("relu", "x")),
    # a transpose feeding a matmul becomes its transpose flag
    (_transposed(0), _fold_transpose(0)),
    (_transposed(1), _fold_transpose(1)),
    # shape adjustments between tensors whose shapes are provably equal disappear
    # (passes/symbolic.py), and so do broadcasts that elementwise broadcasting makes
    (op(("sum_to", "broadcast_like", "reshape_like"), value("x"), value()), _same_shape),
    (op(OpNames(lambda d: d.elementwise)), _without_expansion),
    (op("fill_like", value("x")), _filled),
    # a ReLU's gradient mask reads the ReLU's result, not its input
    (op("where", op("greater", value("x"), zero(), bind="test"), value(), value()),
     _mask_of_relu),
]

canonicalize_node = pattern_rules(RULES)


def canonicalize(program: Program) -> Program:
    """One sweep of constant folding and the rules (the pipeline repeats it)."""
    return rewrite(program, [fold_node, canonicalize_node])
