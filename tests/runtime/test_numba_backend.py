"""The numba backend against the numpy backend: every op record, forward and gradient,
float32 and float64, plus the seed program."""

import inspect
import warnings

import numpy as np
import pytest

import graphc as gc
from graphc.registry import OPS
from graphc.runtime import backend as runtime_backend
from graphc.runtime.backend import FallbackWarning
from graphc.runtime.cpu.codegen import HOST_OPS
from graphc.runtime.cpu.emit import EMITTERS
from tests.ops.op_cases import CASES, output_weights

# Both backends compute the same float64 arithmetic up to summation order and BLAS
# blocking: ~1e-16 relative per op, so 1e-12 bounds a few chained ops. float32 carries
# 24 bits (eps 1.2e-7); 1e-5 relative allows ~100 ulps.
TOLERANCE = {gc.float64: dict(rtol=1e-12, atol=1e-12), gc.float32: dict(rtol=1e-5, atol=1e-6)}

# Ops the numba backend runs on their numpy reference (with a FallbackWarning): a custom
# gradient's forward (the function's own output). Control flow runs in host code, its
# branches and bodies compiled as programs of their own (test_control_flow_runs_natively).
# (Indexing has kernels for numpy's basic indexes; an index with arrays in it runs on the
# reference: tests/runtime/test_numba_indexing.)
FALLBACK_OPS = {"custom_gradient"}
INDEXING_OPS = {"getitem", "setitem", "index_add"}


def test_the_ops_without_a_kernel_are_exactly_the_listed_ones():
    assert sorted(set(OPS) - set(EMITTERS) - HOST_OPS) == sorted(FALLBACK_OPS)


def test_a_fallback_warning_points_at_the_users_line(monkeypatch):
    monkeypatch.setattr(runtime_backend, "_warned", set())  # (each op warns once a process)
    graph = gc.Graph()
    with graph.as_default():
        p = gc.placeholder(gc.float64, (2,))
        y = gc.custom_gradient(lambda x: (x * 2.0, lambda g: g))(p)
    with gc.Session(graph, backend="numba") as sess:
        with pytest.warns(FallbackWarning, match="op 'custom_gradient'") as caught:
            line = inspect.currentframe().f_lineno + 1
            assert sess.run(y, {p: [1.0, 2.0]}).tolist() == [2.0, 4.0]
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def _graph_for(case, float_dtype):
    graph = gc.Graph()
    with graph.as_default():
        inputs = [gc.placeholder(float_dtype if a.dtype.kind == "f" else gc.as_dtype(a.dtype),
                                 [None] * a.ndim) for a in case.inputs]
        out = case.build(*inputs)
        fetches = [out]
        if case.differentiable:
            grads = gc.gradients(out, [inputs[i] for i in case.float_inputs],
                                 grad_ys=output_weights(case).astype(float_dtype.np))
            fetches += [g for g in grads if g is not None]
    feeds = {p: a.astype(float_dtype.np) if a.dtype.kind == "f" else a
             for p, a in zip(inputs, case.inputs)}
    return graph, fetches, feeds


def assert_backend_matches_numpy(case, float_dtype, tolerance, fallback_ops, **session):
    """The case's forward and gradient values on Session(**session) equal the numpy
    backend's, a second run equals the first, and only `fallback_ops` fall back."""
    graph, fetches, feeds = _graph_for(case, float_dtype)
    with gc.Session(graph, backend="numpy") as sess:
        expected = sess.run(fetches, feeds)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FallbackWarning)
        with gc.Session(graph, **session) as sess:
            got = sess.run(fetches, feeds)
            again = sess.run(fetches, feeds)  # the compiled code, called a second time
    for g, a, e in zip(got, again, expected):
        assert np.asarray(g).dtype == np.asarray(e).dtype
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, **tolerance[float_dtype])
        np.testing.assert_array_equal(a, g)
    fell_back = {str(w.message).split("'")[1] for w in caught
                 if issubclass(w.category, FallbackWarning)}
    assert fell_back <= fallback_ops


