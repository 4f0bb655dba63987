"""RMSprop and Adagrad: their state, settings and per-parameter steps (their updates are
checked against the formulas in test_optimizers.py)."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim
from tests.optim.formulas import CONFIGS, START, numpy_adagrad, replay

RTOL = 1e-12


def test_the_replay_moves_the_parameter():
    """The configurations are not vacuous: every one moves p by far more than RTOL."""
    for _, reference, hyper in CONFIGS:
        assert np.abs(replay(reference, hyper) - START).min() > 1e-3


def test_state_names_follow_pytorch():
    p = nn.Parameter(START.copy())
    assert optim.RMSprop([p]).state_names == ("square_avg",)
    assert optim.RMSprop([p], momentum=0.9, centered=True).state_names == (
        "square_avg", "momentum_buffer", "grad_avg")
    adagrad = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert adagrad.state_names == ("sum",)
    # as PyTorch's, Adagrad's sum exists (filled) before the first step
    np.testing.assert_array_equal(np.asarray(adagrad.state[id(p)]["sum"]), np.full((1, 3), 0.25))


def test_a_graph_state_variable_starts_at_the_initial_accumulator_value():
    graph = gc.Graph()
    with graph.as_default():
        v = gc.Variable(START.copy(), name="v")
        optim.Adagrad([v], initial_accumulator_value=0.75).minimize(gc.reduce_sum(v ** 2))
        init = gc.global_variables_initializer()
        sums = [u for u in gc.global_variables() if u.node.name.endswith("v_sum")]
    with gc.Session(graph) as sess:
        sess.run(init)
        assert len(sums) == 1
        np.testing.assert_array_equal(sess.run(sums[0]), np.full((1, 3), 0.75))


def test_skips_parameters_without_gradients():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    for make in (optim.RMSprop, optim.Adagrad):
        opt = make([a, b], lr=0.1)
        opt.zero_grad()
        (a * 3).sum().backward()
        opt.step()
        np.testing.assert_array_equal(np.asarray(b), [1.0, 1.0])
    assert (np.asarray(a) < 1).all()


@pytest.mark.parametrize("make,message", [
    (lambda ps: optim.RMSprop(ps, lr=-0.1), r"RMSprop: invalid learning rate -0.1 \(it must "
                                            r"be >= 0\)"),
    (lambda ps: optim.RMSprop(ps, alpha=-1), "RMSprop: invalid alpha -1"),
    (lambda ps: optim.RMSprop(ps, eps=-1e-8), "RMSprop: invalid epsilon -1e-08"),
    (lambda ps: optim.RMSprop(ps, momentum=-0.5), "RMSprop: invalid momentum -0.5"),
    (lambda ps: optim.RMSprop(ps, weight_decay=float("nan")), "RMSprop: invalid weight decay "
                                                              "nan"),
    (lambda ps: optim.Adagrad(ps, lr=-1), "Adagrad: invalid learning rate -1"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), "Adagrad: invalid lr decay -1"),
    (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-1),
     "Adagrad: invalid initial accumulator value -1"),
    (lambda ps: optim.Adagrad(ps, eps=-1), "Adagrad: invalid epsilon -1"),
], ids=["rms_lr", "rms_alpha", "rms_eps", "rms_momentum", "rms_decay", "ada_lr", "ada_decay",
        "ada_initial", "ada_eps"])
def test_bad_settings_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match="RMSprop: got an empty list of parameters"):
        optim.RMSprop([])


@pytest.mark.parametrize("make, reference", [
    (lambda ps: optim.Adagrad(ps, lr=0.3, lr_decay=0.5), lambda p, gs: numpy_adagrad(
        p, gs, lr=0.3, lr_decay=0.5)),
    (lambda ps: optim.Adam(ps, lr=0.1), None),
])
def test_a_parameter_without_a_gradient_does_not_advance_its_step(make, reference):
    """PyTorch counts steps per parameter (state['step']): one whose gradient is None on a
    step() starts its learning-rate decay and bias correction when it first has one."""
    ge.set_default_dtype(ge.float64)
    try:
        a, b = nn.Parameter(ge.tensor([1.0])), nn.Parameter(ge.tensor([1.0]))
        opt = make([a, b])
        (a * a).sum().backward()
        opt.step()
        opt.zero_grad()
        (b * b).sum().backward()
        opt.step()
        if reference is not None:
            expected = reference(np.array([1.0]), [np.array([2.0])])
        else:  # Adam's first step moves by lr (m_hat = g, v_hat = g^2)
            expected = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8)
        np.testing.assert_allclose(b.array, expected, rtol=1e-12)
        assert opt.param_steps == {id(a): 1, id(b): 1}
    finally:
        ge.set_default_dtype(ge.float32)
