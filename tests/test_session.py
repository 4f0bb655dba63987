"""Session.run: fetch structures, feeds, variable semantics, and the errors users meet."""

import collections
import inspect
import threading
import time

import numpy as np
import pytest

import graphc as gc


def this_line() -> int:
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture
def sess():
    with gc.Session() as s:
        yield s


def test_fetch_structures(sess):
    a, b = gc.constant(1.0), gc.constant(2.0, name="two")
    Pair = collections.namedtuple("Pair", "first second")
    out = sess.run({"a": a, "pair": Pair(a, [b, (a,)]), "op": gc.no_op(), "name": "two:0"})
    assert out["a"] == 1.0 and isinstance(out["a"], np.float32)
    assert out["pair"] == Pair(1.0, [2.0, (1.0,)])
    assert out["op"] is None
    assert out["name"] == 2.0
    assert sess.run("two") == 2.0
    assert sess.run([]) == []


def test_feeds_by_tensor_and_name_with_lists_and_scalars(sess):
    x = gc.placeholder(gc.float32, (None, 2), name="x")
    s = gc.placeholder(gc.float32, (), name="s")
    out = sess.run(x * s, {"x": [[1, 2], [3, 4]], s: 0.5})
    np.testing.assert_array_equal(out, [[0.5, 1.0], [1.5, 2.0]])
    assert out.dtype == np.float32
    assert sess.run(x * 2, {"x:0": np.ones((3, 2))}).shape == (3, 2)  # a new batch size


def test_only_the_needed_subgraph_runs(sess):
    unfed = gc.placeholder(gc.float32, (2,))
    uninitialized = gc.Variable(np.zeros(2), dtype=gc.float32)
    unused = unfed + uninitialized  # noqa: F841 - never fetched, so never evaluated
    assert sess.run(gc.constant(3.0) * 2) == 6.0


def test_fed_intermediate_cuts_its_inputs(sess):
    x = gc.placeholder(gc.float64, (2,))
    h = gc.exp(x)
    assert list(sess.run(h * 2, {h: np.array([1.0, 2.0])})) == [2.0, 4.0]


def test_reads_see_the_value_from_the_start_of_the_run(sess):
    v = gc.Variable(np.array(1.0), name="v")
    sess.run(v.initializer)
    before, assigned, doubled = sess.run([v, v.assign(v + 10), v * 2])
    assert (before, assigned, doubled) == (1.0, 11.0, 2.0)
    assert sess.run(v) == 11.0


def test_assign_add_and_sub(sess):
    v = gc.Variable(np.array([1.0, 2.0]))
    sess.run(gc.global_variables_initializer())
    np.testing.assert_array_equal(sess.run(v.assign_add([1.0, 1.0])), [2.0, 3.0])
    np.testing.assert_array_equal(sess.run(v.assign_sub(np.array([2.0, 2.0]))), [0.0, 1.0])


def test_a_failed_run_commits_no_assignment(sess):
    v = gc.Variable(np.array([1.0, 2.0]))
    a = gc.placeholder(gc.float64, (None,))
    b = gc.placeholder(gc.float64, (None,))
    sess.run(v.initializer)
    with pytest.raises(gc.InvalidArgumentError, match=r"subtract 'sub'.*\(3,\).*\(4,\)"):
        sess.run([v.assign([5.0, 5.0]), a - b], {a: np.ones(3), b: np.ones(4)})
    np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_assigning_a_wrong_runtime_shape_fails_and_commits_nothing(sess):
    v = gc.Variable(np.zeros(2))
    x = gc.placeholder(gc.float64, (None,))
    sess.run(v.initializer)
    with pytest.raises(gc.InvalidArgumentError,
                       match=r"produced shape \(3,\).*static shape is \(2,\)"):
        sess.run(v.assign(x), {x: np.ones(3)})
    np.testing.assert_array_equal(sess.run(v), [0.0, 0.0])


def test_two_sessions_hold_separate_values():
    v = gc.Variable(np.array(0.0))
    with gc.Session() as s1, gc.Session() as s2:
        s1.run(v.initializer)
        s2.run(v.initializer)
        s1.run(v.assign_add(5.0))
        assert (s1.run(v), s2.run(v)) == (5.0, 0.0)


