"""Reduction fusion: an elementwise producer and the sum, mean or max reading it as one
fused_reduction; where it applies, where it must not, and that results do not change on
either backend, whatever the inputs' values and layouts."""

import numpy as np
import pytest

import graphc as gc
from graphc.ops.core import apply
from graphc.ops.fused import FUSED_ELEMENTWISE, FUSED_REDUCTION
from graphc.passes.pipeline import build_program
from tests.passes.helpers import ops_of

rng = np.random.default_rng(5)
W = rng.standard_normal((7, 5)).astype(np.float32)


def _fused(program):
    """(reduction, axis, keepdims, expression as nested op names) of each fused_reduction."""
    def names(e):
        return f"x{e[1]}" if e[0] == "input" else (e[0], *map(names, e[2:]))
    return [(n.attrs["reduction"], n.attrs["axis"], n.attrs["keepdims"],
             names(n.attrs["expression"])) for n in program.schedule
            if n.op == "fused_reduction"]


def _inputs():
    x, y = gc.placeholder(gc.float32, (None, 5)), gc.placeholder(gc.float32, (None, 5))
    return x, y, gc.Variable(W)


# (what the program computes, the fused reductions it becomes)
FUSES = {
    "sum(square(w)), an L2 loss": (
        lambda x, y, w: gc.reduce_sum(gc.square(w)),
        [("reduce_sum", (0, 1), False, ("square", "x0"))]),
    "mean((x - y) ** 2), two batches": (
        lambda x, y, w: gc.reduce_mean((x - y) ** 2),
        [("reduce_mean", (0, 1), False, ("square", ("subtract", "x0", "x1")))]),
    "each row's mean of x * y": (
        lambda x, y, w: gc.reduce_mean(x * y, axis=-1),
        [("reduce_mean", (1,), False, ("multiply", "x0", "x1"))]),
    "each row's max, kept": (
        lambda x, y, w: gc.reduce_max(gc.exp(x) * 2.0, axis=1, keepdims=True),
        [("reduce_max", (1,), True, ("multiply", ("exp", "x0"), "x1"))]),
    "tf.nn.l2_loss(w) * wd": (
        lambda x, y, w: gc.nn.l2_loss(w) * 0.01,
        [("reduce_sum", (0, 1), False, ("square", "x0"))]),
    "logsumexp, its kept row max read once a row": (
        lambda x, y, w: gc.reduce_logsumexp(x, axis=1),
        [("reduce_sum", (1,), False, ("exp", ("subtract", "x0", "x1")))]),
    "mean(square(x)), whose shape zeros_like reads from x instead": (
        lambda x, y, w: gc.reduce_mean(gc.square(x)) + gc.reduce_sum(
            gc.zeros_like(gc.square(x))),
        [("reduce_mean", (0, 1), False, ("square", "x0"))]),
    "softmax cross-entropy": (
        lambda x, y, w: gc.reduce_mean(gc.nn.softmax_cross_entropy_with_logits(labels=y,
                                                                               logits=x)),
        [("reduce_sum", (1,), True, ("exp", "x0")),
         ("reduce_sum", (1,), False, ("multiply", ("subtract", "x0", ("log", "x1")), "x2")),
         ("reduce_mean", (0,), False, ("negative", "x0"))]),
}


@pytest.mark.parametrize("case", FUSES, ids=str)
def test_a_reduction_takes_its_elementwise_producer(case):
    build, expected = FUSES[case]
    x, y, w = _inputs()
    fetch = build(x, y, w)
    assert _fused(build_program([fetch], feeds=[x, y])) == expected
    assert "fused_reduction" not in ops_of(build_program([fetch], feeds=[x, y],
                                                         disabled=["fuse_reduction"]))
    values = {x: rng.standard_normal((4, 5)).astype(np.float32),
              y: rng.standard_normal((4, 5)).astype(np.float32)}
    assert_same_on_every_backend(fetch, values)


