"""Ctrl-C during a run: the run commits all of its assignments or none (in-place updates
included), the interrupt surfaces as KeyboardInterrupt, and the next run never hangs."""

import pathlib
import random
import signal
import sys
import threading
import time

import numpy as np
import pytest

import graphc as gc

BACKENDS = ["numpy", "numba"]
LR = 1e-3
PACKAGE = str(pathlib.Path(gc.__file__).parent)


def training_step(backend):
    """A session running a two-layer SGD step (on numba: updated in place) that also counts
    its steps; `state()` reads (w1, w2, count) and `expected(old)` is the step's result."""
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((16, 20)), rng.standard_normal((16, 3))
    x, y = gc.placeholder(gc.float64, (None, 20), name="x"), \
        gc.placeholder(gc.float64, (None, 3), name="y")
    w1 = gc.Variable(rng.standard_normal((20, 8)) * 0.3, name="w1")
    w2 = gc.Variable(rng.standard_normal((8, 3)) * 0.3, name="w2")
    count = gc.Variable(np.float64(0), name="count")
    loss = gc.reduce_sum((y - gc.relu(x @ w1) @ w2) ** 2)
    g1, g2 = gc.gradients(loss, [w1, w2])
    step = [w1.assign(w1 - LR * g1), w2.assign(w2 - LR * g2), count.assign_add(1.0)]
    sess = gc.Session(backend=backend)
    sess.run(gc.global_variables_initializer())

    def run():
        sess.run(step, {x: xv, y: yv})

    def state():
        return sess.run([w1, w2, count])

    def expected(old):
        a, b, c = old
        h = xv @ a
        d = 2 * (np.maximum(h, 0) @ b - yv)
        return (a - LR * (xv.T @ ((d @ b.T) * (h > 0))), b - LR * (np.maximum(h, 0).T @ d),
                c + 1)
    run()  # compiled (conftest: GRAPHC_COMPILE=wait), and proved for in-place updates
    run()
    return sess, run, state, expected


def committed(old, new, expected):
    """'none' or 'all' when the state after a run is the state before it or after it
    (to 1e-12: the step is recomputed here in another order), else 'part'."""
    if all(np.array_equal(a, b) for a, b in zip(new, old)):
        return "none"
    if all(np.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in zip(new, expected(old))):
        return "all"
    return "part"


def disarm():
    """Stop the timer, which may fire while it is being stopped (once: it is one-shot)."""
    while True:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        except KeyboardInterrupt:
            pass


