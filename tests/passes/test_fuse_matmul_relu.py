"""matmul+ReLU fusion: where it applies, where it must not, and that results do not change."""

import inspect

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program

rng = np.random.default_rng(0)


def ops_of(program):
    return [n.op for n in program.schedule]


def test_relu_of_matmul_fuses_and_keeps_its_value():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    y = gc.relu(x @ w)
    fused = build_program([y], feeds=[x])
    assert "matmul_relu" in ops_of(fused) and "relu" not in ops_of(fused)
    assert "matmul" not in ops_of(fused)
    node = next(n for n in fused.schedule if n.op == "matmul_relu")
    assert [n.op for n in node.origin] == ["matmul", "relu"]
    assert "matmul_relu" not in ops_of(build_program([y], feeds=[x], optimize=False))
    value = rng.standard_normal((5, 4))
    results = []
    for options in ({}, {"optimize": False}, {"disabled_passes": ["fuse_matmul_relu"]}):
        with gc.Session(**options) as sess:
            sess.run(w.initializer)
            results.append(sess.run(y, {x: value}))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_maximum_with_zeros_fuses_like_the_seed_writes_it():
    x = gc.placeholder(gc.float32, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)), dtype=gc.float32)
    assert "matmul_relu" in ops_of(build_program([gc.maximum(x @ w, gc.zeros(1))], feeds=[x]))
    assert "matmul_relu" not in ops_of(build_program([gc.maximum(x @ w, 0.5)], feeds=[x]))


def test_no_fusion_across_fetched_fed_or_shared_intermediates():
    x = gc.placeholder(gc.float64, (None, 4))
    w = gc.Variable(rng.standard_normal((4, 3)))
    h = x @ w
    y = gc.relu(h)
    assert "matmul_relu" not in ops_of(build_program([y, h], feeds=[x]))  # h fetched
    assert "matmul_relu" not in ops_of(build_program([y], feeds=[x, h]))  # h fed
    assert "matmul_relu" not in ops_of(build_program([y, h * 2], feeds=[x]))  # h shared


def test_training_graph_fuses_forward_relu_and_trains_identically():
    x = gc.placeholder(gc.float64, (None, 6))
    w1 = gc.Variable(rng.standard_normal((6, 5)))
    w2 = gc.Variable(rng.standard_normal((5, 2)))
    loss = gc.reduce_sum(gc.square(gc.relu(x @ w1) @ w2))
    step = gc.group([w.assign_sub(1e-3 * g) for w, g in zip([w1, w2],
                                                             gc.gradients(loss, [w1, w2]))])
    program = build_program([loss], [step], [x])
    # one fused forward product; the backward keeps its three matmuls; nothing computed twice
    assert ops_of(program).count("matmul_relu") == 1 and ops_of(program).count("matmul") == 4
    assert ops_of(program).count("reduce_sum") == 1
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
    assert "matmul_relu (fusing matmul 'matmul'" in message
    assert f"test_fuse_matmul_relu.py:{line}" in message and "relu 'relu'" in message


def test_unknown_pass_names_are_rejected():
    with pytest.raises(ValueError, match=r"unknown passes \['fuse_everything'\]"):
        gc.Session(disabled_passes=["fuse_everything"])
