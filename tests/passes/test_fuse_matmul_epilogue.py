"""Epilogue fusion, row by row: each row builds a matmul and an elementwise tail, names the
epilogue the product takes (or none), and the results must not change, on the numpy and
the native backend. After the table: every spelling of a ReLU, a fed product, a training
graph, error messages that name the user's ops, a linear layer."""

import inspect

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import assert_same_with_and_without_passes, expression_names, ops_of

rng = np.random.default_rng(0)


def epilogues(program):
    """The epilogue expression of each matmul_epilogue, as nested op names (the product
    "p", input i "x{i}")."""
    return [expression_names(n.attrs["expression"], product=True) for n in program.schedule
            if n.op == "matmul_epilogue"]


def _update(x, w, b, y):
    v = gc.Variable(np.zeros((5, 3)))
    return [v.assign(v * y + x @ w)]  # (no scalar beta: no matmul_add)


# (id, build from placeholders x (5, 4), w (4, 3), b (3,), y (5, 3) -> fetches, the
# epilogues)
RULES = [
    ("relu(p)", lambda x, w, b, y: [gc.relu(x @ w)], [("relu", "p")]),
    ("relu(p + b)", lambda x, w, b, y: [gc.relu(x @ w + b)], [("relu", ("add", "p", "x1"))]),
    ("b + p, the product second", lambda x, w, b, y: [b + x @ w], [("add", "x1", "p")]),
    ("y - p", lambda x, w, b, y: [y - x @ w], [("subtract", "x1", "p")]),
    ("maximum(p, 0.5)", lambda x, w, b, y: [gc.maximum(x @ w, 0.5)], [("maximum", "p", "x1")]),
    ("where(y > 0, p, 0), a ReLU's mask", lambda x, w, b, y: [gc.where(y > 0.0, x @ w, 0.0)],
     [("where", ("greater", "x1", "x2"), "p", "x2")]),
    ("p * p", lambda x, w, b, y: [square_of(x @ w)], [("multiply", "p", "p")]),
    ("p * p + b", lambda x, w, b, y: [square_of(x @ w) + b],
     [("add", ("multiply", "p", "p"), "x1")]),
    ("p * sigmoid(p)", lambda x, w, b, y: [silu(x @ w)], [("multiply", "p", ("sigmoid", "p"))]),
    ("p fetched kept", lambda x, w, b, y: [gc.relu(x @ w), x @ w], []),
    ("p read elsewhere kept", lambda x, w, b, y: [gc.relu(x @ w), (x @ w) * 2.0], []),
    ("p * p, p fetched kept", lambda x, w, b, y: [square_of(x @ w), x @ w], []),
    ("a bias that widens p kept", lambda x, w, b, y: [gc.relu(x @ w + np.ones((2, 5, 3)))],
     []),
    ("a variable's update kept", _update, []),
    # a tail reading two products takes the first it can: here the second, y @ I (the
    # first is fetched), and reads the first as its other input
    ("p1 fetched, p2 fused", lambda x, w, b, y: [x @ w + y @ np.eye(3), x @ w],
     [("add", "x1", "p")]),
]


def square_of(p):
    return p * p


def silu(p):
    return p * gc.sigmoid(p)


@pytest.mark.parametrize("build, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(build, expected):
    x, w = gc.placeholder(gc.float64, (5, 4)), gc.placeholder(gc.float64, (4, 3))
    b, y = gc.placeholder(gc.float64, (3,)), gc.placeholder(gc.float64, (5, 3))
    fetches = build(x, w, b, y)
    assert epilogues(build_program(fetches, feeds=[x, w, b, y])) == expected
    feeds = {x: rng.standard_normal((5, 4)), w: rng.standard_normal((4, 3)),
             b: rng.standard_normal(3), y: rng.standard_normal((5, 3))}
    for backend in ("numpy", "numba"):
        assert_same_with_and_without_passes(fetches, feeds, backend=backend)


def test_a_product_read_twice_is_squared_as_numpy_squares_it():
    """p * p: the epilogue names the product twice, and each backend reads it twice (CUDA
    in numba's simulator here; its product sums in another order: a few ulps)."""
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)).astype(np.float32))
    p = x @ w
    y = p * p
    assert epilogues(build_program([y], feeds=[x])) == [("multiply", "p", "p")]
    value = rng.standard_normal((6, 4)).astype(np.float32)
    for options in ({"backend": "numpy"}, {"backend": "numba"}, {"device": "cuda"}):
        with gc.Session(**options) as sess:
            sess.run(w.initializer)
            product = value @ sess.run(w)
            got = sess.run(y, {x: value})
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, product * product, rtol=1e-5, atol=1e-6,
                                   err_msg=str(options))


@pytest.mark.parametrize("spell", [
    lambda h: gc.maximum(h, gc.zeros(1)), lambda h: gc.maximum(gc.zeros(1), h),
    lambda h: gc.maximum(h, 0.0), lambda h: gc.maximum(0.0, h), gc.relu,
], ids=["maximum(h, zeros(1))", "maximum(zeros(1), h)", "maximum(h, 0.0)", "maximum(0.0, h)",
        "relu(h)"])
def test_every_spelling_of_relu_fuses_like_relu(spell):
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)), dtype=gc.float32)
    assert epilogues(build_program([spell(x @ w)], feeds=[x])) == [("relu", "p")]