# the compiled backends: native code on the CPU; CUDA kernels (numba's simulator in CI)
BACKENDS = [{"backend": "numba"}, {"device": "cuda"}]


def assert_same_on_every_backend(fetch, values):
    """The fetch on each compiled backend equals the
    unoptimized numpy run's to float32's rounding: both sum in float64 and round once,
    in other orders (a result on a rounding boundary may go either way: 1 ulp)."""
    with gc.Session(optimize=False, backend="numpy") as sess:
        sess.run(gc.global_variables_initializer())
        expected = sess.run(fetch, values)
    for options in BACKENDS:
        with gc.Session(**options) as sess:
            sess.run(gc.global_variables_initializer())
            got = sess.run(fetch, values)
        for g, e in zip(*(([r] if not isinstance(fetch, list) else r) for r in (got, expected))):
            assert np.asarray(g).dtype == np.asarray(e).dtype
            np.testing.assert_allclose(g, e, rtol=1.2e-7, atol=0, err_msg=str(options))


@pytest.mark.parametrize("loss", [
    lambda d: gc.reduce_mean(gc.square(d)), lambda d: gc.reduce_sum(d ** 2),
    lambda d: gc.losses.mean_squared_error(d, gc.zeros_like(d))],
    ids=["reduce_mean(square(d))", "reduce_sum(d ** 2)", "losses.mean_squared_error"])
def test_a_training_steps_squared_error_is_one_fused_reduction(loss):
    """The loss's gradient reads d, and the mean's its input's shape and count (from d,
    once canonical): the square has one reader, so the loss fuses in every spelling, and
    the product still takes the bias as its epilogue."""
    x, y, _ = _inputs()
    draw = np.random.default_rng(7)  # (this test's values whatever ran before it)
    w = gc.Variable(draw.standard_normal((5, 5)).astype(np.float32))
    b = gc.Variable(np.zeros(5, np.float32))
    fetch = loss(x @ w + b - y)
    step = gc.train.GradientDescentOptimizer(0.01).minimize(fetch)
    ops = ops_of(build_program([fetch], [step], feeds=[x, y]))
    assert (ops.count("fused_reduction"), ops.count("matmul_epilogue")) == (1, 1)
    values = {x: draw.standard_normal((6, 5)).astype(np.float32),
              y: draw.standard_normal((6, 5)).astype(np.float32)}
    runs = []
    for options in [{"optimize": False, "backend": "numpy"}, *BACKENDS]:
        with gc.Session(**options) as sess:
            sess.run(gc.global_variables_initializer())
            runs.append([sess.run([fetch, step], values)[0] for _ in range(3)] +
                        sess.run([w, b]))
    # float32, its sums added in other orders: a few ulps, which three steps may grow
    for got in runs[1:]:
        for g, e in zip(got, runs[0]):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_a_means_gradient_reads_its_shape_from_what_the_fused_mean_reads():
    """A mean's gradient reads the shape and element count of the mean's input; read from
    the difference the square squares, they leave the square to the mean."""
    a, b = gc.placeholder(gc.float64, (None, 3)), gc.placeholder(gc.float64, (None, 3))
    d = a - b
    loss = gc.reduce_mean(gc.square(d))
    (grad,) = gc.gradients(loss, [a])
    program = build_program([loss, grad], feeds=[a, b])
    assert _fused(program) == [("reduce_mean", (0, 1), False, ("square", "x0"))]
    shape_readers = [n for n in program.schedule if n.op in ("reduction_count",
                                                               "broadcast_like")]
    assert shape_readers and all(d in n.inputs for n in shape_readers)
    feeds = {a: rng.standard_normal((4, 3)), b: rng.standard_normal((4, 3))}
    with gc.Session(backend="numba") as on, gc.Session(optimize=False) as off:
        for got, expected in zip(on.run([loss, grad], feeds), off.run([loss, grad], feeds)):
            np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_a_shape_moves_only_for_a_reduction_and_keeps_what_the_value_depended_on():
    """A shape read moves one step, only off a value a reduction then fuses: a residual
    chain with a shape read at its end compiles as fast as without it, a product keeps its
    epilogue, and an assignment the value waited for still runs."""
    x = gc.placeholder(gc.float64, (None, 2))
    h = x
    for _ in range(60):
        h = h + gc.sin(h)
    build_program([gc.zeros_like(h), h], feeds=[x])  # (settles: no walk down the chain)
    w = gc.Variable(rng.standard_normal((2, 2)))
    product = x @ w
    silu = product * gc.sigmoid(product)
    assert "matmul_epilogue" in ops_of(build_program([silu, gc.shape(silu)], feeds=[x]))
    v = gc.Variable(np.zeros(2))
    with gc.control_dependencies([v.assign_add(np.ones(2))]):
        y, z = gc.square(x), gc.negative(x)
    fetches = [gc.reduce_mean(y), gc.shape(y)]
    assert len(_fused(build_program(fetches, feeds=[x]))) == 1
    for options in ({"backend": "numba"}, {"optimize": False}):
        with gc.Session(**options) as sess:
            sess.run(gc.global_variables_initializer())
            sess.run(fetches, {x: np.ones((3, 2))})
            sess.run(gc.shape(z), {x: np.ones((3, 2))})  # (z's shape alone: z still runs)
            np.testing.assert_array_equal(sess.run(v), [2.0, 2.0])


