"""The update fold, row by row: beta * w ± s * (a @ b) assigned back to the variable w
becomes one matmul_add (a gemm into w), in every spelling; each row names the fold it
must make, or none, and the assigned values must not change. After the table: SGD
steps, a chain of updates, and the updates it leaves to the elementwise loop."""

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import (assert_same_with_and_without_passes, ops_of,
                                  results_with_and_without_passes)

rng = np.random.default_rng(3)


def folds(program, names):
    """(inputs named by `names`, subtract, scale, beta) of each matmul_add, scale and beta
    by value."""
    def name(t):
        return names.get(t, t.node.op)
    return [(tuple(name(t) for t in n.inputs[:3]), n.attrs["subtract"],
             *(float(t.node.attrs["value"]) for t in n.inputs[3:])) for n in program.schedule
            if n.op == "matmul_add"]


def _read_after(a, b, c, w, v):
    new = w - 0.5 * (a @ b)
    return [w.assign(new), new * w]  # (w's value is read after the update)


def _product_under_control(a, b, c, w, v):
    with gc.control_dependencies([v.assign_add(np.ones((3, 2)))]):
        product = a @ b
    return [w.assign(w - 0.5 * product)]  # (the fold keeps the product's control input)


def _scaled_product_fetched(a, b, c, w, v):
    step = 0.5 * (a @ b)
    return [w.assign(w - step), step]


AB = ("a", "b", "w")  # the product a @ b into w
# (id, build from placeholders a (3, 4), b (4, 2), c (3, 2) and variables w, v (3, 2) ->
# fetches, the folds as (inputs, subtract, scale, beta))
RULES = [
    ("w - lr * (a @ b)", lambda a, b, c, w, v: [w.assign(w - 0.5 * (a @ b))],
     [(AB, True, 0.5, 1.0)]),
    ("w - (a @ b) * lr", lambda a, b, c, w, v: [w.assign(w - (a @ b) * 0.5)],
     [(AB, True, 0.5, 1.0)]),
    ("w - a @ b", lambda a, b, c, w, v: [w.assign(w - a @ b)], [(AB, True, 1.0, 1.0)]),
    ("w + a @ b", lambda a, b, c, w, v: [w.assign(w + a @ b)], [(AB, False, 1.0, 1.0)]),
    ("a @ b + w", lambda a, b, c, w, v: [w.assign(a @ b + w)], [(AB, False, 1.0, 1.0)]),
    ("mu * w + a @ b, momentum", lambda a, b, c, w, v: [w.assign(0.9 * w + a @ b)],
     [(AB, False, 1.0, 0.9)]),
    ("lr * (a @ b) + w * mu", lambda a, b, c, w, v: [w.assign(0.5 * (a @ b) + w * 0.9)],
     [(AB, False, 0.5, 0.9)]),
    ("w * decay - lr * (a @ b), weight decay", lambda a, b, c, w, v: [
        w.assign(w * 0.9 - 0.5 * (a @ b))], [(AB, True, 0.5, 0.9)]),
    ("a product made under a control dependency", _product_under_control,
     [(AB, True, 0.5, 1.0)]),
    ("(a @ b) - w kept", lambda a, b, c, w, v: [w.assign(a @ b - w)], []),
    ("c - lr * (a @ b), no variable, kept", lambda a, b, c, w, v: [c - 0.5 * (a @ b)], []),
    ("another variable's update kept", lambda a, b, c, w, v: [v.assign(w - 0.5 * (a @ b))],
     []),
    ("w read after its update kept", _read_after, []),
    ("the product fetched kept", lambda a, b, c, w, v: [w.assign(w - a @ b), a @ b], []),
    ("the scaled product fetched kept", _scaled_product_fetched, []),
    ("a scale that is no scalar kept", lambda a, b, c, w, v: [
        w.assign(w - np.full((3, 2), 0.5) * (a @ b))], []),
]