def test_a_maximum_with_zeros_that_widen_the_product_is_not_a_relu():
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)), dtype=gc.float32)
    wide = gc.maximum(x @ w, np.zeros((5, 3), np.float32))  # widens (None, 3): not a ReLU
    assert "relu" not in str(epilogues(build_program([wide], feeds=[x])))


def test_a_fed_product_is_not_fused():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    h = x @ w
    for y in (gc.relu(h), h * h):
        assert "matmul_epilogue" not in ops_of(build_program([y], feeds=[x, h]))
        with gc.Session() as sess:
            sess.run(w.initializer)
            np.testing.assert_array_equal(sess.run(y, {x: np.ones((2, 4)), h: -np.ones((2, 3))}),
                                          sess.run(y, {h: -np.ones((2, 3))}))


@pytest.mark.parametrize("relu", [gc.relu, lambda h: gc.maximum(h, gc.zeros(1, h.dtype)),
                                  lambda h: gc.maximum(0.0, h),
                                  lambda h: gc.where(h > 0, h, 0.0)],
                         ids=["relu", "maximum(h, zeros(1))", "maximum(0.0, h)",
                              "where(h > 0, h, 0.0)"])
def test_training_graph_fuses_forward_relu_and_trains_identically(relu):
    x = gc.placeholder(gc.float64, (None, 6))
    w1 = gc.Variable(rng.standard_normal((6, 5)))
    w2 = gc.Variable(rng.standard_normal((5, 2)))
    loss = gc.reduce_sum(gc.square(relu(x @ w1) @ w2))
    step = gc.group([w.assign_sub(1e-3 * g) for w, g in zip([w1, w2],
                                                             gc.gradients(loss, [w1, w2]))])
    program = build_program([loss], [step], [x])
    # the forward product takes the ReLU; the product making the hidden layer's gradient
    # takes the ReLU mask; the two weight-gradient products fold into their SGD updates
    # (matmul_add); the loss sums its squares as it makes them; nothing is computed twice
    ops = ops_of(program)
    assert (ops.count("matmul_epilogue"), ops.count("matmul"), ops.count("matmul_add")) == \
        (2, 1, 2)
    forward, mask = epilogues(program)
    assert forward in (("relu", "p"), ("where", ("greater", "p", "x1"), "p", "x1"))
    assert mask == ("where", ("greater", "x1", "x2"), "p", "x2")
    assert (ops.count("fused_reduction"), ops.count("reduce_sum")) == (1, 0)
    assert "matmul_epilogue" not in ops_of(build_program([loss], [step], [x],
                                                         disabled=["fuse_matmul_epilogue"]))
    value = rng.standard_normal((4, 6))
    runs = []
    for optimize in (True, False):
        with gc.Session(optimize=optimize) as sess:
            sess.run(gc.global_variables_initializer())
            runs.append([sess.run([loss, step], {x: value})[0] for _ in range(5)])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-14)


def test_errors_inside_a_fused_op_name_the_users_ops():
    a = gc.placeholder(gc.float64, (None, None))
    b = gc.placeholder(gc.float64, (None, None))
    line = inspect.currentframe().f_lineno + 1
    y = gc.relu(gc.matmul(a, b))
    with gc.Session() as sess:
        with pytest.raises(gc.InvalidArgumentError) as err:
            sess.run(y, {a: np.ones((2, 3)), b: np.ones((4, 2))})
    message = str(err.value)
    assert "matmul_epilogue (fusing matmul 'matmul'" in message
    assert f"test_fuse_matmul_epilogue.py:{line}" in message and "relu 'relu'" in message


def test_unknown_pass_names_are_rejected():
    with pytest.raises(ValueError, match=r"unknown passes \['fuse_everything'\]"):
        gc.Session(disabled_passes=["fuse_everything"])


def test_linear_layer_with_bias_and_relu_fuses():
    from graphc import nn
    layer = nn.Linear(4, 3, dtype=gc.float64)
    x = gc.placeholder(gc.float64, (None, 4))
    y = nn.ReLU()(layer(x))
    program = build_program([y], feeds=[x])
    fused = [n for n in program.schedule if n.op == "matmul_epilogue"]
    assert len(fused) == 1 and [n.op for n in fused[0].origin] == ["matmul", "add", "relu"]
    assert epilogues(program) == [("relu", ("add", "p", "x1"))]
    value = rng.standard_normal((5, 4))
    with gc.Session() as on, gc.Session(optimize=False) as off:
        np.testing.assert_array_equal(on.run(y, {x: value}), off.run(y, {x: value}))
    grads = gc.gradients(gc.reduce_sum(y), [layer.bias.variable(x.graph)])
    with gc.Session() as sess:  # the bias gradient sums the masked rows
        np.testing.assert_allclose(sess.run(grads[0], {x: value}),
                                   (np.asarray(sess.run(y, {x: value})) > 0).sum(axis=0))


def test_a_tail_of_two_products_takes_the_one_read_by_it_alone():
    x, y = gc.placeholder(gc.float64, (5, 4)), gc.placeholder(gc.float64, (5, 3))
    w = gc.placeholder(gc.float64, (4, 3))
    first = x @ w
    program = build_program([first + y @ np.eye(3), first], feeds=[x, y, w])
    (fused,) = [n for n in program.schedule if n.op == "matmul_epilogue"]
    assert fused.inputs[0] is y and fused.inputs[2] is first