# (what the program computes, why it keeps its plain reduction)
KEEPS = {
    "the value is fetched": lambda x, y, w: [gc.reduce_sum(x * y), x * y],
    "the value is read twice": lambda x, y, w: [gc.reduce_sum(x * y) + x * y],
    "the axis reduced leads": lambda x, y, w: [gc.reduce_sum(x * y, axis=0)],
    "an input of lower rank broadcasts": lambda x, y, w: [gc.reduce_sum(x + w[0])],
    "an input repeated over the rows": lambda x, y, w: [gc.reduce_sum(x * w[:1], axis=1)],
    "a row value over all axes": lambda x, y, w: [
        gc.reduce_max(x - gc.reduce_mean(x, axis=1, keepdims=True))],
    "a product is no elementwise op": lambda x, y, w: [gc.reduce_sum(x @ gc.transpose(y))],
    "integers add up as numpy's sum": lambda x, y, w: [
        gc.reduce_sum(gc.cast(x, gc.int32) * 2)],
    "a product of elements is not fused": lambda x, y, w: [gc.reduce_prod(x * y)],
}


@pytest.mark.parametrize("case", KEEPS, ids=str)
def test_where_a_reduction_keeps_its_input(case):
    x, y, w = _inputs()
    assert _fused(build_program(KEEPS[case](x, y, w), feeds=[x, y])) == []


def test_a_fed_value_is_not_fused_away():
    x, y, _ = _inputs()
    product = x * y
    assert _fused(build_program([gc.reduce_sum(product)], feeds=[x, y, product])) == []


# (the CUDA simulator computes with numpy scalars, which warn where float32 overflows)
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_nan_and_infinity_reach_the_result_as_in_numpy():
    x, z = gc.placeholder(gc.float32, (None, 5)), gc.placeholder(gc.float32, (None, 5))
    value = rng.standard_normal((3, 5)).astype(np.float32)
    value[0, 1], value[1, 3], value[2, 0] = np.nan, np.inf, -np.inf
    big = np.full((2, 5), 1.5e19, np.float32)  # squares fit float32; their sum does not
    fetches = [gc.reduce_sum(gc.square(x), axis=1), gc.reduce_max(gc.abs(x), axis=1),
               gc.reduce_mean(x * 2.0), gc.reduce_sum(gc.square(z))]
    assert len(_fused(build_program(fetches, feeds=[x, z]))) == 4
    expected = [np.float32([np.nan, np.inf, np.inf]), np.float32([np.nan, np.inf, np.inf]),
                np.float32(np.nan), np.float32(np.inf)]
    for options in BACKENDS:
        with gc.Session(**options) as sess:
            got = sess.run(fetches, {x: value, z: big})
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e, err_msg=str(options))


