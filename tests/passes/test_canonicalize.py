"""Canonicalization, rule by rule: each row builds a graph, names the form the canonicalize
stage must leave, and checks the value against the unoptimized run (bit for bit: every rule
keeps values exactly, for these inputs). The one-off tests after the table: fed and ordered
values, the stages drawn one by one, a ReLU mask under NaN and zeros of both signs."""

import numpy as np
import pytest

import graphc as gc
from graphc.ops.constant import FILL_LIKE
from graphc.ops.core import apply
from graphc.ops.shape import broadcast_like, reshape_like, sum_to
from graphc.passes.pipeline import build_program

rng = np.random.default_rng(0)


def form(t, names):
    """The computation of t as nested tuples: ops by name (a matmul with its flags),
    placeholders by their name in `names`, scalar constants by value."""
    node = t.node
    if t in names:
        return names[t]
    if node.op == "constant" and np.ndim(node.attrs["value"]) == 0:
        return float(node.attrs["value"])
    op = node.op
    if op == "matmul":
        op += "".join(f"[{f}]" for f in ("transpose_a", "transpose_b") if node.attrs[f])
    return (op, *(form(i, names) for i in node.inputs))


def x_like():
    return gc.placeholder(gc.float64, (None, 3), name="x")


W = np.eye(3)


def relu_where(x):
    return gc.where(x > 0.0, x, 0.0)


RELU_WHERE = ("where", ("greater", "x", 0.0), "x", 0.0)  # relu_where(x)'s form


def fill_like(x, value):
    """fill_like(x) itself (zeros_like and ones_like make a fill where x's shape is known, as
    a graph file or a rule's result need not)."""
    return apply(FILL_LIKE, x, value=value, dtype=x.dtype)


