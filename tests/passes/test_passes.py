"""Constant folding, common-subexpression elimination and algebraic simplification: what
each rewrites, what it must leave alone, and that results never change."""

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import results_with_and_without_passes

rng = np.random.default_rng(0)


def ops_of(fetches, feeds, **options):
    return [n.op for n in build_program(fetches, (), feeds, **options).schedule]


def same_results(fetches, feeds):
    runs = results_with_and_without_passes(fetches, feeds)
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    return runs[0]


def test_constants_fold():
    x = gc.placeholder(gc.float64, (3,))
    y = x + gc.constant(2.0, gc.float64) * gc.exp(gc.constant(0.0, gc.float64))
    assert sorted(ops_of([y], [x])) == ["add", "constant"]  # the fed x is not scheduled
    assert "exp" not in ops_of([y], [x]) and "exp" in ops_of([y], [x], optimize=False)
    value = same_results([y], {x: np.array([1.0, 2.0, 3.0])})
    np.testing.assert_array_equal(value[0], [3.0, 4.0, 5.0])


def test_large_fills_and_failing_checks_are_not_folded():
    x = gc.placeholder(gc.float32, (300, 300))
    assert "fill" in ops_of([x + gc.zeros((300, 300))], [x])
    bad = gc.check_numerics(gc.constant(np.inf), "constant infinity")
    assert "check_numerics" in ops_of([bad], [])
    with gc.Session() as sess:
        with pytest.raises(gc.InvalidArgumentError, match="constant infinity"):
            sess.run(bad)


def test_common_subexpressions_merge():
    x = gc.placeholder(gc.float64, (3,))
    y = gc.exp(x) + gc.exp(x) * gc.reduce_sum(gc.exp(x))
    assert ops_of([y], [x]).count("exp") == 1
    assert ops_of([y], [x], optimize=False).count("exp") == 3
    same_results([y], {x: rng.standard_normal(3)})


def test_state_and_randomness_are_never_merged():
    r1 = gc.random_normal((3,), seed=1)
    r2 = gc.random_normal((3,), seed=1)
    assert ops_of([r1 - r2], []).count("random_normal") == 2
    v = gc.Variable(np.zeros(2))
    a1, a2 = v.assign_add([1.0, 1.0]), v.assign_add([1.0, 1.0])
    assert ops_of([a1, a2], []).count("assign") == 2


@pytest.mark.parametrize("build", [
    lambda x: x * 1, lambda x: 1.0 * x, lambda x: x + 0, lambda x: 0.0 + x, lambda x: x - 0,
    lambda x: x / 1, lambda x: gc.negative(gc.negative(x)),
], ids=["x*1", "1*x", "x+0", "0+x", "x-0", "x/1", "--x"])
def test_identities_disappear(build):
    x = gc.placeholder(gc.float64, (None, 3))
    y = gc.exp(build(x))
    assert ops_of([y], [x]) == ["exp"]
    same_results([y], {x: rng.standard_normal((2, 3))})


@pytest.mark.parametrize("build", [lambda x: 0.0 - x, lambda x: 1.0 / x, lambda x: x * 2],
                         ids=["0-x", "1/x", "x*2"])
def test_non_identities_are_kept(build):
    x = gc.placeholder(gc.float64, (3,))
    y = build(x)
    assert y.op.op in ops_of([y], [x])
    value = same_results([y], {x: np.array([1.0, 2.0, 4.0])})
    np.testing.assert_array_equal(value[0], build(np.array([1.0, 2.0, 4.0])))


def test_identities_that_broadcast_or_order_are_kept():
    x = gc.placeholder(gc.float64, (1,))
    assert "multiply" in ops_of([x * np.ones(3)], [x])  # the result is wider than x
    v = gc.Variable(np.zeros(1))
    with gc.control_dependencies([v.assign([1.0])]):
        y = x * 1
    assert "multiply" in ops_of([y], [x])


def test_pow_two_becomes_square():
    x = gc.placeholder(gc.float64, (3,))
    y = gc.pow(x, gc.constant(2.0, gc.float64))
    assert ops_of([y], [x]) == ["square"]
    same_results([y], {x: rng.standard_normal(3)})


def test_transposes_fold_into_matmul_flags():
    a = gc.placeholder(gc.float64, (4, 3))
    b = gc.placeholder(gc.float64, (5, 4))
    y = gc.matmul(gc.transpose(a), gc.transpose(b))
    program = build_program([y], (), [a, b])
    (node,) = [n for n in program.schedule if n.op == "matmul"]
    assert "transpose" not in [n.op for n in program.schedule]
    assert (node.attrs["transpose_a"], node.attrs["transpose_b"]) == (True, True)
    same_results([y], {a: rng.standard_normal((4, 3)), b: rng.standard_normal((5, 4))})


def test_each_pass_can_be_switched_off():
    x = gc.placeholder(gc.float64, (3,))
    y = gc.exp(x) * 1 + gc.exp(x)
    assert ops_of([y], [x], disabled=["canonicalize", "fuse_elementwise"]).count("multiply") == 1
    no_cse = ["eliminate_common_subexpressions", "fuse_elementwise"]
    assert ops_of([y], [x], disabled=no_cse).count("exp") == 2
    assert ops_of([y], [x], disabled=["fuse_elementwise"]) == ["exp", "add"]
    assert ops_of([y], [x]) == ["exp", "add"]  # exp feeds add twice: nothing to fuse


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_fed_constant_is_never_folded(backend):
    # feeding a constant replaces its value for the run (as in TensorFlow), so no pass may
    # use the value it was built with: folding, x*1, maximum(x, 0) as a ReLU
    k = gc.constant(np.ones(3))
    one = gc.constant(np.float64(1.0))
    x = gc.placeholder(gc.float64, (None, 3))
    zero = gc.zeros(1, dtype=gc.float64)
    w = gc.constant(np.eye(3))
    relu = gc.maximum(x @ w, zero)
    with gc.Session(backend=backend) as sess:
        np.testing.assert_array_equal(sess.run(k * 2, {k: np.zeros(3)}), np.zeros(3))
        np.testing.assert_array_equal(sess.run(x * one, {x: np.ones((1, 3)), one: 5.0}),
                                      np.full((1, 3), 5.0))
        np.testing.assert_array_equal(sess.run(relu, {x: -np.ones((1, 3)), zero: [-2.0]}),
                                      -np.ones((1, 3)))
        np.testing.assert_array_equal(sess.run(k * 2), np.full(3, 2.0))  # unfed: folded
