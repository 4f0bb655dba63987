"""Tiered execution on the numba backend: with $GRAPHC_COMPILE=background (the default
outside the test suite) a segment runs on its numpy references until its machine code is
ready, then natively; either way the results are the reference results."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import graphc as gc
from graphc.runtime.cpu import tiers
from graphc.runtime import backend
from graphc.runtime.backend import FallbackWarning


def _tiered(sess):
    return [s.tiered for _, executable in sess._cache.values() for s in executable.segments]


def _graph():
    x = gc.placeholder(gc.float64, (None, 3), name="x")
    w = gc.Variable(np.arange(6.0).reshape(3, 2), name="w")
    loss = gc.reduce_sum(gc.square(gc.relu(gc.matmul(x, w)) - 1.0))
    (g,) = gc.gradients(loss, [w])
    return x, w, loss, w.assign_sub(0.01 * g)


def _reference(xv, w, steps):
    losses = []
    for _ in range(steps):
        h = xv @ w
        r = np.maximum(h, 0)
        losses.append(np.sum((r - 1) ** 2))
        w = w - 0.01 * xv.T @ (2 * (r - 1) * (h > 0))
    return losses, w


@pytest.fixture
def background(monkeypatch):
    monkeypatch.setenv("GRAPHC_COMPILE", "background")
    monkeypatch.setattr(tiers, "COMPILE_AFTER_S", 0.0)  # ask for machine code at once


def test_runs_interpret_until_the_code_is_ready_then_go_native(background, monkeypatch):
    gate = threading.Event()  # holds the compile back until the test lets it go
    real = tiers.in_background
    monkeypatch.setattr(tiers, "in_background",
                        lambda work: real(lambda: (gate.wait(30), work())))
    x, w, loss, train = _graph()
    xv = np.linspace(-1, 1, 12).reshape(4, 3)
    with gc.Session(backend="numba") as sess:
        sess.run(w.initializer)
        got = [sess.run([loss, train], {x: xv})[0] for _ in range(3)]
        (segment,) = _tiered(sess)
        assert not segment.native  # three runs on the references
        gate.set()
        # prebuilt code is looked for first, then numba is asked (see tiers.py)
        got += _runs_until_native(sess, [loss, train], {x: xv}, segment)
        assert segment.native and segment.job.error is None
        assert all(executable.native for _, executable in sess._cache.values())
        got += [sess.run([loss, train], {x: xv})[0] for _ in range(2)]
        assert segment.prebuilt or len(segment.function.signatures) == 1
        # float64; the tiers differ only in rounding (summation order, gemm vs numpy)
        want_losses, want_w = _reference(xv, np.arange(6.0).reshape(3, 2), len(got))
        np.testing.assert_allclose(got, want_losses, rtol=1e-12)
        np.testing.assert_allclose(sess.run(w), want_w, rtol=1e-12)


def _runs_until_native(sess, fetches, feeds, segment, limit_s=120):
    """Run until the segment has gone native (each run may start the next compile job);
    the first fetch of each run."""
    values, deadline = [], time.perf_counter() + limit_s
    while not segment.native and time.perf_counter() < deadline:
        values.append(sess.run(fetches, feeds)[0])
        if segment.job is not None:
            segment.job.done.wait(deadline - time.perf_counter())
    assert segment.native
    return values


def test_a_program_compiled_before_reuses_its_machine_code(background):
    x, w, loss, train = _graph()
    found = []
    for _ in range(2):  # two sessions: the second finds the code the first compiled
        with gc.Session(backend="numba") as sess:
            sess.run(w.initializer)
            first = sess.run(loss, {x: np.ones((2, 3))})  # interpreted: no waiting
            (segment,) = _tiered(sess)
            values = _runs_until_native(sess, [loss], {x: np.ones((2, 3))}, segment)
            assert values == pytest.approx([first] * len(values), rel=1e-14)
            assert sess.run(loss, {x: np.ones((2, 3))}) == pytest.approx(first, rel=1e-14)
            assert segment.job.error is None
            found.append(segment.cached)
    assert found[1], "the second session found the code on disk"


def test_a_segment_that_fails_to_compile_stays_on_the_references(background, monkeypatch):
    job = tiers.Job(lambda: None)
    job.error = RuntimeError("no machine code today")
    job.done.set()
    monkeypatch.setattr(tiers, "in_background", lambda work: job)
    monkeypatch.setattr(backend, "_warned", set())  # it warns once per op and process
    x, w, loss, train = _graph()
    with gc.Session(backend="numba") as sess:
        sess.run(w.initializer)
        with pytest.warns(FallbackWarning, match="did not compile: no machine code today"):
            value = sess.run(loss, {x: np.ones((2, 3))})
        assert value == pytest.approx(_reference(np.ones((2, 3)), np.arange(6.0).reshape(3, 2),
                                                 1)[0][0], rel=1e-14)
        assert not _tiered(sess)[0].native


def test_the_compile_mode_is_checked(monkeypatch):
    monkeypatch.setenv("GRAPHC_COMPILE", "later")
    x, w, loss, train = _graph()
    with gc.Session(backend="numba") as sess, \
            pytest.raises(ValueError, match="GRAPHC_COMPILE must be 'background' or 'wait'"):
        sess.run(loss, {x: np.ones((2, 3)), w: np.ones((3, 2))})


def test_a_segment_run_briefly_asks_for_no_machine_code(monkeypatch):
    monkeypatch.setenv("GRAPHC_COMPILE", "background")
    x, w, loss, train = _graph()
    with gc.Session(backend="numba") as sess:
        sess.run(w.initializer)
        sess.run(loss, {x: np.ones((2, 3))})
        (segment,) = _tiered(sess)
        assert segment.job is None and not segment.native
        assert 0 < segment.interpreted_s < tiers.COMPILE_AFTER_S


# a program whose one segment asks for machine code at once (it prints its first value)
ASKS_AT_ONCE = """
import numpy as np
import graphc as gc
from graphc.runtime.cpu import tiers
tiers.COMPILE_AFTER_S = 0.0
x = gc.placeholder(gc.float64, (None, 3))
w = gc.Variable(np.ones((3, 2)))
total = gc.reduce_sum(gc.relu(gc.matmul(x, w)))
sess = gc.Session(backend="numba")
sess.run(w.initializer)
print(sess.run(total, {x: np.ones((2, 3))}))
"""

EXIT_DURING_COMPILE = ASKS_AT_ONCE + """
import time
def child_started():
    for lock in (tiers.cache_directory() / "numba" / "ready").glob("*.compiling"):
        try:
            if lock.read_text():  # the child's pid: it is running
                return True
        except FileNotFoundError:
            pass
    return False