def test_fetched_values_are_copies(sess):
    v = gc.Variable(np.zeros(2))
    sess.run(v.initializer)
    value = sess.run(v)
    value[:] = 7
    np.testing.assert_array_equal(sess.run(v), [0.0, 0.0])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_variable_never_keeps_the_users_fed_array(backend):
    # feeds are passed to the backend without a copy; an assignment of one (or of a view of
    # one) must still store a value of its own
    x = gc.placeholder(gc.float64, (2, 2), name="x")
    v = gc.Variable(np.zeros((2, 2)))
    w = gc.Variable(np.zeros(4))
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        fed = np.array([[1.0, 2.0], [3.0, 4.0]])
        sess.run([v.assign(x), w.assign(gc.reshape(x, (4,)))], {x: fed})
        fed[...] = -1
        np.testing.assert_array_equal(sess.run(v), [[1.0, 2.0], [3.0, 4.0]])
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0, 3.0, 4.0])
        sess.run(v.assign(x * 2), {x: fed})
        np.testing.assert_array_equal(fed, -np.ones((2, 2)))  # a run never writes a feed


def test_a_repeated_call_still_checks_and_converts_its_feeds(sess):
    # the second identical call takes the lean path; a feed it cannot use as is (another
    # dtype, a list, a new batch size, a bad shape) still gets the full treatment
    x = gc.placeholder(gc.float32, (None, 2), name="x")
    y = x * 2
    for _ in range(2):
        np.testing.assert_array_equal(sess.run([y], {x: np.ones((1, 2), np.float32)}),
                                      [[[2.0, 2.0]]])
    assert sess.run([y], {x: np.ones((3, 2))})[0].dtype == np.float32
    np.testing.assert_array_equal(sess.run([y], {x: [[1, 2]]})[0], [[2.0, 4.0]])
    np.testing.assert_array_equal(sess.run([y], {"x": np.ones((1, 2), np.float32)})[0],
                                  [[2.0, 2.0]])
    with pytest.raises(ValueError, match=r"placeholder 'x'.*the shapes differ"):
        sess.run([y], {x: np.ones((1, 3), np.float32)})
    strided = np.ones((2, 4), np.float32)[:, ::2]
    np.testing.assert_array_equal(sess.run([y], {x: strided})[0], 2 * np.ones((2, 2)))


def test_fetch_handles_made_afresh_each_run_get_their_own_values(sess):
    # a run remembers its fetches by the ids of the handles passed, and keeps the handles
    # alive so that no id is reused: handles made anew for every run (more runs than the
    # session remembers) still fetch what they name
    a, b = gc.constant(1.0, name="a"), gc.constant(2.0, name="b")
    for i in range(600):
        node = (a, b)[i % 2].node
        assert sess.run([gc.Tensor(node, 0)]) == [1.0 + i % 2]
        assert sess.run(node.name + ":0") == 1.0 + i % 2
    assert len(sess._seen) <= 256  # bounded, however many handles were made


def test_feeds_converted_every_run_keep_the_remembered_calls_bounded(sess):
    # a list fed on every run takes the full path each time; the handles it holds for
    # the lean path are taken once, not once per run
    x = gc.placeholder(gc.float64, (None, 2), name="x")
    y = x * 2
    for _ in range(300):
        np.testing.assert_array_equal(sess.run(y, {x: [[1.0, 2.0]]}), [[2.0, 4.0]])
    assert len(sess._held) == len(sess._seen) == 1


def test_nested_fetches_made_afresh_each_run_take_the_lean_path(sess, monkeypatch):
    # the tutorial's sess.run([loss, [new_w1, new_w2]]) builds its inner list anew every
    # run: the call is found by what the structure names, without resolving it again
    x = gc.placeholder(gc.float64, (None, 2), name="x")
    w = gc.Variable(np.ones(2), name="w")
    loss = gc.reduce_sum(x * w)
    increment = w.assign_add(np.ones(2))
    sess.run(w.initializer)
    first = sess.run([loss, [increment, w]], {x: np.ones((1, 2))})
    assert first[0] == 2.0 and isinstance(first[1], list)
    np.testing.assert_array_equal(first[1][0], [2.0, 2.0])
    prepared = []
    real = sess._prepare
    monkeypatch.setattr(sess, "_prepare", lambda *a: prepared.append(a) or real(*a))
    for i in range(3):
        got = sess.run([loss, [increment, w]], {x: np.ones((1, 2))})
        assert got[0] == 2.0 * (i + 2)
        np.testing.assert_array_equal(got[1][0], [i + 3.0] * 2)
    assert prepared == []
    # another structure around the same tensors is another call, rebuilt as it is given
    got = sess.run((loss, (w,)), {x: np.ones((1, 2))})
    assert isinstance(got, tuple) and isinstance(got[1], tuple) and got[0] == 10.0
    assert len(prepared) == 1
    assert len(sess._seen) <= 2, "inner lists made afresh are not remembered by id"


def test_a_fetch_list_changed_between_runs_fetches_its_new_items(sess):
    a, b = gc.constant(1.0), gc.constant(2.0)
    fetches = [a]
    assert sess.run(fetches) == [1.0]
    fetches[0] = b
    assert sess.run(fetches) == [2.0]
    fetches.append(a)
    assert sess.run(fetches) == [2.0, 1.0]


