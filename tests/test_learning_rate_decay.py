"""gc.train's learning-rate schedules against TensorFlow 1's formulas in numpy: exponential,
natural exponential, inverse time and polynomial decay (staircase, cycle), piecewise
constant; TensorFlow's dtype rule (a Python rate is float32); an optimizer driven by one."""

import numpy as np
import pytest

import graphc as gc

STEPS = [0, 1, 7, 99, 100, 101, 250, 1000]


def run_at(schedule, step_var, steps):
    with gc.Session() as sess:
        sess.run(step_var.initializer)
        out = []
        for s in steps:
            sess.run(step_var.assign(s))
            out.append(sess.run(schedule))
        return np.array(out)


@pytest.fixture
def step():
    gc.reset_default_graph()
    return gc.Variable(np.int64(0), trainable=False, name="global_step")


def f64(x):
    return np.float64(x)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(step, staircase):
    lr = gc.train.exponential_decay(f64(0.1), step, 100, 0.5, staircase=staircase)
    p = np.array(STEPS, np.float64) / 100
    p = np.floor(p) if staircase else p
    np.testing.assert_allclose(run_at(lr, step, STEPS), 0.1 * 0.5 ** p, rtol=1e-10, atol=0)


@pytest.mark.parametrize("staircase", [False, True])
def test_natural_exp_and_inverse_time_decay(step, staircase):
    natural = gc.train.natural_exp_decay(f64(0.2), step, 30, 0.7, staircase=staircase)
    inverse = gc.train.inverse_time_decay(f64(0.2), step, 30, 0.7, staircase=staircase)
    p = np.array(STEPS, np.float64) / 30
    p = np.floor(p) if staircase else p
    np.testing.assert_allclose(run_at(natural, step, STEPS), 0.2 * np.exp(-0.7 * p),
                               rtol=1e-10, atol=0)
    np.testing.assert_allclose(run_at(inverse, step, STEPS), 0.2 / (1 + 0.7 * p),
                               rtol=1e-10, atol=0)


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay(step, cycle):
    lr = gc.train.polynomial_decay(f64(0.1), step, 100, end_learning_rate=0.01, power=0.5,
                                   cycle=cycle)
    expected = []
    for s in STEPS:
        steps = 100.0 * max(np.ceil(s / 100), 1) if cycle else 100.0
        s = s if cycle else min(s, 100)
        expected.append((0.1 - 0.01) * (1 - s / steps) ** 0.5 + 0.01)
    np.testing.assert_allclose(run_at(lr, step, STEPS), expected, rtol=1e-10, atol=1e-15)


def test_piecewise_constant(step):
    lr = gc.train.piecewise_constant(step, [100, 200], [1.0, 0.5, 0.1])
    assert lr.dtype == gc.float32
    got = run_at(lr, step, [0, 100, 101, 200, 201, 1000])
    np.testing.assert_array_equal(got, np.float32([1.0, 1.0, 0.5, 0.5, 0.1, 0.1]))


def test_piecewise_constant_errors(step):
    with pytest.raises(ValueError, match="length of boundaries should be 1 less than the "
                                         "length of values"):
        gc.train.piecewise_constant(step, [100, 200], [1.0, 0.5])
    with pytest.raises(ValueError, match="values must have elements all with the same dtype"):
        gc.train.piecewise_constant(step, [100], [1.0, np.float64(0.5)])


def test_a_python_rate_is_float32_and_the_result_named_as_tensorflow(step):
    lr = gc.train.exponential_decay(0.1, step, 100, 0.96, staircase=True)
    assert lr.dtype == gc.float32
    assert lr.op.name == "ExponentialDecay"
    named = gc.train.exponential_decay(0.1, step, 100, 0.96, name="lr")
    assert named.op.name == "lr"
    got = run_at(lr, step, [0, 250])
    np.testing.assert_array_equal(got, [np.float32(0.1), np.float32(0.1) * np.float32(0.96)
                                        ** np.float32(2)])


def test_schedule_errors(step):
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        gc.train.exponential_decay(0.1, None, 100, 0.5)
    with pytest.raises(TypeError, match="exponential_decay: learning_rate must be a "
                                        "floating-point number or tensor, got int32"):
        gc.train.exponential_decay(gc.constant(1), step, 100, 0.5)


def test_momentum_follows_a_staircase_schedule(step):
    """The optimizer reads the schedule from the step before the update; minimize's
    global_step advances it: w follows w -= lr(t) * accum."""
    w = gc.Variable(np.array([1.0, -2.0]))
    loss = gc.reduce_sum(gc.square(w))
    lr = gc.train.exponential_decay(f64(0.1), step, 3, 0.5, staircase=True)
    train = gc.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=step)
    expected, accum = np.array([1.0, -2.0]), np.zeros(2)
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        for t in range(8):
            sess.run(train)
            accum = 0.9 * accum + 2 * expected
            expected = expected - 0.1 * 0.5 ** (t // 3) * accum
        np.testing.assert_allclose(sess.run(w), expected, rtol=1e-12)
        assert sess.run(step) == 8