# (id, build from placeholders x and y, the canonical form). Each rule has a row, and rows
# ending in "kept" show where it must not apply.
RULES = [
    # constant folding
    ("constants fold", lambda x, y: x + gc.constant(2.0, gc.float64) * gc.exp(
        gc.constant(0.0, gc.float64)), ("add", "x", 2.0)),
    # constants to the right
    ("2 * x", lambda x, y: 2.0 * x, ("multiply", "x", 2.0)),
    ("0 < x", lambda x, y: gc.less(0.0, x), ("greater", "x", 0.0)),
    ("0 >= x", lambda x, y: gc.greater_equal(0.0, x), ("less_equal", "x", 0.0)),
    ("0 - x kept", lambda x, y: 0.0 - x, ("subtract", 0.0, "x")),
    ("1 / x kept", lambda x, y: 1.0 / x, ("divide", 1.0, "x")),
    # identities
    ("x * 1", lambda x, y: x * 1.0 + y, ("add", "x", "y")),
    ("1 * x", lambda x, y: 1.0 * x + y, ("add", "x", "y")),
    ("x / 1", lambda x, y: x / 1.0 + y, ("add", "x", "y")),
    ("x ** 1", lambda x, y: x ** 1.0 + y, ("add", "x", "y")),
    ("x + 0", lambda x, y: (x + 0.0) * y, ("multiply", "x", "y")),
    ("0 + x", lambda x, y: (0.0 + x) * y, ("multiply", "x", "y")),
    ("x - 0", lambda x, y: (x - 0.0) * y, ("multiply", "x", "y")),
    # signs
    ("--x", lambda x, y: gc.negative(gc.negative(x)) * y, ("multiply", "x", "y")),
    ("a - (-b)", lambda x, y: x - (-y), ("add", "x", "y")),
    ("a + (-b)", lambda x, y: x + (-y), ("subtract", "x", "y")),
    ("(-b) + a", lambda x, y: (-y) + x, ("subtract", "x", "y")),
    # squares and ReLUs
    ("x ** 2", lambda x, y: x ** 2.0, ("square", "x")),
    ("maximum(x, zeros(1))", lambda x, y: gc.maximum(x, gc.zeros(1, gc.float64)), ("relu", "x")),
    ("maximum(0, x)", lambda x, y: gc.maximum(0.0, x), ("relu", "x")),
    ("maximum(0, x * 1) + 0", lambda x, y: gc.maximum(0.0, x * 1.0) + 0.0, ("relu", "x")),
    ("maximum(x, 0.5) kept", lambda x, y: gc.maximum(0.5, x), ("maximum", "x", 0.5)),
    # transposes into matmul flags
    ("matmul(transpose(x), y)", lambda x, y: gc.matmul(gc.transpose(x), y),
     ("matmul[transpose_a]", "x", "y")),
    ("matmul(x, transpose(y))", lambda x, y: gc.matmul(x, gc.transpose(y)),
     ("matmul[transpose_b]", "x", "y")),
    # shape adjustments to a provably equal shape (one placeholder's batch is one symbol,
    # through elementwise ops and matmuls; two placeholders' batches may differ)
    ("sum_to(exp(x) * 2, x @ w)", lambda x, y: sum_to(gc.exp(x) * 2.0, x @ W),
     ("multiply", ("exp", "x"), 2.0)),
    ("broadcast_like(x * 2, exp(x))", lambda x, y: broadcast_like(x * 2.0, gc.exp(x)),
     ("multiply", "x", 2.0)),
    ("reshape_like(x * 2, exp(x))", lambda x, y: reshape_like(x * 2.0, gc.exp(x)),
     ("multiply", "x", 2.0)),
    ("sum_to(x - y, x) kept", lambda x, y: sum_to(x - y, x),
     ("sum_to", ("subtract", "x", "y"), "x")),
    ("reshape_like(x, y) kept", lambda x, y: reshape_like(x, y), ("reshape_like", "x", "y")),
    # expansions broadcasting does anyway
    ("broadcast_like(sum(y, 0), x, (0,)) * x", lambda x, y: broadcast_like(
        gc.reduce_sum(y, axis=0), x, axes=(0,)) * x, ("multiply", ("reduce_sum", "y"), "x")),
    ("broadcast_like(1, x) * (x * 2)", lambda x, y: broadcast_like(
        gc.ones_like(gc.reduce_sum(x)), x, axes=(0, 1)) * (x * 2.0), ("multiply", "x", 2.0)),
    ("broadcast_like(sum(y, 0), x, (0,)) * y kept", lambda x, y: broadcast_like(
        gc.reduce_sum(y, axis=0), x, axes=(0,)) * y,
     ("multiply", ("broadcast_like", ("reduce_sum", "y"), "x"), "y")),
    ("broadcast_like(sum(x, 1), x, (1,)) + x kept", lambda x, y: broadcast_like(
        gc.reduce_sum(x, axis=1), x, axes=(1,)) + x,
     ("add", ("broadcast_like", ("reduce_sum", "x"), "x"), "x")),
    ("ones_like(x) - x", lambda x, y: gc.ones_like(x) - x, ("subtract", 1.0, "x")),
    ("ones_like(x) - y kept", lambda x, y: gc.ones_like(x) - y,
     ("subtract", ("fill_like", "x"), "y")),
    # fill_like of a known shape
    ("sum(fill_like(sum(x, 0), 2)) + y", lambda x, y: gc.reduce_sum(
        fill_like(gc.reduce_sum(x, axis=0), 2.0)) + y, ("add", "y", 6.0)),
    ("fill_like(x, 1) + y kept", lambda x, y: fill_like(x, 1.0) + y,
     ("add", ("fill_like", "x"), "y")),
    # a ReLU's gradient mask reads the ReLU
    ("relu(x) + where(x > 0, y, 0)", lambda x, y: gc.relu(x) + gc.where(x > 0.0, y, 0.0),
     ("add", ("relu", "x"), ("where", ("greater", ("relu", "x"), 0.0), "y", 0.0))),
    ("where(x > 0, x, 0) * where(x > 0, y, 0)",
     lambda x, y: relu_where(x) * gc.where(x > 0.0, y, 0.0),
     ("multiply", RELU_WHERE, ("where", ("greater", RELU_WHERE, 0.0), "y", 0.0))),
    ("exp(x) + where(x > 0, y, 0) kept", lambda x, y: gc.exp(x) + gc.where(x > 0.0, y, 0.0),
     ("add", ("exp", "x"), ("where", ("greater", "x", 0.0), "y", 0.0))),
]


