"""SGD updates written into the variable's own buffer (numba backend): when they are
chosen, and that nothing anyone can see changes because of it."""

import threading

import numpy as np
import pytest

import graphc as gc
from graphc import nn, optim
from graphc.gate import Gate
from graphc.runtime.cpu.codegen import Segment


def _sgd(lr=0.1, d_in=4, hidden=3):
    """loss = sum((relu(x @ w1) @ w2 - y)^2) with plain SGD on w1 and w2 (float64)."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, d_in), name="x")
        y = gc.placeholder(gc.float64, (None, 2), name="y")
        w1 = gc.Variable(np.linspace(-1, 1, d_in * hidden).reshape(d_in, hidden), name="w1")
        w2 = gc.Variable(np.linspace(1, -1, hidden * 2).reshape(hidden, 2), name="w2")
        loss = gc.reduce_sum(gc.square(gc.matmul(gc.relu(gc.matmul(x, w1)), w2) - y))
        g1, g2 = gc.gradients(loss, [w1, w2])
        train = gc.group(w1.assign_sub(lr * g1), w2.assign_sub(lr * g2))
        init = gc.global_variables_initializer()
    return graph, x, y, w1, w2, init, train


def _feeds(x, y, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    return {x: rng.standard_normal((batch, x.shape[1])), y: rng.standard_normal((batch, 2))}


def _numpy_step(xv, yv, w1, w2, lr=0.1):
    h = np.maximum(xv @ w1, 0)
    g = 2 * (h @ w2 - yv)
    return w1 - lr * xv.T @ ((g @ w2.T) * (h > 0)), w2 - lr * h.T @ g


def _in_place_updates(sess):
    """Names of the variables some compiled run updates in place."""
    return {n.inputs[k].node.name for _, executable in sess._cache.values()
            for step in getattr(executable, "steps", []) if isinstance(step, Segment)
            for n, k in step.in_place.items()}


def test_sgd_updates_write_into_the_weights_after_a_first_checked_run():
    graph, x, y, w1, w2, init, train = _sgd()
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        want1, want2 = sess.run([w1, w2])
        buffers = []
        for step in range(4):
            feeds = _feeds(x, y, seed=step)
            sess.run(train, feeds)
            want1, want2 = _numpy_step(feeds[x], feeds[y], want1, want2)
            buffers.append([id(sess._state.variables[v.node]) for v in (w1, w2)])
        assert _in_place_updates(sess) == {"w1", "w2"}
        # run 1 (new shapes) wrote fresh buffers; runs 2-4 updated those in place
        assert buffers[1] == buffers[2] == buffers[3]
        got1, got2 = sess.run([w1, w2])
        np.testing.assert_allclose(got1, want1, rtol=1e-12, atol=1e-14)  # float64, 4 steps
        np.testing.assert_allclose(got2, want2, rtol=1e-12, atol=1e-14)


def test_an_old_value_fetched_by_the_update_run_is_the_old_value():
    graph, x, y, w1, w2, init, train = _sgd()
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        for _ in range(3):
            before = sess.run(w2)
            fetched, _ = sess.run([w2, train], _feeds(x, y))
            np.testing.assert_array_equal(fetched, before)
            assert not np.array_equal(sess.run(w2), before)
        assert _in_place_updates(sess) == {"w1"}  # w2's old value is fetched


def _square_update(make_update):
    """A 3x3 float64 variable w, a fed g, and the update make_update(w, g) -> (fetches, the
    numpy reference of one step)."""
    rng = np.random.default_rng(0)
    w0, g0 = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    graph = gc.Graph()
    with graph.as_default():
        w = gc.Variable(w0, name="w")
        g = gc.placeholder(gc.float64, (3, 3), name="g")
        fetches, step = make_update(w, g)
        init = gc.global_variables_initializer()
    return graph, w, w0, {g: g0}, init, fetches, lambda value: step(value, g0)


# updates that read the old weights other than element for element: gemm would read A (the
# weights) while writing C (the same buffer); the elementwise loop would read element (j, i)
# after writing it
READING_THE_WEIGHTS = {
    "product of transposed": (lambda w, g: w.assign_sub(0.1 * gc.matmul(gc.transpose(w), g)),
                              lambda v, g0: v - 0.1 * v.T @ g0),
    "product": (lambda w, g: w.assign_sub(0.1 * gc.matmul(w, g)),
                lambda v, g0: v - 0.1 * v @ g0),
    "elementwise with transposed": (lambda w, g: w.assign(w - 0.1 * gc.transpose(w) * g),
                                    lambda v, g0: v - 0.1 * v.T * g0),
}


@pytest.mark.parametrize("case", READING_THE_WEIGHTS)
def test_an_update_that_reads_the_weights_otherwise_is_not_written_in_place(case):
    update, reference = READING_THE_WEIGHTS[case]
    graph, w, want, feeds, init, fetches, step = _square_update(
        lambda w, g: ([update(w, g)], reference))
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        for _ in range(3):
            sess.run(fetches, feeds)
            want = step(want)
        assert _in_place_updates(sess) == set()
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-12)  # float64, 3 steps


def test_a_fetched_view_of_the_weights_shows_their_old_value():
    def make(w, g):
        return [gc.reshape(w, (9,)), w.assign_sub(0.1 * gc.matmul(g, g))], \
            lambda v, g0: v - 0.1 * g0 @ g0

    graph, w, want, feeds, init, fetches, step = _square_update(make)
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        for _ in range(3):
            view, _ = sess.run(fetches, feeds)
            # float64 after a few steps; an updated view would differ by 0.1 * g @ g
            np.testing.assert_allclose(view, want.reshape(9), rtol=1e-12)
            want = step(want)
        assert _in_place_updates(sess) == set()


def _run_both_backends(build, steps=4):
    """build() -> (graph, init, fetches, feeds, variables); runs `steps` steps on the numpy
    and the numba backend. Returns the numba session's in-place updates, each backend's
    final variable values, and the ids of the numba variables' buffers after each step
    (by name; a variable bound to a module parameter has none)."""
    values, buffers = {}, []
    for backend in ("numpy", "numba"):
        graph, init, fetches, feeds, variables = build()
        with gc.Session(graph, backend=backend) as sess:
            sess.run(init)
            for _ in range(steps):
                sess.run(fetches, feeds)
                if backend == "numba":
                    buffers.append({v.node.name: id(sess._state.variables[v.node])
                                    for v in variables if v.node in sess._state.variables})
            values[backend] = sess.run(variables)
            if backend == "numba":
                in_place = _in_place_updates(sess)
    return in_place, values, buffers


def _momentum_sgd():
    rng = np.random.default_rng(1)
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 4), name="x")
        w = gc.Variable(np.linspace(-1, 1, 12).reshape(4, 3), name="w")
        b = gc.Variable(np.zeros(3), name="b")
        loss = gc.reduce_sum(gc.square(gc.matmul(x, w) + b))
        momenta = {v: gc.Variable(np.zeros(v.shape), name=v.node.name + "_m") for v in (w, b)}
        updates = []
        for v, g in zip((w, b), gc.gradients(loss, [w, b])):
            m_new = 0.9 * momenta[v] + 0.1 * g
            updates += [momenta[v].assign(m_new), v.assign(v - 0.01 * m_new)]
        init = gc.global_variables_initializer()
    return graph, init, [loss, gc.group(*updates)], {x: rng.standard_normal((6, 4))}, \
        [w, b, *momenta.values()]


def test_elementwise_updates_write_into_their_variables():
    in_place, values, buffers = _run_both_backends(_momentum_sgd)
    # w's momentum, 0.9 m + 0.1 x^T g, is one gemm into m (matmul_add with beta 0.9)
    assert in_place == {"w", "w_m", "b", "b_m"}
    for name in in_place:  # the same buffers after the first, checked run
        assert buffers[1][name] == buffers[2][name] == buffers[3][name]
    for got, want in zip(values["numba"], values["numpy"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)  # float64, 4 steps


def _update_reading_another_variable_first():
    """w <- s * x + w, where x, another variable of w's shape, comes first in the loop."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.Variable(np.linspace(-1, 1, 12).reshape(4, 3), name="x")
        w = gc.Variable(np.ones((4, 3)), name="w")
        s = gc.placeholder(gc.float64, (), name="s")
        init = gc.global_variables_initializer()
    return graph, init, [w.assign(s * x + w)], {s: 0.5}, [w, x]


