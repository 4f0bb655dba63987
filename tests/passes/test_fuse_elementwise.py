"""Elementwise fusion and the update fold: where they apply, where they must not, and that
results do not change."""

import numpy as np

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import ops_of, results_with_and_without_passes

rng = np.random.default_rng(3)


def test_a_chain_of_elementwise_ops_becomes_one_fused_op():
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


def test_no_fusion_across_fetched_or_shared_intermediates():
    a, b = gc.placeholder(gc.float64, (3,)), gc.placeholder(gc.float64, (3,))
    d = a - b
    y = gc.exp(d) * 2.0
    assert "subtract" in ops_of(build_program([y, d], feeds=[a, b]))  # d is fetched
    z = gc.exp(d) * d  # d is read twice
    program = build_program([z], feeds=[a, b])
    assert ops_of(program) == ["subtract", "fused_elementwise"]
    values = {a: rng.standard_normal(3), b: rng.standard_normal(3)}
    fused, plain = results_with_and_without_passes(z, values)
    np.testing.assert_array_equal(fused, plain)


def test_ops_with_attributes_stay_unfused():
    a = gc.placeholder(gc.float64, (3,))
    y = gc.cast(gc.exp(a), gc.float32) * 2.0
    ops = [op for op in ops_of(build_program([y], feeds=[a])) if op != "constant"]
    assert ops == ["exp", "cast", "multiply"]


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


def test_no_fold_where_gemm_could_not_accumulate_in_place():
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
    assert "matmul_add" in ops_of(build_program([w.assign(w - 0.5 * gc.matmul(a, b))],
                                                feeds=[a, b]))


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


def test_no_fold_when_the_gradient_is_fetched_too():
    x, w, loss, grad, update = _sgd_graph()
    assert "matmul_add" not in ops_of(build_program([grad], [update.node], [x]))
