"""The runtime's lists of ops are derived from the ops' definitions (OpDef's fields), never
restated: each derived set against a table of what it holds, so a change shows here."""

import numpy as np
import pytest

import graphc as gc
from graphc.graph import Node, TensorType
from graphc.passes.pipeline import build_program
from graphc.registry import HOST_EFFECTS, KERNELS, OPS, OpDef, OpNames
from graphc.runtime.cpu.codegen import HOST_OPS, VIEW_OPS, Segment, plan
from graphc.runtime.cpu.emit import EMITTERS, can_emit

# what each set held when it was a list in the runtime
EXPECTED = {
    # the numba backend's host runs them: values in and out of native code, random draws
    "runs_on_host": {"placeholder", "variable", "constant", "assign", "no_op",
                     "random_normal", "random_uniform", "random_uniform_like",
                     # im2col and BLAS in numpy: what a native kernel would do (ops/conv.py)
                     "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter",
                     "conv2d_transpose", "max_pool", "max_pool_grad", "avg_pool", "avg_pool_grad",
                     # numpy's sort, BLAS through np.matmul / np.einsum, numpy's cumsum
                     "argsort", "take_along_axis", "scatter_along_axis", "einsum", "cumsum",
                     "cumprod",
                     # np.pad, and its gradient's sums over the pads (ops/pad.py)
                     "pad", "pad_grad",
                     # reductions over bins, gathers and np.add.at (ops/adaptive_pool.py,
                     # ops/resize.py)
                     "adaptive_avg_pool", "adaptive_avg_pool_grad", "adaptive_max_pool",
                     "adaptive_max_pool_grad", "resize", "resize_grad",
                     # control flow: its branches and bodies run as programs of their own
                     "cond", "while_loop", "while_grad",
                     # tf.Print and tf.print write from Python (ops/debug.py)
                     "print"},
    # ops that run traced function graphs
    "calls": {"cond", "while_loop", "while_grad"},
    # a result may share input 0's memory (on some backend, or in the numpy reference)
    "view": {"reshape", "reshape_like", "transpose", "broadcast_like", "sum_to", "identity",
             "stop_gradient", "check_numerics", "expand_dims", "squeeze", "print"},
    # values from outside the run (the cuda backend's SOURCES)
    "source": {"placeholder", "variable", "constant"},
    # native kernels for floating results only
    "float_kernels_only": {"reduce_sum", "reduce_mean", "reduce_max", "fused_reduction"},
    # a dims rule (symbolic shapes): the output's dims picked from the inputs'
    "dims": {"fill_like", "identity", "stop_gradient", "sum_to", "broadcast_like",
             "reshape_like", "transpose", "matmul", "matmul_add", "matmul_epilogue",
             "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
             "reduce_any", "reduce_all", "argmax", "argmin", "cumsum", "cumprod",
             "take_along_axis", "scatter_along_axis"},
    # inputs read for their shape and dtype alone
    "shape_only": {"broadcast_like", "sum_to", "reshape_like", "fill_like", "shape_of",
                   "reduction_count"},
}


def _having(field: str) -> set[str]:
    return {name for name, opdef in OPS.items() if getattr(opdef, field)}


def test_each_property_holds_for_exactly_the_listed_ops():
    for field, expected in EXPECTED.items():
        assert _having(field) == expected, field


def test_the_runtime_sets_are_the_derived_ones():
    assert set(HOST_OPS) == EXPECTED["runs_on_host"]
    assert set(VIEW_OPS) == EXPECTED["view"]
    assert "reshape" in VIEW_OPS and "matmul" not in VIEW_OPS and "nonsense" not in VIEW_OPS
    assert set(OPS) - HOST_OPS == set(OPS) - EXPECTED["runs_on_host"]  # set algebra works


def test_the_cuda_sources_are_derived():
    from graphc.runtime.cuda.backend import SOURCES  # (numba.cuda; no GPU needed to import)

    assert set(SOURCES) == EXPECTED["source"]


def test_ops_with_a_host_effect_run_on_the_host():
    with_effect = {name for name, opdef in OPS.items() if opdef.effect in HOST_EFFECTS}
    assert with_effect == {"placeholder", "variable", "assign", "random_normal",
                           "random_uniform", "random_uniform_like"}
    assert with_effect <= HOST_OPS


