"""Elementwise fusion, row by row: each row builds a graph and names what the stage leaves
(each fused group as its expression), and the results must not change. After the table:
what a fused op records of the user's ops."""

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import (assert_same_with_and_without_passes, expression_names,
                                  ops_of, results_with_and_without_passes)

rng = np.random.default_rng(3)


def left(program):
    """Each scheduled node but constants: a fused one as its expression, any other by op."""
    return [expression_names(n.attrs["expression"]) if n.op == "fused_elementwise" else n.op
            for n in program.schedule if n.op != "constant"]


def _shared(a, b, c):
    d = a - b
    return [gc.exp(d) * 2.0, d]


# (id, build from placeholders a (3, 4), b (4,), c (3, 1) -> fetches, what is left)
RULES = [
    ("a chain", lambda a, b, c: [gc.exp(a - b) * c],
     [("multiply", ("exp", ("subtract", "x0", "x1")), "x2")]),
    ("a chain of one input", lambda a, b, c: [gc.exp(gc.sin(gc.cos(a)))],
     [("exp", ("sin", ("cos", "x0")))]),
    ("two producers, their inputs read once each", lambda a, b, c: [(a + b) * (a - b)],
     [("multiply", ("add", "x0", "x1"), ("subtract", "x0", "x1"))]),
    ("constants as inputs", lambda a, b, c: [gc.where(a > 0.0, a, 0.0) * 3.0],
     [("multiply", ("where", ("greater", "x0", "x1"), "x0", "x1"), "x2")]),
    ("a fetched intermediate kept", _shared, ["subtract", ("multiply", ("exp", "x0"), "x1")]),
    ("an intermediate read twice kept", lambda a, b, c: [gc.exp(a - b) * (a - b)],
     ["subtract", ("multiply", ("exp", "x0"), "x0")]),
    ("a value one op reads twice kept", lambda a, b, c: [(a * 2.0) + (a * 2.0)],
     ["multiply", "add"]),
    ("ops with attributes kept", lambda a, b, c: [gc.cast(gc.exp(a), gc.float32) * 2.0],
     ["exp", "cast", "multiply"]),
    ("a product kept", lambda a, b, c: [gc.matmul(a, gc.transpose(a)) * 2.0],
     ["matmul", "multiply"]),
]


@pytest.mark.parametrize("build, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(build, expected):
    a, b, c = (gc.placeholder(gc.float64, shape) for shape in ((3, 4), (4,), (3, 1)))
    fetches = build(a, b, c)
    assert left(build_program(fetches, feeds=[a, b, c], until="fuse_elementwise")) == expected
    assert_same_with_and_without_passes(fetches, {
        a: rng.standard_normal((3, 4)), b: rng.standard_normal(4),
        c: rng.standard_normal((3, 1))})


def test_a_fused_op_stands_for_the_users_ops():
    a, b, c = (gc.placeholder(gc.float64, shape) for shape in ((3, 4), (4,), (3, 1)))
    y = gc.exp(a - b) * c
    program = build_program([y], feeds=[a, b, c])
    assert ops_of(program) == ["fused_elementwise"]
    (node,) = program.schedule
    assert [n.op for n in node.origin] == ["subtract", "exp", "multiply"]
    assert node.attrs["expression"] == (
        "multiply", "float64", ("exp", "float64", ("subtract", "float64", ("input", 0),
                                                   ("input", 1))), ("input", 2))
    assert node.inputs == (a, b, c)
    values = {a: rng.standard_normal((3, 4)), b: rng.standard_normal(4),
              c: rng.standard_normal((3, 1))}
    fused, plain = results_with_and_without_passes(y, values)
    np.testing.assert_array_equal(fused, plain)
    np.testing.assert_allclose(fused, np.exp(values[a] - values[b]) * values[c], rtol=1e-15)