@pytest.mark.parametrize("build, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(build, expected):
    a, b = gc.placeholder(gc.float64, (3, 4)), gc.placeholder(gc.float64, (4, 2))
    c = gc.placeholder(gc.float64, (3, 2))
    w, v = gc.Variable(rng.standard_normal((3, 2))), gc.Variable(rng.standard_normal((3, 2)))
    fetches = build(a, b, c, w, v)
    program = build_program(fetches, feeds=[a, b, c], until="fold_update")
    assert folds(program, {a: "a", b: "b", w: "w", v: "v"}) == expected
    feeds = {a: rng.standard_normal((3, 4)), b: rng.standard_normal((4, 2)),
             c: rng.standard_normal((3, 2))}
    assert_same_with_and_without_passes(fetches, feeds, then=[w, v])


def _sgd_graph(batch=None):
    x = gc.placeholder(gc.float64, (batch, 5))
    w = gc.Variable(rng.standard_normal((5, 3)))
    loss = gc.reduce_sum(gc.square(x @ w))
    (grad,) = gc.gradients(loss, [w])
    return x, w, loss, grad, w.assign_sub(0.01 * grad)


def test_an_sgd_update_folds_into_one_matmul_add():
    x, w, loss, _, update = _sgd_graph()
    program = build_program([loss], [update.node], [x])
    (node,) = [n for n in program.schedule if n.op == "matmul_add"]
    assert node.attrs["subtract"] and node.attrs["transpose_a"]
    assert [n.op for n in node.origin] == ["matmul", "multiply", "subtract"]
    assert "matmul_add" not in ops_of(build_program([loss], [update.node], [x],
                                                    disabled=["fold_update"]))
    value = rng.standard_normal((4, 5))
    fused, plain = results_with_and_without_passes([loss, update], {x: value})
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-14)


def test_no_fold_when_the_gradient_is_fetched_too():
    x, w, loss, grad, update = _sgd_graph()
    assert "matmul_add" not in ops_of(build_program([grad], [update.node], [x]))


def test_where_no_fold_is_made_the_product_takes_the_tail_as_its_epilogue():
    # gemm writes into the accumulator only when it is a variable the sum is assigned back
    # to; any other accumulator it would copy (and scale) first, which costs more than a
    # product into the workspace and the elementwise tail (here the product's epilogue)
    a, b = gc.placeholder(gc.float64, (3, 4)), gc.placeholder(gc.float64, (4, 2))
    c = gc.placeholder(gc.float64, (3, 2))
    w, v = gc.Variable(np.ones((3, 2))), gc.Variable(np.zeros((3, 2)))
    for targets in ([c - 0.5 * gc.matmul(a, b)],             # not a variable
                    [v.assign(w - 0.5 * gc.matmul(a, b))]):  # another variable's update
        ops = ops_of(build_program(targets, feeds=[a, b, c]))
        assert "matmul_add" not in ops and {"matmul", "matmul_epilogue"} & set(ops)


def test_a_chain_of_updates_folds_in_one_sweep():
    # each product reads the update before it, so each add is rebuilt in the sweep that
    # folds the one before: the fold must still find the assignment it feeds
    a = gc.placeholder(gc.float64, (3, 3))
    value, updates = a, []
    for w in [gc.Variable(np.eye(3) * 0.5) for _ in range(60)]:  # (a sweep each: > 50)
        value = w.assign(w - 0.01 * gc.matmul(value, a))
        updates.append(value)
    assert ops_of(build_program(updates, feeds=[a])).count("matmul_add") == 60


def test_an_l2_loss_gradient_is_a_product_and_one_loop():
    # TensorFlow's weight decay: loss + wd * l2_loss(w). The gradient x^T @ d + 2 w (wd / 2)
    # feeds w's update, so the product goes to the workspace and the sum, scale and
    # update are one loop over w
    x = gc.placeholder(gc.float64, (None, 5))
    w = gc.Variable(rng.standard_normal((5, 3)))
    loss = gc.reduce_sum(gc.square(x @ w)) + 1e-2 * gc.nn.l2_loss(w)
    step = gc.train.GradientDescentOptimizer(0.1).minimize(loss)
    program = build_program([loss], [step], [x])
    assert "matmul_add" not in ops_of(program)
    (update,) = [n.inputs[0].node for n in program.schedule if n.op == "assign"]
    assert update.op == "fused_elementwise" and \
        {t.node.op for t in update.inputs} >= {"variable", "matmul"}
    value = rng.standard_normal((4, 5))
    fused, plain = results_with_and_without_passes([loss, step], {x: value})
    np.testing.assert_allclose(fused[0], plain[0], rtol=1e-14)
