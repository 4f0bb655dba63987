"""Common-subexpression elimination, row by row: each row builds a graph and names the ops
the stage must leave (an op repeating an earlier one on the same inputs, control inputs
and attributes is merged; state and randomness never are), and the results and variables
must not change."""

from collections import Counter

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import assert_same_with_and_without_passes, ops_of

rng = np.random.default_rng(0)


def _twice_under_control(x):
    v = gc.Variable(np.zeros(3))
    with gc.control_dependencies([v.assign_add(np.ones(3))]):
        ordered = gc.exp(x)
    return [gc.exp(x) + ordered]


def _assigned_twice(x):
    v = gc.Variable(np.zeros(3))
    return [v.assign_add(gc.reduce_sum(x, axis=0)), v.assign_add(gc.reduce_sum(x, axis=0))]


# (id, build from a placeholder x of shape (None, 3) -> fetches, the ops the stage leaves
# but for constants and variables)
RULES = [
    ("exp(x) three times", lambda x: [gc.exp(x) + gc.exp(x) * gc.reduce_sum(gc.exp(x))],
     {"exp": 1, "reduce_sum": 1, "multiply": 1, "add": 1}),
    ("a chain twice", lambda x: [gc.exp(gc.sin(x)) - gc.exp(gc.sin(x))],
     {"sin": 1, "exp": 1, "subtract": 1}),
    ("equal attributes", lambda x: [gc.reduce_sum(x, axis=1) * gc.reduce_sum(x, axis=1)],
     {"reduce_sum": 1, "multiply": 1}),
    ("equal arrays", lambda x: [x * np.arange(3.0) - x * np.arange(3.0)],
     {"multiply": 1, "subtract": 1}),
    ("other inputs kept", lambda x: [gc.exp(x) + gc.exp(x * 2.0)],
     {"exp": 2, "multiply": 1, "add": 1}),
    ("other attributes kept", lambda x: [
        gc.reduce_sum(x, axis=1, keepdims=True) * gc.reduce_sum(x, axis=1)],
     {"reduce_sum": 2, "multiply": 1}),
    ("other arrays kept", lambda x: [x * np.arange(3.0) - x * np.arange(1.0, 4.0)],
     {"multiply": 2, "subtract": 1}),
    ("other control inputs kept", _twice_under_control,
     {"exp": 2, "add": 2, "assign": 1}),
    ("random ops kept", lambda x: [x + gc.random_normal((3,), seed=1, dtype=gc.float64) -
                                   gc.random_normal((3,), seed=1, dtype=gc.float64)],
     {"random_normal": 2, "add": 1, "subtract": 1}),
    # (the two sums of v and the same value are one: v reads its value from the run's start)
    ("assignments kept", _assigned_twice, {"reduce_sum": 1, "add": 1, "assign": 2}),
]


@pytest.mark.parametrize("build, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(build, expected):
    x = gc.placeholder(gc.float64, (None, 3))
    fetches = build(x)
    program = build_program(fetches, feeds=[x], until="eliminate_common_subexpressions")
    left = Counter(op for op in ops_of(program) if op not in ("constant", "variable"))
    assert left == Counter({op: n for op, n in expected.items() if n})
    assert_same_with_and_without_passes(fetches, {x: rng.standard_normal((4, 3))},
                                        then=gc.global_variables())
