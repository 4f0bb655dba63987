"""Assignments on the numba backend, as on the numpy backend: a value must have a shape its
variable's static shape allows (a run that assigns another shape fails and commits
nothing, in either tier and with updates written in place); of two assignments to one
variable the later wins; each variable owns its buffer."""

import numpy as np
import pytest

import graphc as gc
from graphc.runtime.cpu import tiers
from tests.runtime.backends import assert_agree, on_both


@pytest.mark.parametrize("computed", [False, True], ids=["fed value", "computed value"])
@pytest.mark.parametrize("tier", ["interpreted", "native"])
def test_assigning_a_wrong_runtime_shape_fails_and_commits_nothing(monkeypatch, tier,
                                                                    computed):
    if tier == "interpreted":
        monkeypatch.setenv("GRAPHC_COMPILE", "background")
        monkeypatch.setattr(tiers, "COMPILE_AFTER_S", 1e9)  # never ask for machine code
    else:
        monkeypatch.setenv("GRAPHC_COMPILE", "wait")
    # the numpy backend raises the same (tests/test_session.py)
    v = gc.Variable(np.zeros(2))
    x = gc.placeholder(gc.float64, (None,))
    update = v.assign(x * 2.0 + 1.0 if computed else x)
    with gc.Session(backend="numba") as sess:
        sess.run(v.initializer)
        with pytest.raises(gc.InvalidArgumentError,
                           match=r"produced shape \(3,\).*static shape is \(2,\)"):
            sess.run(update, {x: np.ones(3)})
        np.testing.assert_array_equal(sess.run(v), [0.0, 0.0])


def test_an_assignment_that_fails_its_shape_check_leaves_in_place_updates_undone():
    # w's update runs in place once its segment's input shapes are proven; v's fed value
    # is no input of that segment, so its shape is not part of the proof: it is checked
    # before the segment writes into w
    w = gc.Variable(np.ones((3, 3)), name="w")
    v = gc.Variable(np.zeros(2), name="v")
    a = gc.placeholder(gc.float64, (3, 3), name="a")
    x = gc.placeholder(gc.float64, (None,), name="x")
    train = gc.group(w.assign(w - 0.1 * a), v.assign(x))
    with gc.Session(backend="numba") as sess:
        sess.run(gc.global_variables_initializer())
        for _ in range(3):  # proven at these shapes, then in place
            sess.run(train, {a: np.ones((3, 3)), x: np.ones(2)})
        before = sess.run([w, v])
        with pytest.raises(gc.InvalidArgumentError, match=r"static shape is \(2,\)"):
            sess.run(train, {a: np.ones((3, 3)), x: np.ones(3)})
        for got, want in zip(sess.run([w, v]), before):
            np.testing.assert_array_equal(got, want)


def test_assignments_of_assignments_values():
    # v.assign(w.assign(...)) passes w's in-place update on to v; v2.assign(u.assign(x))
    # checks the fed x against u's and v2's shapes before w is written in place
    def build():
        w, u, v, v2 = (gc.Variable(np.full(3, float(k)), name=f"var{k}") for k in range(4))
        a = gc.placeholder(gc.float64, (3,), name="a")
        x = gc.placeholder(gc.float64, (None,), name="x")
        train = gc.group(v.assign(w.assign(w - 0.1 * a)), v2.assign(u.assign(x)))
        return [w, u, v, v2], a, x, train, gc.global_variables_initializer()

    def run(sess, variables, a, x, train, init):
        sess.run(init)
        for _ in range(3):  # proven at these shapes, then in place
            sess.run(train, {a: np.ones(3), x: np.full(3, 2.0)})
        before = sess.run(variables)
        with pytest.raises(gc.InvalidArgumentError, match=r"static shape is \(3,\)"):
            sess.run(train, {a: np.ones(3), x: np.ones(4)})
        after = sess.run(variables)
        for got, want in zip(after, before):
            np.testing.assert_array_equal(got, want)
        return after

    assert_agree(on_both(build, run))


def test_two_assignments_of_one_variable_commit_in_schedule_order():
    # v.assign([1, 1]) is read by y, so it stays in schedule order, while v.assign([5, 5])
    # (read by nothing) moves to the end of the host program: the later one still wins
    def build():
        v = gc.Variable(np.zeros(2), name="v")
        return v, v.assign([5.0, 5.0]), v.assign([1.0, 1.0]) * 2.0

    def run(sess, v, first, y):
        sess.run(v.initializer)
        sess.run([first, y])
        return [sess.run(v)]

    results = on_both(build, run)
    np.testing.assert_array_equal(results["numpy"][0], [1.0, 1.0])
    assert_agree(results)


def test_one_computed_value_assigned_to_two_variables_is_not_shared():
    # u and v each own a copy of e: once u's update is proven, it is written in place
    # into u's buffer, which v must not share
    def build():
        u = gc.Variable(np.ones(3), name="u")
        v = gc.Variable(np.zeros(3), name="v")
        a = gc.placeholder(gc.float64, (3,), name="a")
        x = gc.placeholder(gc.float64, (3,), name="x")
        e = x * 2.0
        both = gc.group(u.assign(e), v.assign(e))
        return [u, v], a, x, both, u.assign_sub(0.1 * a), gc.global_variables_initializer()

    def run(sess, variables, a, x, both, update, init):
        sess.run(init)
        for _ in range(2):  # the second time, u's update is proven: in place
            sess.run(both, {x: np.ones(3)})
            for _ in range(3):
                sess.run(update, {a: np.ones(3)})
        return sess.run(variables)

    results = on_both(build, run)
    np.testing.assert_allclose(results["numpy"][1], [2.0, 2.0, 2.0])
    assert_agree(results)