def test_the_numba_backend_plans_them_as_host_steps():
    """Every op with a feed/read/write/random effect (and every host op) in a program is a
    host step of the numba backend's plan, never part of a native segment."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float32, [None, 3])
        v = gc.Variable(np.zeros(3, np.float32))
        noise = gc.random_normal([3]) + gc.random_uniform([3])
        y = gc.reduce_sum(x * v + noise + gc.constant(np.ones(3, np.float32)), 0)
        update = v.assign(y)
    program = build_program([update], (), [x], optimize=False)
    steps = plan(program)
    native = {n for s in steps if isinstance(s, Segment) for n in s.nodes}
    on_host = {s for s in steps if isinstance(s, Node)}
    effects = {OPS[n.op].effect for n in program.schedule} - {None}
    assert {"read", "write", "random"} <= effects
    for node in program.schedule:
        if node.op in HOST_OPS and node.types:
            assert node in on_host and node not in native, node.describe()
        if OPS[node.op].effect in HOST_EFFECTS:
            assert node.op in HOST_OPS, node.describe()
    assert native  # the arithmetic in between does run natively


def test_a_collective_op_is_not_a_host_op():
    """graphc.distributed's allreduce and broadcast run natively where MPI is native."""
    def infer(types, attrs):
        return types[0]

    assert not OpDef("a_collective", infer, None, effect="collective").runs_on_host
    assert OpDef("a_random", infer, None, effect="random").runs_on_host
    assert OpDef("a_source", infer, None, source=True).runs_on_host
    assert OpDef("a_host", infer, None, host=True).runs_on_host


def test_an_op_registered_later_is_in_the_derived_sets():
    name = "test_op_properties_view"
    views = OpNames(lambda opdef: opdef.view)
    assert name not in views
    OPS[name] = OpDef(name, lambda types, attrs: types[0], lambda x: x, view=True)
    try:
        assert name in views and name in VIEW_OPS and name not in HOST_OPS
    finally:
        del OPS[name]
    assert name not in VIEW_OPS


def test_the_numba_emitters_are_the_registry_kernels():
    assert EMITTERS is KERNELS["numba"]
    assert {"add", "matmul", "reshape", "reduce_sum"} <= set(KERNELS["numba"])
    assert not set(KERNELS["numba"]) & HOST_OPS  # the host runs them, kernel or not


def test_float_only_kernels_leave_integer_results_to_the_reference():
    # (the numba backend has integer kernels for reduce_sum and reduce_max: its
    # INTEGER_KERNELS; CUDA's kernels are float-only for all three)
    graph = gc.Graph()
    with graph.as_default():
        for dtype in (gc.float32, gc.int32):
            x = gc.placeholder(dtype, [None, 3])
            for reduce in (gc.reduce_sum, gc.reduce_mean, gc.reduce_max):
                node = reduce(x, 1).node
                assert OPS[node.op].float_kernels_only
                assert node.types[0] == TensorType(dtype, (None,))
                native = dtype.is_floating or node.op in ("reduce_sum", "reduce_max")
                assert can_emit(node) is native, (node.op, dtype)


def test_every_elementwise_op_has_its_function_exported():
    from graphc.ops import elementwise

    assert elementwise.__all__ == sorted(SCALAR_OPS := set(elementwise.SCALAR))
    assert all(callable(getattr(gc, name)) for name in SCALAR_OPS)


def test_every_dims_rule_gives_the_static_shape_its_op_infers():
    """On known sizes an op's dims rule (what symbolic shapes run on symbols) must agree
    with its shape rule: checked on every node, fused ones included, of a training step
    and a graph of reductions, transposes and arg-extremes."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float32, [5, 4], name="x")
        y = gc.placeholder(gc.float32, [5, 3], name="y")
        w = gc.Variable(np.ones((4, 3), np.float32))
        b = gc.Variable(np.ones(3, np.float32))
        h = gc.relu(gc.matmul(x, w) + b)
        loss = gc.reduce_mean(gc.square(h - y))
        step = gc.group(*[v.assign(v - 0.1 * g) for v, g in zip((w, b),
                                                                 gc.gradients(loss, [w, b]))])
        t = gc.transpose(gc.reshape(x, (2, 10)))
        others = [gc.reduce_max(x, 1, keepdims=True), gc.reduce_min(x, 0),
                  gc.reduce_prod(x, [0, 1]), gc.reduce_any(x > 0, 1), gc.reduce_all(x > 0),
                  gc.argmax(t, 1), gc.argmin(x, 0), gc.ones_like(y), gc.stop_gradient(t),
                  gc.identity(y), gc.matmul(x, x, transpose_a=True),
                  gc.matmul(x, x, transpose_b=True), gc.reduce_sum(t, 0)]
    programs = [build_program([loss], [step], [x, y]),
                build_program(others, (), [x], optimize=False)]
    checked = set()
    for program in programs:
        for node in program.schedule:
            rule = OPS[node.op].dims
            if rule is not None:
                dims = [t.shape for t in node.inputs]
                assert rule(dims, node.attrs) == node.types[0].shape, node.describe()
                checked.add(node.op)
    assert {"matmul_epilogue", "sum_to", "transpose", "argmax", "reduce_prod"} <= checked


def test_a_cuda_kernel_returns_a_view_only_of_an_op_that_may_share_memory():
    from graphc.runtime.cuda.all_kernels import cuda_kernels
    from graphc.runtime.cuda.table import kernel

    views = {op for op, k in cuda_kernels().items() if k.view}
    assert {"reshape", "expand_dims", "squeeze"} <= views <= set(VIEW_OPS)
    with pytest.raises(ValueError, match="op 'add' never shares memory"):
        kernel("add", view=True)(lambda call: [])