def test_the_update_writes_into_the_variable_it_is_assigned_to():
    in_place, values, buffers = _run_both_backends(_update_reading_another_variable_first)
    assert in_place == {"w"}
    assert buffers[1]["w"] == buffers[2]["w"] == buffers[3]["w"]
    for got, want in zip(values["numba"], values["numpy"]):
        np.testing.assert_array_equal(got, want)  # the same loop: numpy's arithmetic
    # four steps of w + 0.5 x, each rounded once: within a few ulps of the closed form
    np.testing.assert_allclose(values["numba"][0], 1 + 4 * 0.5 *
                               np.linspace(-1, 1, 12).reshape(4, 3), rtol=1e-15, atol=1e-15)


def _trained_module(optimizer, seed, **hyper):
    """A float64 4-3-2 MLP with deterministic weights, its summed squared error minimized
    by optimizer(**hyper) in a graph: the case _run_both_backends runs."""
    rng = np.random.default_rng(seed)
    graph = gc.Graph()
    with graph.as_default():
        model = nn.Sequential(nn.Linear(4, 3, dtype=gc.float64), nn.ReLU(),
                              nn.Linear(3, 2, dtype=gc.float64))
        for i, p in enumerate(model.parameters()):
            p.array[...] = np.linspace(-1, 1, p.array.size).reshape(p.array.shape) * (i + 1)
        x = gc.placeholder(gc.float64, (None, 4), name="x")
        y = gc.placeholder(gc.float64, (None, 2), name="y")
        loss = nn.MSELoss(reduction="sum")(model(x), y)
        train = optimizer(model.parameters(), **hyper).minimize(loss)
        init = gc.global_variables_initializer()
        variables = [p.variable(graph) for p in model.parameters()]
    feeds = {x: rng.standard_normal((6, 4)), y: rng.standard_normal((6, 2))}
    return graph, init, [loss, train], feeds, variables