@pytest.mark.filterwarnings("ignore:overflow encountered in scalar multiply:RuntimeWarning")
def test_the_sum_reorders_its_additions_but_never_the_expressions_arithmetic():
    """x * a * b is (x * a) * b; a compiler free to reassociate the expression (fastmath's
    reassoc, which the sum needs) would compute x * (a * b). Rows of one element leave
    the sum's order nothing to change, so each result must be numpy's exactly."""
    x, a, b = gc.placeholder(gc.float64, (None, 1)), gc.placeholder(gc.float64, ()), \
        gc.placeholder(gc.float64, ())
    y, c, d = (gc.placeholder(gc.float32, shape) for shape in ((None,), (), ()))
    fetches = [gc.reduce_sum(x * a * b, axis=1), gc.reduce_sum(y * c * d)]
    assert [f[3] for f in _fused(build_program(fetches, feeds=[x, a, b, y, c, d]))] == [
        ("multiply", ("multiply", "x0", "x1"), "x2")] * 2
    values = {x: rng.standard_normal((64, 1)), a: 3.0, b: 1 / 3, y: np.full(8, 1e9, np.float32),
              c: np.float32(1e30), d: np.float32(1e-30)}  # 1e9 * 1e30 is inf in float32
    rounded = (values[x] * 3.0) * (1 / 3)
    assert (rounded != values[x] * (3.0 * (1 / 3))).any()  # the order shows
    for options in BACKENDS:
        with gc.Session(**options) as sess:
            got = sess.run(fetches, values)
        np.testing.assert_array_equal(got[0], rounded[:, 0], err_msg=str(options))
        assert got[1] == np.inf, options


def test_inputs_that_broadcast_at_run_time_or_come_in_other_layouts():
    x, y, _ = _inputs()
    fetches = [gc.reduce_mean(gc.square(x - y)), gc.reduce_sum(x * y, axis=1),
               gc.reduce_sum(x * gc.reduce_sum(y, axis=1, keepdims=True), axis=1)]
    assert len(_fused(build_program(fetches, feeds=[x, y]))) == 3
    wide = rng.standard_normal((5, 6)).astype(np.float32)
    for xv, yv in [(rng.standard_normal((1, 5)), rng.standard_normal((6, 5))),  # x repeats
                   (wide.T, np.asfortranarray(rng.standard_normal((6, 5)))),  # not C order
                   (np.zeros((0, 5)), np.zeros((0, 5)))]:  # no rows: a mean of none is NaN
        values = {x: np.asarray(xv, np.float32), y: np.asarray(yv, np.float32)}
        assert_same_on_every_backend(fetches, values)


@pytest.mark.parametrize("shape, axis", [((0, 5), None), ((3, 0), 1), ((0, 0), 1)],
                         ids=["no elements", "empty rows", "no rows of no elements"])
def test_a_max_of_no_elements_is_refused_as_numpy_refuses_it(shape, axis):
    x = gc.placeholder(gc.float32, (None, None))
    fetch = gc.reduce_max(gc.exp(x), axis=axis)
    with pytest.raises(ValueError, match="zero-size"):
        np.max(np.zeros(shape), axis=axis)
    for options in [*BACKENDS, {"backend": "numba", "disabled_passes": ["fuse_reduction"]},
                    {"device": "cuda", "disabled_passes": ["fuse_reduction"]}]:
        with gc.Session(**options) as sess, pytest.raises(ValueError, match="zero-size"):
            sess.run(fetch, {x: np.zeros(shape, np.float32)})


