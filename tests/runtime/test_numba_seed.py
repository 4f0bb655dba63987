"""The seed program on the numba backend, its compile cache, and its errors."""

import inspect
import re

import numpy as np
import numpy_two_layer
import pytest
import static_two_layer

import graphc as gc
from graphc.runtime.cpu.backend import NumbaExecutable
from tests.test_seed_static import assert_trains_like, seed_problem


def test_seed_program_on_numba_matches_numpy_loop_float64():
    x, y, w1, w2 = seed_problem()
    want = numpy_two_layer.train(x, y, w1, w2, steps=100)
    got = static_two_layer.train(x, y, w1, w2, steps=100, dtype=gc.float64, backend="numba")
    # float64 with BLAS on both sides; the acceptance bound is 1e-10 relative.
    assert_trains_like(got, want)


def test_seed_program_on_numba_float32_tracks_float64():
    x, y, w1, w2 = seed_problem(seed=1)
    want, _, _ = numpy_two_layer.train(x, y, w1, w2, steps=30)
    got, _, _ = static_two_layer.train(x, y, w1.astype(np.float32), w2.astype(np.float32),
                                       steps=30, dtype=gc.float32, backend="numba")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-3)  # float32: ~7 digits over 30 steps


def _seed_session(graph_dims=(None, 20, 8, 3)):
    _, d_in, hidden, d_out = graph_dims
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, d_in), name="x")
        y = gc.placeholder(gc.float64, (None, d_out), name="y")
        w1 = gc.Variable(np.full((d_in, hidden), 0.1), name="w1")
        w2 = gc.Variable(np.full((hidden, d_out), 0.1), name="w2")
        loss = gc.reduce_sum(gc.square(gc.matmul(gc.relu(gc.matmul(x, w1)), w2) - y))
        g1, g2 = gc.gradients(loss, [w1, w2])
        train = gc.group(w1.assign_sub(1e-3 * g1), w2.assign_sub(1e-3 * g2))
    sess = gc.Session(graph, backend="numba")
    sess.run(gc.variables_initializer([w1, w2]))
    return sess, x, y, w1, loss, train


def _native_functions(sess):
    return [f for _, executable in sess._cache.values() if isinstance(executable, NumbaExecutable)
            for f in executable.functions.values()]


def test_a_new_batch_size_reuses_the_compiled_code():
    sess, x, y, _, loss, train = _seed_session()
    rng = np.random.default_rng(0)
    for batch in (5, 9, 1):
        sess.run([loss, train], {x: rng.standard_normal((batch, 20)),
                                 y: rng.standard_normal((batch, 3))})
    (function,) = _native_functions(sess)  # the whole step is one native function...
    assert len(function.signatures) == 1   # ...compiled once for all three batch sizes


def test_a_run_of_the_step_is_one_native_call():
    sess, x, y, w1, loss, train = _seed_session()
    feeds = {x: np.ones((4, 20)), y: np.ones((4, 3))}
    sess.run([loss, train], feeds)
    (segment,) = [s for _, e in sess._cache.values() if isinstance(e, NumbaExecutable)
                  for s in e.segments]
    calls = []
    native = segment.function

    def counted(*args):
        calls.append(args[0])
        return native(*args)
    segment.function = counted
    for _ in range(3):
        sess.run([loss, train], feeds)
    assert len(calls) == 3 and all(arg is feeds[x] for arg in calls)  # the feed, not a copy


def test_generated_source_is_written_to_the_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    sess, x, y, _, loss, _ = _seed_session((None, 7, 5, 2))
    sess.run(loss, {x: np.ones((2, 7)), y: np.ones((2, 2))})
    sources = sorted((tmp_path / "numba").glob("generated_*.py"))
    assert sources, "no generated source in the cache directory"
    segment = next(p.read_text() for p in sources if "def segment_0" in p.read_text())
    assert "@njit(cache=True" in segment
    # the matmul with its ReLU epilogue runs as a generated kernel
    assert re.search(r"= EW_\w+\(.*\)  # matmul_epilogue 'relu'", segment), segment


def test_a_failing_run_names_the_op_and_commits_nothing():
    sess, x, y, w1, loss, train = _seed_session()
    before = sess.run(w1)
    with pytest.raises(gc.InvalidArgumentError, match=r"subtract .*test_numba_seed\.py"):
        sess.run([loss, train], {x: np.ones((4, 20)), y: np.ones((3, 3))})  # 4 rows vs 3
    np.testing.assert_array_equal(sess.run(w1), before)


def test_an_epilogue_reads_the_product_through_the_array_it_writes():
    """The ReLU-gradient mask where(h > 0, d @ w2^T, 0) over the product: read through a
    second view of the array it writes, LLVM would find the two overlap at run time and run
    its scalar loop; through `flat` (and `out` in the nested loops) it vectorizes."""
    sess, x, y, _, loss, train = _seed_session((None, 7, 5, 2))
    sess.run([loss, train], {x: np.ones((2, 7)), y: np.ones((2, 2))})
    (segment,) = [s for _, e in sess._cache.values() if isinstance(e, NumbaExecutable)
                  for s in e.segments]
    kernels = segment.function.py_func.__globals__
    sources = [inspect.getsource(kernels[name].py_func) for name in kernels
               if name.startswith("EW_")]
    epilogues = [s for s in sources if "a0 = K.matmul(" in s]
    assert epilogues, sources
    for source in epilogues:
        assert "out = a0" in source, source
        assert "f0 = " not in source and "b0 = " not in source, source