def test_variable_constructors():
    a = gc.Variable(np.ones((2, 3)), name="a")
    b = gc.Variable(1.5)
    c = gc.Variable(gc.random_normal((4,)), trainable=False)
    d = gc.Variable([1, 2], dtype=gc.float64)
    assert (a.shape, a.dtype, a.name) == ((2, 3), gc.float64, "a:0")
    assert (b.shape, b.dtype) == ((), gc.float32)
    assert d.dtype == gc.float64
    assert gc.global_variables() == [a, b, c, d]
    assert gc.trainable_variables() == [a, b, d]
    with gc.Session() as sess:
        sess.run(gc.variables_initializer([a, d]))
        np.testing.assert_array_equal(sess.run(d), [1.0, 2.0])
        with pytest.raises(gc.FailedPreconditionError, match="uninitialized variable 'Variable'"):
            sess.run(b)


def test_variable_needs_a_known_shape():
    with pytest.raises(ValueError, match="must be fully known"):
        gc.Variable(gc.placeholder(gc.float32, (None,)))


def test_control_dependencies_run_first(sess):
    v = gc.Variable(np.array(1.0))
    sess.run(v.initializer)
    bump = v.assign(v * 3)
    with gc.control_dependencies([bump]):
        marker = gc.identity(gc.constant(0.0))
    sess.run(marker)
    assert sess.run(v) == 3.0


# -- errors ------------------------------------------------------------------------------------
def test_unfed_placeholder_is_named_with_its_line(sess):
    line = this_line() + 1
    x = gc.placeholder(gc.float32, (None, 3), name="images")
    with pytest.raises(gc.InvalidArgumentError) as err:
        sess.run(x * 2)
    message = str(err.value)
    assert "must feed a value for placeholder 'images'" in message
    assert "float32" in message and "(None, 3)" in message and f"{__file__}:{line}" in message


def test_uninitialized_variable_is_named(sess):
    w = gc.Variable(np.zeros(2), name="w1")
    with pytest.raises(gc.FailedPreconditionError,
                       match=r"uninitialized variable 'w1' \(created at .*test_session.py"):
        sess.run(w * 2)


def test_fetch_from_another_graph(sess):
    with gc.Graph().as_default():
        other = gc.constant(1.0, name="elsewhere")
    with pytest.raises(ValueError, match="Tensor 'elsewhere:0' is not an element of this"):
        sess.run(other)
    with pytest.raises(ValueError, match="The name 'nope' refers to nothing"):
        sess.run("nope")
    gc.no_op(name="op")
    with pytest.raises(ValueError, match="The name 'op:0' refers to nothing.*has no output 0"):
        sess.run("op:0")
    with pytest.raises(ValueError, match="The name 'op:x' refers to nothing"):
        sess.run("op:x")
    with pytest.raises(TypeError, match="Fetch argument 3.0 has invalid type float"):
        sess.run(3.0)


def test_closed_session():
    s = gc.Session()
    s.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        s.run(gc.constant(1.0))


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'tpu'; available: .*numpy"):
        gc.Session(backend="tpu")


BAD_FEEDS = [
    (np.zeros((2, 3, 1)), r"shape \(2, 3, 1\).*expects dtype float32 and shape \(None, 3\)"
                          r".*the shapes differ"),
    (np.zeros((2, 4)), r"shape \(2, 4\).*the shapes differ"),
    ([["a", "b", "c"]], "the value is not numeric"),
    ([[1, 2], [3]], "not a rectangular array"),
]


@pytest.mark.parametrize("value,message", BAD_FEEDS)
def test_bad_feed_names_placeholder_shapes_and_line(sess, value, message):
    line = this_line() + 1
    x = gc.placeholder(gc.float32, (None, 3), name="x")
    v = gc.Variable(np.zeros(3))
    sess.run(v.initializer)
    with pytest.raises(ValueError, match=message) as err:
        sess.run([x * 2, v.assign([1.0, 1.0, 1.0])], {x: value})
    assert "placeholder 'x'" in str(err.value) and f"{__file__}:{line}" in str(err.value)
    np.testing.assert_array_equal(sess.run(v), [0.0, 0.0, 0.0])


def test_lossy_feeds_are_refused(sess):
    i = gc.placeholder(gc.int32, (2,), name="count")
    with pytest.raises(ValueError, match="converting float64 to int32 would lose information"):
        sess.run(i + 1, {i: [1.5, 2.0]})
    with pytest.raises(ValueError, match="converting int64 to int32 would lose information"):
        sess.run(i + 1, {i: np.array([2 ** 40, 1])})
    np.testing.assert_array_equal(sess.run(i + 1, {i: np.array([2, 3], np.int64)}), [3, 4])


