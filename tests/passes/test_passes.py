"""The pipeline's edge cases: folds it must not make (large fills, failing checks, fed
constants, identities that widen or are ordered) and stages switched off. The rules
themselves: a table per pass (test_canonicalize.py, test_eliminate_common_subexpressions.py,
test_fold_update.py, ...)."""

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program


def ops_of(fetches, feeds, **options):
    return [n.op for n in build_program(fetches, (), feeds, **options).schedule]


def test_large_fills_and_failing_checks_are_not_folded():
    x = gc.placeholder(gc.float32, (300, 300))
    assert "fill" in ops_of([x + gc.zeros((300, 300))], [x])
    bad = gc.check_numerics(gc.constant(np.inf), "constant infinity")
    assert "check_numerics" in ops_of([bad], [])
    with gc.Session() as sess:
        with pytest.raises(gc.InvalidArgumentError, match="constant infinity"):
            sess.run(bad)


def test_identities_that_broadcast_or_order_are_kept():
    x = gc.placeholder(gc.float64, (1,))
    assert "multiply" in ops_of([x * np.ones(3)], [x])  # the result is wider than x
    v = gc.Variable(np.zeros(1))
    one = gc.constant(1.0, gc.float64)
    with gc.control_dependencies([v.assign([1.0])]):
        y = x * one  # (both inputs made outside: y itself waits for the assignment)
    assert "multiply" in ops_of([y], [x])


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


def _train_step(under_update):
    """A ReLU layer's training step, with `minimize` called inside control_dependencies on
    a counter's update (batch norm's UPDATE_OPS idiom) or outside."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 5))
        w = gc.Variable(np.linspace(-1, 1, 15).reshape(5, 3))
        count = gc.Variable(0.0)
        loss = gc.reduce_mean(gc.square(gc.maximum(gc.matmul(x, w), 0.0)))
        update = count.assign_add(1.0)
        optimizer = gc.train.GradientDescentOptimizer(0.1)
        if under_update:
            with gc.control_dependencies([update]):
                train = optimizer.minimize(loss)
        else:
            train = gc.group(optimizer.minimize(loss), update)
    return graph, x, w, count, train


SOURCES = ("constant", "fill", "no_op", "variable")


def test_a_step_built_under_control_dependencies_compiles_as_one_built_outside():
    programs, values = [], []
    for under_update in (True, False):
        graph, x, w, count, train = _train_step(under_update)
        with graph.as_default():
            program = build_program([], [train], [x])
            programs.append(sorted(n.op for n in program.schedule if n.op not in SOURCES))
            with gc.Session() as sess:
                sess.run(gc.global_variables_initializer())
                for _ in range(2):
                    sess.run(train, {x: np.arange(10.0).reshape(2, 5) - 4})
                values.append(sess.run([w, count]))
    # (a constant fill with control inputs stays a fill, and a group is one no_op more)
    assert programs[0] == programs[1] == ["add", "assign", "assign", "broadcast_like",
                                          "fused_elementwise", "matmul_add",
                                          "matmul_epilogue", "reduction_count"]
    np.testing.assert_array_equal(values[0][0], values[1][0])
    assert values[0][1] == values[1][1] == 2.0


def _outcomes(build, run):
    """run(session, *built) with every pass and with none: its result or its error."""
    outcomes = []
    for optimize in (True, False):
        graph = gc.Graph()
        with graph.as_default():
            built = build()
            with gc.Session(optimize=optimize) as sess:
                sess.run(gc.global_variables_initializer())
                try:
                    outcomes.append(run(sess, *built))
                except gc.InvalidArgumentError as err:
                    outcomes.append(str(err).rsplit(": ", 2)[-2])
    return outcomes


def test_a_constant_made_inside_control_dependencies_keeps_them_when_it_folds():
    def build():
        v = gc.Variable(np.float64(0.0))
        first = v.assign(gc.constant(1.0, gc.float64))
        with gc.control_dependencies([first]):
            second = v.assign(gc.constant(2.0, gc.float64) * 3.0)  # (the 2.0 waits)
        return v, gc.group(second, first)

    def run(sess, v, step):
        sess.run(step)
        return float(sess.run(v))
    assert _outcomes(build, run) == [6.0, 6.0]  # the later assignment wins


def test_a_check_in_a_branch_runs_though_the_step_reads_only_its_shape():
    def build():
        x = gc.placeholder(gc.float64, (4, 3))
        w = gc.Variable(np.ones((3, 3)))
        h = gc.matmul(x, w)
        checked = gc.cond(gc.constant(True), lambda: gc.check_numerics(h, "h is bad"),
                          lambda: h)
        return x, gc.train.GradientDescentOptimizer(0.1).minimize(gc.reduce_mean(checked))

    def run(sess, x, train):
        bad = np.ones((4, 3))
        bad[0, 0] = np.inf
        return sess.run(train, {x: bad})
    assert _outcomes(build, run) == ["h is bad"] * 2