@pytest.mark.parametrize("build, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(build, expected):
    x, y = x_like(), gc.placeholder(gc.float64, (None, 3), name="y")
    out = build(x, y)
    program = build_program([out], feeds=[x, y], until="canonicalize")
    assert form(program.fetches[0], {x: "x", y: "y"}) == expected
    feeds = {x: rng.standard_normal((4, 3)), y: rng.standard_normal((4, 3))}
    feeds[x][0, :] = [0.0, -0.0, 1.0]  # zeros of both signs
    with gc.Session() as on, gc.Session(optimize=False) as off:
        np.testing.assert_array_equal(on.run(out, feeds), off.run(out, feeds))


def test_transposes_become_matmul_flags_over_two_sweeps():
    a = gc.placeholder(gc.float64, (4, 3))
    b = gc.placeholder(gc.float64, (5, 4))
    y = gc.matmul(gc.transpose(a), gc.transpose(b))
    program = build_program([y], feeds=[a, b], until="canonicalize")
    assert form(program.fetches[0], {a: "a", b: "b"}) == ("matmul[transpose_a][transpose_b]",
                                                          "a", "b")
    feeds = {a: rng.standard_normal((4, 3)), b: rng.standard_normal((5, 4))}
    with gc.Session() as on, gc.Session(optimize=False) as off:
        np.testing.assert_array_equal(on.run(y, feeds), off.run(y, feeds))


def test_fed_and_ordered_values_are_left_alone():
    x = x_like()
    one = gc.constant(1.0, gc.float64)
    assert form(build_program([x * one], feeds=[x, one], until="canonicalize").fetches[0],
                {x: "x", one: "one"}) == ("multiply", "x", "one")
    v = gc.Variable(np.zeros(3))
    two = gc.constant(2.0, gc.float64)
    with gc.control_dependencies([v.assign([1.0, 2.0, 3.0])]):
        y = two * x  # (both inputs made outside: y itself waits for the assignment)
    assert y.node.control_inputs
    program = build_program([y], feeds=[x], until="canonicalize")
    assert form(program.fetches[0], {x: "x"})[1:] == (2.0, "x")  # not reordered


def test_the_stages_can_be_drawn_one_by_one_and_unknown_names_are_refused():
    x = x_like()
    y = gc.exp(gc.maximum(0.0, x * 1.0))
    stages = [build_program([y], feeds=[x], until=stage).schedule
              for stage in ("canonicalize", "fuse_elementwise")]
    assert [n.op for n in stages[0]] == ["relu", "exp"]
    assert [n.op for n in stages[1]] == ["fused_elementwise"]
    with pytest.raises(ValueError, match=r"unknown passes \['simplify'\]"):
        build_program([y], feeds=[x], until="simplify")


@pytest.mark.parametrize("relu", [gc.relu, lambda h: gc.where(h > 0, h, 0.0)],
                         ids=["relu(h)", "where(h > 0, h, 0.0)"])
def test_a_relu_gradient_mask_reads_the_relu_and_keeps_its_values(relu):
    x = x_like()
    w = gc.placeholder(gc.float64, (3, 3), name="w")
    h = x @ w
    y = relu(h)
    mask = gc.where(h > 0, gc.exp(x), 0.0)  # a mask of h, as where's gradient writes it
    program = build_program([y, mask], feeds=[x, w], until="canonicalize")
    test = program.fetches[1].node.inputs[0].node
    assert test.op == "greater" and test.inputs[0] == program.fetches[0]  # reads y, not h
    # h > 0 and y > 0 agree everywhere, NaN and both zeros included
    feeds = {x: np.array([[np.nan, 1.0, 0.0], [-0.0, -1.0, 2.0]]), w: np.eye(3)}
    with gc.Session() as on, gc.Session(optimize=False) as off:
        for got, want in zip(on.run([y, mask], feeds), off.run([y, mask], feeds)):
            np.testing.assert_array_equal(got, want)