while not child_started():  # asks for prebuilt code (none), then for numba's
    sess.run(total, {x: np.ones((2, 3))})
    time.sleep(0.01)  # exit once a child process compiles the segment
print(time.perf_counter())
"""


def test_exiting_while_a_segment_compiles_does_not_wait_and_the_code_gets_cached(tmp_path):
    # the process ends right after its interpreted runs, while a child process compiles:
    # it exits at once, and the child fills the disk cache for the next process
    env = dict(os.environ, GRAPHC_COMPILE="background", GRAPHC_CACHE_DIR=str(tmp_path),
               NUMBA_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", EXIT_DURING_COMPILE], env=env,
                          capture_output=True, text=True, timeout=300)
    ended = time.perf_counter()
    assert done.returncode == 0, done.stderr
    value, asked = done.stdout.split()
    assert float(value) == 12.0
    assert ended - float(asked) < 3, "the exit waited for the compilation"
    while list(tmp_path.glob("numba/ready/*.compiling")) and time.perf_counter() < ended + 300:
        time.sleep(0.2)
    assert list(tmp_path.glob("numba/ready/*[0-9a-f]")), "the finished code is marked"
    assert not list(tmp_path.glob("numba/ready/*.log")), "the child reported no error"
    assert len(list(tmp_path.glob("numba/prebuilt/*.json"))) == 1, "and saved it prebuilt"
    # a later process links that code without importing numba, and runs it
    done = subprocess.run([sys.executable, "-c", LINKS_PREBUILT], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["12.0", "12.0", "native", "prebuilt", "numba-free"]


LINKS_PREBUILT = ASKS_AT_ONCE + """
import sys
(segment,) = [s.tiered for _, e in sess._cache.values() for s in e.segments]
while not segment.native:
    value = sess.run(total, {x: np.ones((2, 3))})
    job = segment.job
    if job is not None:
        job.done.wait(60)
print(sess.run(total, {x: np.ones((2, 3))}), "native",
      "prebuilt" if segment.prebuilt else "numba",
      "numba-free" if "numba" not in sys.modules else "numba-imported")
"""


LAZY = """
import sys
import graphc
print(" ".join(m for m in ("scipy", "scipy.special", "numba", "numba.cuda", "llvmlite",
                           "networkx", "graphviz", "tqdm") if m in sys.modules))
"""


def test_import_graphc_leaves_scipy_and_numba_for_later():
    done = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
