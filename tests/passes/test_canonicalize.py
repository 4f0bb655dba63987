"""Canonicalization, rule by rule: each row builds a graph, names the form the canonicalize
stage must leave, and checks the value against the unoptimized run (bit for bit: every rule
keeps values exactly, for these inputs)."""

import numpy as np
import pytest

import graphc as gc
from graphc.ops.shape import broadcast_like, sum_to
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


# (id, build from placeholders x and y, the canonical form)
RULES = [
    ("2 * x", lambda x, y: 2.0 * x, ("multiply", "x", 2.0)),
    ("0 < x", lambda x, y: gc.less(0.0, x), ("greater", "x", 0.0)),
    ("0 >= x", lambda x, y: gc.greater_equal(0.0, x), ("less_equal", "x", 0.0)),
    ("x * 1", lambda x, y: x * 1.0 + y, ("add", "x", "y")),
    ("1 * x", lambda x, y: 1.0 * x + y, ("add", "x", "y")),
    ("x / 1", lambda x, y: x / 1.0 + y, ("add", "x", "y")),
    ("x ** 1", lambda x, y: x ** 1.0 + y, ("add", "x", "y")),
    ("0 + x", lambda x, y: (0.0 + x) * y, ("multiply", "x", "y")),
    ("x - 0", lambda x, y: (x - 0.0) * y, ("multiply", "x", "y")),
    ("--x", lambda x, y: gc.negative(gc.negative(x)) * y, ("multiply", "x", "y")),
    ("a - (-b)", lambda x, y: x - (-y), ("add", "x", "y")),
    ("a + (-b)", lambda x, y: x + (-y), ("subtract", "x", "y")),
    ("(-b) + a", lambda x, y: (-y) + x, ("subtract", "x", "y")),
    ("x ** 2", lambda x, y: x ** 2.0, ("square", "x")),
    ("maximum(x, zeros(1))", lambda x, y: gc.maximum(x, gc.zeros(1, gc.float64)), ("relu", "x")),
    ("maximum(0, x)", lambda x, y: gc.maximum(0.0, x), ("relu", "x")),
    ("maximum(0, x * 1) + 0", lambda x, y: gc.maximum(0.0, x * 1.0) + 0.0, ("relu", "x")),
    ("maximum(x, 0.5)", lambda x, y: gc.maximum(0.5, x), ("maximum", "x", 0.5)),
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


def canonical(t, names):
    return form(build_program([t], feeds=list(names), until="canonicalize").fetches[0], names)


def test_same_shape_adjustments_disappear_where_the_shapes_are_provably_equal():
    x = gc.placeholder(gc.float64, (2, 3))
    assert canonical(sum_to(x * 2.0, x), {x: "x"}) == ("multiply", "x", 2.0)
    # one placeholder's batch dimension is one symbol, through elementwise ops and matmuls
    a = gc.placeholder(gc.float64, (None, 3))
    w = gc.placeholder(gc.float64, (3, 3))
    assert canonical(sum_to(gc.exp(a) * 2.0, a @ w), {a: "a", w: "w"}) == \
        ("multiply", ("exp", "a"), 2.0)
    # two placeholders' batch dimensions may differ (or one may be 1 and broadcast)
    b = gc.placeholder(gc.float64, (None, 3))
    assert canonical(sum_to(a - b, a), {a: "a", b: "b"})[0] == "sum_to"


def test_a_broadcast_that_broadcasting_would_do_disappears():
    a = gc.placeholder(gc.float64, (None, 3))
    ones = gc.ones_like(gc.reduce_sum(a))  # a scalar of a known shape: a constant 1
    g = broadcast_like(ones, a, axes=(0, 1)) * (a * 2.0)
    assert canonical(g, {a: "a"}) == ("multiply", "a", 2.0)
    b = gc.placeholder(gc.float64, (None, 3))
    widened = broadcast_like(ones, a, axes=(0, 1)) * b  # b's batch may be 1: kept
    assert canonical(widened, {a: "a", b: "b"})[0] == "multiply" and \
        canonical(widened, {a: "a", b: "b"})[1][0] == "broadcast_like"


def test_fed_and_ordered_values_are_left_alone():
    x = x_like()
    one = gc.constant(1.0, gc.float64)
    assert form(build_program([x * one], feeds=[x, one], until="canonicalize").fetches[0],
                {x: "x", one: "one"}) == ("multiply", "x", "one")
    v = gc.Variable(np.zeros(3))
    with gc.control_dependencies([v.assign([1.0, 2.0, 3.0])]):
        y = 2.0 * x
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