def test_every_axis_of_the_value_when_a_scalar_or_a_row_comes_first():
    """A fused_reduction (as a graph file may hold one) over axis None reduces every axis
    of the value the inputs broadcast to, not of its first input; an input of lower rank
    lines its dims up with the value's from the right."""
    s, b, x = gc.placeholder(gc.float32, ()), gc.placeholder(gc.float32, (4,)), \
        gc.placeholder(gc.float32, (3, 4))
    fetches = [apply(FUSED_REDUCTION, first, x, reduction=reduction, axis=None,
                     keepdims=keepdims, expression=("multiply", "float32", ("input", 0),
                                                    ("input", 1)))
               for first in (s, b) for reduction, keepdims in (("reduce_sum", False),
                                                              ("reduce_max", True))]
    row_sums = [apply(FUSED_REDUCTION, x, lower, reduction="reduce_sum", axis=(1,),
                      keepdims=False, expression=("multiply", "float32", ("input", 0),
                                                  ("input", 1)))
                for lower in (b, gc.placeholder(gc.float32, (1,)))]  # (of lower rank)
    values = {s: np.float32(2), b: rng.standard_normal(4).astype(np.float32),
              x: rng.standard_normal((3, 4)).astype(np.float32),
              row_sums[1].node.inputs[1]: np.float32([3])}
    assert_same_on_every_backend(fetches + row_sums, values)


@pytest.mark.parametrize("attrs, message", [
    ({"reduction": "reduce_prod"}, "not one of reduce_sum, reduce_mean, reduce_max"),
    ({"axis": (2,)}, r"axes \(2,\) are not sorted axes of a rank-2 value"),
    ({"axis": (1, 0)}, r"axes \(1, 0\) are not sorted axes"),
    ({"expression": ("greater", "bool", ("input", 0), ("input", 0))},
     "makes bool; a fused reduction accumulates floats"),
    ({"keepdims": "no"}, "keepdims is 'no', not True or False"),
], ids=["reduction", "axis out of range", "axes unsorted", "booleans", "keepdims"])
def test_a_fused_reduction_a_file_could_hold_is_checked(attrs, message):
    x = gc.placeholder(gc.float32, (3, 4))
    attrs = {"reduction": "reduce_sum", "axis": None, "keepdims": False,
             "expression": ("square", "float32", ("input", 0)), **attrs}
    with pytest.raises(ValueError, match=message):
        apply(FUSED_REDUCTION, x, **attrs)


def test_a_fused_node_must_read_every_input_it_has():
    """An input the expression never reads would still be broadcast with the others by
    each backend (a file could hold one): refused, for each fused op."""
    x, z = gc.placeholder(gc.float32, (3, 4)), gc.placeholder(gc.float32, (2, 3, 4))
    square = ("square", "float32", ("input", 0))
    with pytest.raises(ValueError, match="never reads input 1"):
        apply(FUSED_REDUCTION, x, z, reduction="reduce_sum", axis=(1,), keepdims=False,
              expression=square)
    with pytest.raises(ValueError, match="never reads input 1"):
        apply(FUSED_ELEMENTWISE, x, z, expression=square)


def test_cuda_computes_an_integer_power_in_the_expression_and_refuses_a_negative_one():
    x = gc.placeholder(gc.float64, (3,))
    i, j, k = gc.placeholder(gc.int64, (3,)), gc.placeholder(gc.int64, (3,)), \
        gc.placeholder(gc.int64, ())
    power = ("pow", "int64", ("input", 1), ("input", 2))  # where(i ** j > k, x, -x)
    fetch = apply(FUSED_REDUCTION, x, i, j, k, reduction="reduce_sum", axis=None,
                  keepdims=False, expression=(
                      "where", "float64", ("greater", "bool", power, ("input", 3)),
                      ("input", 0), ("negative", "float64", ("input", 0))))
    values = {x: np.array([0.5, 1.5, -2.0]), i: np.array([3, -2, 5]), j: np.array([2, 3, 0]),
              k: np.array(2)}  # i ** j: 9, -8, 1
    with gc.Session(device="cuda") as sess:
        assert sess.run(fetch, values) == 0.5 - 1.5 + 2.0
        with pytest.raises(ValueError, match="negative integer powers"):
            sess.run(fetch, {**values, j: np.array([2, -1, 0])})