def finishes(run, seconds=20.0):
    """Whether run() returns within `seconds` (on another thread: a hang stays there)."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (run(), done.set()), daemon=True)
    worker.start()
    return done.wait(seconds)


@pytest.mark.parametrize("backend", BACKENDS)
def test_interrupts_at_random_moments_commit_all_or_nothing(backend):
    sess, run, state, expected = training_step(backend)
    if backend == "numba":  # the case that tore: weights updated in their own buffers
        assert any(ex.updates_in_place for _, ex in sess._cache.values())

    def interrupt(signum, frame):
        raise KeyboardInterrupt
    sigint = signal.getsignal(signal.SIGINT)
    previous = signal.signal(signal.SIGALRM, interrupt)
    outcomes = {"none": 0, "all": 0, "part": 0}
    interrupted = other = 0
    random.seed(1)
    took = []
    for _ in range(5):
        start = time.perf_counter()
        run()
        took.append(time.perf_counter() - start)
    span = 1.5 * sorted(took)[2]  # the timer fires before, during or just after a run
    try:
        for _ in range(300):
            old = state()
            try:
                signal.setitimer(signal.ITIMER_REAL, random.uniform(0, span))
                try:
                    run()
                finally:
                    disarm()
            except KeyboardInterrupt:
                interrupted += 1
            except Exception:  # noqa: BLE001 - counted: an interrupt must stay itself
                other += 1
            outcomes[committed(old, state(), expected)] += 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert interrupted > 30, "the timer should interrupt many of the runs"
    assert signal.getsignal(signal.SIGINT) is sigint  # every handler put back
    assert other == 0
    assert outcomes["part"] == 0, outcomes
    assert finishes(run)


def line_events(run):
    """The number of lines of graphc's code (and of its generated host programs) one run
    executes."""
    count = [0]

    def trace(frame, event, arg):
        if _ours(frame):
            count[0] += event == "line"
        return trace
    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
    return count[0]


def _ours(frame):
    name = frame.f_code.co_filename
    return name.startswith(PACKAGE) or name.startswith("<graphc")


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_at_every_line_of_a_run(backend):
    # SIGINT delivered as each line of the run path starts: Python runs its handler there
    # (raise_signal checks for signals at once), as after a real Ctrl-C
    sess, run, state, expected = training_step(backend)
    events = line_events(run)
    assert events > 20
    outcomes = {"none": 0, "all": 0, "part": 0}
    for k in range(events):
        old = state()
        interrupted(run, _signal_at_line(k + 1))
        outcomes[committed(old, state(), expected)] += 1
        assert finishes(run), f"the next run hung after Ctrl-C at line event {k}"
    assert outcomes["part"] == 0, outcomes


def _at_line(k, act, ours=_ours):
    """A trace function calling act() as the k-th line of graphc's code (by default) starts;
    its `seen` counts the lines."""
    def trace(frame, event, arg):
        if event == "line" and ours(frame):
            trace.seen += 1
            if trace.seen == k:
                act()
        return trace
    trace.seen = 0
    return trace


def interrupted(work, trace):
    """Run work() under the trace function `trace`; whether it raised KeyboardInterrupt."""
    sys.settrace(trace)
    try:
        work()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def _signal_at_line(k):
    """A trace function sending SIGINT (in this thread, at once) as the k-th line starts."""
    return _at_line(k, lambda: signal.raise_signal(signal.SIGINT))


def test_a_run_interrupted_surfaces_keyboard_interrupt_after_it_commits():
    sess, run, state, expected = training_step("numba")
    old = state()
    # SIGINT as the first line of the generated host program starts
    trace = _at_line(1, lambda: signal.raise_signal(signal.SIGINT),
                     lambda frame: frame.f_code.co_filename.startswith("<graphc"))
    assert interrupted(run, trace)
    assert trace.seen > 1  # the run went on after the signal came
    assert committed(old, state(), expected) == "all"


def test_runs_on_other_threads_hold_no_signals():
    # signal handlers run only in the main thread, so a run elsewhere changes none
    sess, run, state, expected = training_step("numba")
    handler = signal.getsignal(signal.SIGINT)
    seen = []

    def trace(frame, event, arg):
        if event == "line" and frame.f_code.co_filename.startswith("<graphc"):
            seen.append(signal.getsignal(signal.SIGINT))
        return trace

    def traced_run():
        sys.settrace(trace)
        run()
    worker = threading.Thread(target=traced_run)
    worker.start()
    worker.join()
    assert seen and all(h is handler for h in seen)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_at_every_line_of_a_restore(backend):
    # load_variables (Saver.restore's commit) holds signals too: all the values or none
    a, b = gc.Variable(np.zeros(3), name="a"), gc.Variable(np.zeros(3), name="b")
    sess = gc.Session(backend=backend)
    sess.run(gc.global_variables_initializer())
    values = {a.node: np.ones(3), b.node: np.full(3, 2.0)}
    events = line_events(lambda: sess.load_variables(values))
    for k in range(events):
        sess.load_variables({a.node: np.zeros(3), b.node: np.zeros(3)})
        interrupted(lambda: sess.load_variables(values), _signal_at_line(k + 1))
        got = sess.run([a, b])
        assert all(v.sum() == 0 for v in got) or \
            (np.array_equal(got[0], values[a.node]) and np.array_equal(got[1], values[b.node]))
        assert finishes(lambda: sess.run(a))


def test_signals_that_come_together_are_all_handled():
    # SIGINT and SIGTERM during one run: the KeyboardInterrupt surfaces after it, and the
    # SIGTERM handler still runs (Python leaves a signal pending when another one raises)
    sess, run, state, expected = training_step("numpy")
    got = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    both = {signal.SIGINT, signal.SIGTERM}

    def arrive_together():  # while the run holds signals
        signal.pthread_sigmask(signal.SIG_BLOCK, both)
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGTERM)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, both)
    trace = _at_line(3, arrive_together)
    try:
        assert interrupted(run, trace)
        for _ in range(100):  # Python checks for pending signals as it goes
            time.sleep(0.001)
        assert got == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)