def test_feeding_an_op_is_refused(sess):
    with pytest.raises(TypeError, match="cannot feed operation"):
        sess.run(gc.constant(1.0), {gc.no_op(name="n"): 1.0})


def _sgd_graph():
    """A one-layer least-squares SGD step on float64 weights; returns the graph's pieces."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 3), name="x")
        y = gc.placeholder(gc.float64, (None, 1), name="y")
        w = gc.Variable(np.linspace(-1, 1, 3).reshape(3, 1), name="w")
        loss = gc.reduce_sum(gc.square(gc.matmul(x, w) - y))
        train = w.assign_sub(0.05 * gc.gradients(loss, [w])[0])
        init = gc.global_variables_initializer()
    return graph, x, y, w, loss, train, init


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_make_callable_runs_what_run_runs(backend):
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((4, 3)), rng.standard_normal((4, 1))) for _ in range(3)]
    graph, x, y, w, loss, train, init = _sgd_graph()
    results = {}
    for how in ("run", "callable"):
        with gc.Session(graph, backend=backend) as sess:
            sess.run(init)
            step = sess.make_callable({"loss": loss, "update": [train]}, [y, x])
            results[how] = [sess.run({"loss": loss, "update": [train]}, {x: xv, y: yv})
                            if how == "run" else step(yv, xv) for xv, yv in batches]
            results[how].append(sess.run(w))
    for got, want in zip(results["callable"][:-1], results["run"][:-1]):
        assert set(got) == {"loss", "update"} and len(got["update"]) == 1
        assert got["loss"] == want["loss"]  # the same program on the same values
        np.testing.assert_array_equal(got["update"][0], want["update"][0])
    np.testing.assert_array_equal(results["callable"][-1], results["run"][-1])


def test_make_callable_converts_and_checks_its_values():
    graph, x, y, w, loss, train, init = _sgd_graph()
    with gc.Session(graph) as sess:
        sess.run(init)
        step = sess.make_callable(loss, ["x", y])
        as_lists = step([[1, 2, 3]], [[0.5]])  # converted, as run() converts
        assert as_lists == sess.run(loss, {x: np.array([[1.0, 2, 3]]), y: np.array([[0.5]])})
        with pytest.raises(gc.InvalidArgumentError,
                           match=r"shape \(2, 4\) to placeholder 'x'.*\(None, 3\).*shapes differ"):
            step(np.ones((2, 4)), np.ones((2, 1)))
        with pytest.raises(TypeError, match=r"takes 2 feed values \(for x:0, y:0\), got 1"):
            step(np.ones((2, 3)))
        with pytest.raises(ValueError, match="more than once"):
            sess.make_callable(loss, [x, "x:0"])
        with pytest.raises(TypeError, match="cannot feed operation"):
            sess.make_callable(loss, [train.node])
    with pytest.raises(RuntimeError, match="closed Session"):
        step(np.ones((2, 3)), np.ones((2, 1)))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_variable_never_shares_memory_with_another(backend):
    # a snapshot of a module-bound variable (whose storage later runs overwrite in place)
    # and of a plain one keeps the values it took
    from graphc import nn
    w = nn.Parameter(np.ones((2, 3))).variable(gc.get_default_graph(), "w")
    best = gc.Variable(np.zeros((2, 3)), name="best")
    a, b = gc.Variable(np.ones(3), name="a"), gc.Variable(np.zeros(3), name="b")
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        sess.run([best.assign(w), b.assign(a)])
        for _ in range(2):
            sess.run([w.assign(w * 2.0), a.assign_add(np.ones(3))])
        np.testing.assert_array_equal(sess.run(best), np.ones((2, 3)))
        np.testing.assert_array_equal(sess.run(b), np.ones(3))
        np.testing.assert_array_equal(sess.run(w), np.full((2, 3), 4.0))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_closing_a_session_under_running_threads(backend):
    # runs in flight finish; later ones raise RuntimeError, never an error about a variable
    v = gc.Variable(np.zeros(3), name="v")
    step = v.assign_add(np.ones(3))
    sess = gc.Session(backend=backend)
    sess.run(v.initializer)
    sess.run(step)
    errors, started = [], threading.Barrier(5)

    def work():
        started.wait()
        try:
            while True:
                sess.run([step, v])
        except Exception as err:  # noqa: BLE001 - what each thread ends with is the test
            errors.append(err)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.05)
    sess.close()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert len(errors) == 4
    assert all(type(e) is RuntimeError and "closed Session" in str(e) for e in errors), errors