def _adam_on_a_module():
    return _trained_module(optim.Adam, 2, lr=1e-2)


def test_adam_updates_its_parameters_and_moments_in_place():
    in_place, values, _ = _run_both_backends(_adam_on_a_module)
    # every parameter and both moments of each; not the step count, whose new value the
    # bias corrections read before the updates run
    names = {n.rsplit("/", 1)[-1] for n in in_place}
    assert names == {f"{p}{suffix}" for p in ("weight", "bias", "weight_1", "bias_1")
                     for suffix in ("", "_exp_avg", "_exp_avg_sq")}
    for got, want in zip(values["numba"], values["numpy"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)  # float64, 4 steps


def _weight_decay_on_a_module():
    return _trained_module(optim.SGD, 3, lr=1e-2, weight_decay=0.1)


def test_weight_decay_updates_every_parameter_in_place():
    # g + wd * w reads w, which the update w - lr * (g + wd * w) then overwrites: the
    # update is still one loop over w, written into w, once g + wd * w no longer claims it
    in_place, values, _ = _run_both_backends(_weight_decay_on_a_module)
    assert {n.rsplit("/", 1)[-1] for n in in_place} == {"weight", "bias", "weight_1",
                                                        "bias_1", "step"}
    for got, want in zip(values["numba"], values["numpy"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)  # float64, 4 steps


def test_the_initial_value_survives_updates_in_place():
    graph, x, y, w1, w2, init, train = _sgd()
    with gc.Session(graph, backend="numba") as sess:
        for _ in range(2):
            sess.run(init)
            np.testing.assert_array_equal(sess.run(w1), np.linspace(-1, 1, 12).reshape(4, 3))
            for _ in range(3):
                sess.run(train, _feeds(x, y))


def test_a_failing_run_after_in_place_runs_commits_nothing():
    graph, x, y, w1, w2, init, train = _sgd()
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        for _ in range(3):
            sess.run(train, _feeds(x, y))
        before = sess.run([w1, w2])
        bad = {x: np.ones((5, 4)), y: np.ones((4, 2))}  # 5 rows of x, 4 of y
        with pytest.raises(gc.InvalidArgumentError, match="subtract"):
            sess.run(train, bad)
        for got, want in zip(sess.run([w1, w2]), before):
            np.testing.assert_array_equal(got, want)


def test_readers_never_see_a_half_applied_update():
    # while one thread trains in place, others read both weights in one run: every pair
    # they see must be a pair some completed step left behind (weights large enough that
    # an update takes a while: without the Session's gate this fails)
    graph, x, y, w1, w2, init, train = _sgd(lr=1e-4, d_in=300, hidden=400)
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        feeds = _feeds(x, y)
        sess.run(train, feeds)
        states = [tuple(map(bytes, sess.run([w1, w2])))]
        seen = []

        def read():
            for _ in range(100):
                seen.append(tuple(map(bytes, sess.run([w1, w2]))))

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        for _ in range(100):
            sess.run(train, feeds)
            states.append(tuple(map(bytes, sess.run([w1, w2]))))
        for t in readers:
            t.join()
        assert _in_place_updates(sess) == {"w1", "w2"}
        assert set(seen) <= set(states)


def test_the_gate_keeps_readers_and_an_exclusive_holder_apart():
    gate, log = Gate(), []
    reading, release = threading.Event(), threading.Event()

    def reader():
        with gate.shared():
            log.append("reader in")
            reading.set()
            release.wait()
            log.append("reader out")

    def writer():
        gate.enter_exclusive()
        log.append("writer in")
        gate.leave_exclusive()

    r = threading.Thread(target=reader)
    r.start()
    reading.wait()
    w = threading.Thread(target=writer)
    w.start()
    w.join(0.2)
    assert w.is_alive()  # the writer waits for the reader
    release.set()
    r.join()
    w.join()
    assert log == ["reader in", "reader out", "writer in"]