@pytest.mark.parametrize("float_dtype", [gc.float64, gc.float32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_op_forward_and_gradient_agree_with_numpy_backend(case, float_dtype):
    advanced = case.op == "getitem" and "repeated" in case.id  # an index with an array
    assert_backend_matches_numpy(case, float_dtype, TOLERANCE,
                                 FALLBACK_OPS | (INDEXING_OPS if advanced else set()),
                                 backend="numba")


def test_closed_sessions_leave_no_generated_lines_behind():
    import gc as collector
    import linecache
    x = gc.placeholder(gc.float64, (3,))
    y = x * 2.0 + 1.0

    def generated():
        return {name for name in linecache.cache if name.startswith("<graphc host program")}
    before = generated()
    for _ in range(20):
        with gc.Session(backend="numba") as sess:
            sess.run(y, {x: np.ones(3)})
            assert generated() - before  # its own lines, while it is open
    collector.collect()
    assert generated() <= before


def test_a_segment_run_for_no_value():
    # a group of ops whose values nothing reads still runs (and compiles)
    x = gc.placeholder(gc.float64, (3,))
    v = gc.Variable(np.ones(3))
    with gc.Session(backend="numba") as sess:
        sess.run(v.initializer)
        assert sess.run(gc.group(gc.exp(x + v)), {x: np.ones(3)}) is None


@pytest.mark.parametrize("shape", [(None, 4), (3, 4), (4,)], ids=str)
def test_a_gradient_summed_to_a_scalar_runs_natively(shape):
    # sum_to down to shape (): a broadcast scalar weight's gradient
    x = gc.placeholder(gc.float64, shape)
    w = gc.Variable(np.float64(0.7))
    (grad,) = gc.gradients(gc.reduce_sum(gc.sin(x * w)), [w])
    value = np.random.default_rng(0).standard_normal((3, 4) if len(shape) == 2 else (4,))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with gc.Session(backend="numba") as sess:
            sess.run(w.initializer)
            got = sess.run(grad, {x: value})
    np.testing.assert_allclose(got, np.sum(value * np.cos(value * 0.7)), rtol=1e-12)


def test_an_integer_mean_runs_on_numpy_and_the_warning_says_why(monkeypatch):
    # (integer sums and maxima run natively: test_numba_integer_reductions.py)
    from graphc.runtime import backend

    monkeypatch.setattr(backend, "_warned", set())  # warned once per process otherwise
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.int32, [None, 3], name="x")
        mean = gc.reduce_mean(x, 1)
    values = np.arange(6, dtype=np.int32).reshape(2, 3)
    with pytest.warns(FallbackWarning, match="op 'reduce_mean' .* runs on its numpy "
                      "reference: its native kernels accumulate floating-point values, "
                      "not int32"):
        with gc.Session(graph, backend="numba") as sess:
            got = sess.run(mean, {x: values})
    np.testing.assert_array_equal(got, [1, 4])  # numpy's mean, truncated to int32


def test_control_flow_runs_natively():
    """A cond and a while_loop (with their gradients) run on the numba backend with no
    fallback: each branch and body is compiled by that backend as a program of its own, and
    the values equal the numpy backend's."""
    graph = gc.Graph()
    rng = np.random.default_rng(3)
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 4))
        p = gc.placeholder(gc.bool, ())
        w = gc.Variable(rng.standard_normal((4, 4)))
        h = gc.cond(p, lambda: gc.relu(gc.matmul(x, w)), lambda: gc.tanh(gc.matmul(x, w)))
        _, y = gc.while_loop(lambda i, v: i < 3,
                             lambda i, v: (i + 1, gc.cond(i < 1, lambda: v * 2.0,
                                                          lambda: gc.sin(gc.matmul(v, w)))),
                             [gc.constant(0), h])
        loss = gc.reduce_sum(y * y)
        fetches = [loss, *gc.gradients(loss, [x, w])]
        init = gc.global_variables_initializer()
    feeds = {x: rng.standard_normal((5, 4))}
    results = {}
    for backend in ("numpy", "numba"):
        with gc.Session(graph, backend=backend) as sess:
            sess.run(init)
            with warnings.catch_warnings():
                warnings.simplefilter("error", FallbackWarning)
                results[backend] = [sess.run(fetches, {**feeds, p: flag}) for flag in (True, False)]
    for ours, reference in zip(results["numba"], results["numpy"]):
        for a, b in zip(ours, reference):
            np.testing.assert_allclose(a, b, **TOLERANCE[gc.float64])
    compiled_for = {build.backend for node in graph.nodes if node.op in ("cond", "while_loop")
                    for fg in node.attrs.get("branches", node.attrs.get("graphs", ()))
                    for build, _ in fg.__dict__.get("_executables", {})}
    assert compiled_for == {"numpy", "numba"}


def _branch_program(y):
    """The program the numba backend compiled the true branch of cond `y` to."""
    (build, ranks), run = next(iter(y.node.attrs["branches"][0].__dict__["_executables"].items()))
    return build, ranks, run.__closure__[0].cell_contents.program


def test_branches_are_built_with_the_sessions_options_and_the_fed_ranks():
    """A branch is compiled with its Session's passes (none, with optimize=False), and
    for the rank of a value fed where the graph does not know it, so it runs natively."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, None)  # rank unknown until run time
        p = gc.placeholder(gc.bool, ())
        y = gc.cond(p, lambda: gc.exp(x) * 2.0 + 1.0, lambda: x)
    with gc.Session(graph, backend="numba", optimize=False) as sess:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FallbackWarning)
            np.testing.assert_allclose(sess.run(y, {x: np.ones(3), p: True}),
                                       2.0 * np.e + 1.0, rtol=1e-15)
    build, ranks, program = _branch_program(y)
    assert (build.backend, build.optimize, ranks) == ("numba", False, (1,))
    assert "fused_elementwise" not in [n.op for n in program.schedule]


def test_check_numerics_names_the_op_inside_a_branch():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2,))
        p = gc.placeholder(gc.bool, ())
        y = gc.cond(p, lambda: gc.log(x, name="the_log"), lambda: x)
    with gc.Session(graph, backend="numba", check_numerics=True) as sess:
        with pytest.raises(gc.InvalidArgumentError, match="the_log"):
            sess.run(y, {x: [1.0, -1.0], p: True})
