"""Epilogue fusion: a matmul and the elementwise tail reading its product as one op; where it
applies, where it must not, and that results do not change."""

import inspect

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program
from tests.passes.helpers import ops_of

rng = np.random.default_rng(0)


def epilogues(program):
    """The epilogue expression of each matmul_epilogue, as nested op names."""
    def names(e):
        return "p" if e == ("input", 0) else f"x{e[1]}" if e[0] == "input" else \
            (e[0], *map(names, e[2:]))
    return [names(n.attrs["expression"]) for n in program.schedule if n.op == "matmul_epilogue"]


def test_relu_of_matmul_fuses_and_keeps_its_value():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    y = gc.relu(x @ w)
    fused = build_program([y], feeds=[x])
    assert ops_of(fused) == ["variable", "matmul_epilogue"]
    assert epilogues(fused) == [("relu", "p")]
    node = next(n for n in fused.schedule if n.op == "matmul_epilogue")
    assert [n.op for n in node.origin] == ["matmul", "relu"]
    assert "matmul_epilogue" not in ops_of(build_program([y], feeds=[x], optimize=False))
    value = rng.standard_normal((5, 4))
    results = []
    for options in ({}, {"optimize": False}, {"disabled_passes": ["fuse_matmul_epilogue"]}):
        with gc.Session(**options) as sess:
            sess.run(w.initializer)
            results.append(sess.run(y, {x: value}))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


@pytest.mark.parametrize("spell", [
    lambda h: gc.maximum(h, gc.zeros(1)), lambda h: gc.maximum(gc.zeros(1), h),
    lambda h: gc.maximum(h, 0.0), lambda h: gc.maximum(0.0, h), gc.relu,
], ids=["maximum(h, zeros(1))", "maximum(zeros(1), h)", "maximum(h, 0.0)", "maximum(0.0, h)",
        "relu(h)"])
def test_every_spelling_of_relu_fuses_like_relu(spell):
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)), dtype=gc.float32)
    assert epilogues(build_program([spell(x @ w)], feeds=[x])) == [("relu", "p")]


def test_a_maximum_that_is_not_a_relu_is_an_epilogue_of_its_own():
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)), dtype=gc.float32)
    assert epilogues(build_program([gc.maximum(x @ w, 0.5)], feeds=[x])) == [("maximum", "p", "x1")]
    wide = gc.maximum(x @ w, np.zeros((5, 3), np.float32))  # widens (None, 3): not a ReLU
    assert "relu" not in str(epilogues(build_program([wide], feeds=[x])))


def test_no_fusion_across_fetched_fed_or_shared_intermediates():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    h = x @ w
    y = gc.relu(h)
    assert "matmul_epilogue" not in ops_of(build_program([y, h], feeds=[x]))  # h fetched
    assert "matmul_epilogue" not in ops_of(build_program([y], feeds=[x, h]))  # h fed
    assert "matmul_epilogue" not in ops_of(build_program([y, h * 2], feeds=[x]))  # h shared


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


def test_a_bias_that_widens_the_product_is_not_fused():
    x = gc.placeholder(gc.float64, (1, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    wide = gc.relu(x @ w + np.ones((5, 3)))
    assert "matmul_epilogue" not in ops_of(build_program([wide], feeds=[x]))


def test_backward_mask_fuses_only_when_its_product_is_not_shared():
    # (a mask whose batch could differ from the product's, (None, 4) against (None, 4) of
    # another placeholder, could widen it at run time: fixed sizes here)
    g = gc.placeholder(gc.float64, (2, 3))
    w = gc.Variable(rng.standard_normal((4, 3)))
    y = gc.placeholder(gc.float64, (2, 4))
    product = gc.matmul(g, w, transpose_b=True)
    masked = gc.where(y > 0, product, 0.0)
    assert epilogues(build_program([masked], feeds=[g, y])) == [
        ("where", ("greater", "x1", "x2"), "p", "x2")]
    assert "matmul_epilogue" not in ops_of(build_program([masked, product * 2], feeds=[g, y]))
    feeds = {g: rng.standard_normal((2, 3)), y: rng.standard_normal((2, 4))}
    with gc.Session() as on, gc.Session(optimize=False) as off:
        on.run(w.initializer)
        off.run(w.initializer)
        np.testing.assert_array_equal(on.run(masked, feeds), off.run(masked, feeds))
