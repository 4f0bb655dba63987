"""Parameter groups (per-group hyperparameters, read at every step), state_dict() /
load_state_dict() in PyTorch's layout, their round trip through graphc.eager.save / load,
and minimize() with groups; against the formulas in numpy (tests/optim/formulas.py)."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim
from tests.optim.formulas import C, CONFIGS, IDS, START, STEPS, replay

RTOL = 1e-12


def _loss(*params):
    return sum((p * p * C).sum() for p in params)


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(*params).backward()
        opt.step()


# -- groups -----------------------------------------------------------------------------------
@pytest.mark.parametrize("opt_class,reference,hyper", CONFIGS, ids=IDS)
def test_each_group_steps_with_its_own_lr(opt_class, reference, hyper):
    """Two parameters from one start, in two groups: the second group's lr (a quarter of the
    first's) gives it the formula's result for that lr, the first keeps the defaults'."""
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = opt_class([{"params": [a]}, {"params": [b], "lr": 0.25 * opt_class(
        [a], **hyper).defaults["lr"]}], **hyper)
    small = {**hyper, "lr": opt.param_groups[1]["lr"]}
    _train(opt, [a, b], STEPS)
    np.testing.assert_allclose(a.data, replay(reference, hyper), rtol=RTOL)
    np.testing.assert_allclose(b.data, replay(reference, small), rtol=RTOL)
    assert np.abs(a.array - b.array).min() > 1e-4  # the lr made the difference


def test_groups_take_any_option_and_the_defaults_fill_the_rest():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.SGD([{"params": [a], "momentum": 0.9, "nesterov": True},
                     {"params": b, "lr": 0.05, "name": "head"}], lr=0.1)
    assert opt.defaults == dict(lr=0.1, momentum=0, dampening=0, nesterov=False,
                                weight_decay=0)
    first, second = opt.param_groups
    assert first == {"params": [a], "lr": 0.1, "momentum": 0.9, "nesterov": True,
                     "dampening": 0, "weight_decay": 0}
    assert second["params"] == [b] and second["lr"] == 0.05 and second["momentum"] == 0
    assert second["name"] == "head"  # other keys are kept, as PyTorch's
    _train(opt, [a, b], STEPS)
    from tests.optim.formulas import numpy_sgd
    np.testing.assert_allclose(a.data, replay(numpy_sgd, dict(lr=0.1, momentum=0.9,
                                                              nesterov=True)), rtol=RTOL)
    np.testing.assert_allclose(b.data, replay(numpy_sgd, dict(lr=0.05)), rtol=RTOL)
    assert set(opt.state[id(a)]) == {"momentum_buffer"} and opt.state[id(b)] == {}


def test_an_iterable_of_parameters_is_one_group():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == list(model.parameters())
    assert {k for k in opt.param_groups[0]} == {"params", "lr", "betas", "eps",
                                                "weight_decay"}
    assert opt.params == list(model.parameters())


def test_add_param_group_trains_the_new_group():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.Adam([a], lr=0.05)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    _train(opt, [a, b], STEPS)
    from tests.optim.formulas import numpy_adam
    np.testing.assert_allclose(b.data, replay(numpy_adam, dict(lr=0.01)), rtol=RTOL)


def _numpy_sgd_momentum(p, lrs, momentum):
    buf = None
    for lr in lrs:
        g = 2 * C * p
        buf = g if buf is None else momentum * buf + g
        p = p - lr * buf
    return p


def _numpy_adam(p, lrs, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, lr in enumerate(lrs, start=1):
        g = 2 * C * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return p


@pytest.mark.parametrize("make,reference", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
     lambda lrs: _numpy_sgd_momentum(START.copy(), lrs, 0.9)),
    (lambda ps: optim.Adam(ps, lr=0.1), lambda lrs: _numpy_adam(START.copy(), lrs)),
], ids=["sgd", "adam"])
def test_a_changed_lr_takes_effect_at_the_next_step(make, reference):
    p = nn.Parameter(START.copy())
    opt = make([p])
    _train(opt, [p], 3)
    for g in opt.param_groups:
        g["lr"] = 0.02
    _train(opt, [p], 3)
    np.testing.assert_allclose(p.data, reference([0.1] * 3 + [0.02] * 3), rtol=RTOL)
    assert np.abs(p.array - reference([0.1] * 6)).min() > 1e-4


def test_a_group_may_turn_momentum_on_later():
    """A state buffer a group's new options need is made when first needed (zeros)."""
    p = nn.Parameter(START.copy())
    opt = optim.SGD([p], lr=0.1)
    _train(opt, [p], 1)
    assert opt.state[id(p)] == {}
    opt.param_groups[0]["momentum"] = 0.5
    _train(opt, [p], 1)
    assert set(opt.state[id(p)]) == {"momentum_buffer"}


# -- errors -----------------------------------------------------------------------------------
def test_a_parameter_in_two_groups_is_an_error():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        opt.add_param_group({"params": [b, a]})
    assert len(opt.param_groups) == 1


def test_bad_groups_are_refused_with_pytorchs_words():
    a = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "
                                        "iterable of Tensors or dicts, but got Parameter"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered "
                                        "collections"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        optim.SGD([a], lr=0.1).add_param_group([a])
    with pytest.raises(ValueError, match="a parameter group must have the key 'params'"):
        optim.SGD([{"lr": 0.1}], lr=0.1)
    with pytest.raises(TypeError, match="SGD optimizes nn Parameters, got Tensor"):
        optim.SGD([{"params": [ge.ones(2, requires_grad=True)]}], lr=0.1)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate "
                                         "parameters"):
        optim.SGD([a, a], lr=0.1)


# -- state dicts ------------------------------------------------------------------------------
def test_state_dict_has_pytorchs_layout():
    a, b, c = (nn.Parameter(START.copy()) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    assert opt.state_dict() == {"state": {}, "param_groups": [
        {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "params": [0, 1]},
        {"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "params": [2]}]}
    opt.zero_grad()
    _loss(a, c).backward()  # b has no gradient: no state
    opt.step()
    state = opt.state_dict()["state"]
    assert list(state) == [0, 2]
    assert list(state[0]) == ["step", "exp_avg", "exp_avg_sq"]
    step = state[2]["step"]
    assert isinstance(step, ge.Tensor) and step.dtype == ge.float32 and step.shape == ()
    assert step.item() == 1.0
    np.testing.assert_allclose(state[2]["exp_avg"].numpy(), (1 - 0.9) * 2 * C * START,
                               rtol=1e-15)


def test_sgd_state_is_the_momentum_buffer_alone():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.SGD([{"params": [a], "momentum": 0.9}, {"params": [b]}], lr=0.1)
    _train(opt, [a, b], 1)
    state = opt.state_dict()["state"]
    assert list(state) == [0] and list(state[0]) == ["momentum_buffer"]


def test_adagrad_state_exists_before_the_first_step():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.5}])
    state = opt.state_dict()["state"]
    assert [state[i]["step"].item() for i in (0, 1)] == [0.0, 0.0]
    np.testing.assert_array_equal(state[1]["sum"].numpy(), np.full((1, 3), 0.5))
    np.testing.assert_array_equal(state[0]["sum"].numpy(), np.zeros((1, 3)))


def test_state_dicts_never_share_arrays_with_the_optimizer():
    p = nn.Parameter(START.copy())
    opt = optim.Adam([p], lr=0.1)
    _train(opt, [p], 2)
    taken = opt.state_dict()
    before = taken["state"][0]["exp_avg"].numpy().copy()
    taken["state"][0]["exp_avg"].numpy()[...] = 99.0
    taken["param_groups"][0]["betas"] = (0.5, 0.5)
    np.testing.assert_array_equal(opt.state[id(p)]["exp_avg"].numpy(), before)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)

    other = optim.Adam([p], lr=0.1)
    fresh = opt.state_dict()
    other.load_state_dict(fresh)
    fresh["state"][0]["exp_avg"].numpy()[...] = 99.0
    fresh["param_groups"][0]["lr"] = 7.0
    np.testing.assert_array_equal(other.state[id(p)]["exp_avg"].numpy(), before)
    assert other.param_groups[0]["lr"] == 0.1


MAKERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3),
    lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.02, momentum=0.5, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.3, lr_decay=0.1, initial_accumulator_value=0.1),
]
MAKER_IDS = ["sgd", "adam", "rmsprop", "adagrad"]


def _model_and_optimizer(make):
    ge.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8, dtype=gc.float64), nn.Tanh(),
                          nn.Linear(8, 2, dtype=gc.float64))
    opt = make([{"params": model[0].parameters()},
                {"params": model[2].parameters(), "lr": 0.01}])
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, scheduler


def _epochs(model, opt, scheduler, n):
    rng = np.random.default_rng(1)
    x, y = ge.tensor(rng.standard_normal((16, 4))), ge.tensor(rng.standard_normal((16, 2)))
    for _ in range(n):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
        scheduler.step()


@pytest.mark.parametrize("make", MAKERS, ids=MAKER_IDS)
def test_three_steps_saved_and_loaded_then_three_more_equal_six_straight(make, tmp_path):
    straight, opt, scheduler = _model_and_optimizer(make)
    _epochs(straight, opt, scheduler, 6)

    first, opt, scheduler = _model_and_optimizer(make)
    _epochs(first, opt, scheduler, 3)
    ge.save({"model": first.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": scheduler.state_dict(), "epoch": 3}, tmp_path / "checkpoint.pt")

    resumed, opt, scheduler = _model_and_optimizer(make)  # a fresh start, then loaded
    checkpoint = ge.load(tmp_path / "checkpoint.pt")
    resumed.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert checkpoint["epoch"] == 3 and [g["lr"] for g in opt.param_groups] == \
        scheduler.get_last_lr()
    _epochs(resumed, opt, scheduler, 3)  # (the same data every epoch)
    for (name, p), (_, q) in zip(straight.named_parameters(), resumed.named_parameters()):
        np.testing.assert_array_equal(q.data, p.data, err_msg=name)  # exact, in float64
    assert [g["lr"] for g in opt.param_groups] == [g["initial_lr"] * 0.125
                                                   for g in opt.param_groups]
    assert opt.param_groups[1]["initial_lr"] == 0.01


def test_load_restores_the_hyperparameters_and_the_steps():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.Adam([{"params": [a]}, {"params": [b], "betas": (0.8, 0.9)}], lr=0.1)
    _train(opt, [a, b], 2)
    opt.param_groups[1]["lr"] = 0.3
    saved = opt.state_dict()
    c, d = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    other = optim.Adam([{"params": [c]}, {"params": [d]}], lr=0.5)
    other.load_state_dict(saved)
    assert [g["lr"] for g in other.param_groups] == [0.1, 0.3]
    assert other.param_groups[1]["betas"] == (0.8, 0.9)
    assert other.param_groups[0]["params"] == [c] and other.param_groups[1]["params"] == [d]
    assert other.param_steps == {id(c): 2, id(d): 2}


def test_load_casts_the_state_to_the_parameters_dtype():
    p = nn.Parameter(START.astype(np.float32))
    opt = optim.Adam([p])
    saved = {"state": {0: {"step": 4, "exp_avg": np.ones((1, 3)),
                           "exp_avg_sq": ge.ones(1, 3, dtype=ge.float64)}},
             "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
                               "weight_decay": 0, "params": [0]}]}
    opt.load_state_dict(saved)
    assert opt.state[id(p)]["exp_avg"].dtype == ge.float32
    assert opt.state[id(p)]["exp_avg_sq"].dtype == ge.float32
    assert opt.param_steps == {id(p): 4}


def test_load_refuses_a_state_dict_that_does_not_match_with_pytorchs_words():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    opt = optim.Adam([{"params": [a]}, {"params": [b]}])
    _train(opt, [a, b], 1)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="loaded state dict has a different number of "
                                         "parameter groups"):
        optim.Adam([a, b]).load_state_dict(saved)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group"):
        optim.Adam([{"params": [a, b]}, {"params": [nn.Parameter(START.copy())]}]
                   ).load_state_dict(saved)
    other = optim.Adam([{"params": [nn.Parameter(np.ones(2))]}, {"params": [b]}])
    with pytest.raises(ValueError, match=r"'exp_avg' has shape \(1, 3\), but the parameter has "
                                         r"shape \(2,\)"):
        other.load_state_dict(saved)
    assert other.state == {} and other.param_steps == {}  # nothing changed
    del saved["state"][1]["step"]
    with pytest.raises(ValueError, match="the state of parameter 1: has no 'step'"):
        opt.load_state_dict(saved)
    with pytest.raises(ValueError, match="expected an optimizer's state_dict()"):
        opt.load_state_dict({"weight": np.ones(2)})


def test_a_loaded_sgd_momentum_buffer_is_not_a_first_step():
    """PyTorch's SGD state has no step; a loaded buffer continues (with dampening, the first
    step's b = g is not taken again)."""
    straight = nn.Parameter(START.copy())
    opt = optim.SGD([straight], lr=0.1, momentum=0.9, dampening=0.5)
    _train(opt, [straight], 4)
    p = nn.Parameter(START.copy())
    first = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    _train(first, [p], 2)
    second = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    second.load_state_dict(first.state_dict())
    _train(second, [p], 2)
    np.testing.assert_array_equal(p.data, straight.data)


def test_step_takes_a_closure_and_zero_grad_may_keep_zeros():
    p = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0
    np.testing.assert_array_equal(p.array, [0.5, -1.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    assert opt.step() is None


def test_load_refuses_a_state_that_is_not_a_dict():
    p = nn.Parameter(START.copy())
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="'state' must be a dict of parameter number"):
        opt.load_state_dict({"state": [], "param_groups": opt.state_dict()["param_groups"]})
    with pytest.raises(TypeError, match="parameters are numbered by ints, got '0'"):
        opt.load_state_dict({"state": {"0": {"step": 1}},
                             "param_groups": opt.state_dict()["param_groups"]})


# -- graphs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("opt_class,reference,hyper", CONFIGS, ids=IDS)
def test_minimize_builds_each_groups_values(opt_class, reference, hyper):
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    graph = gc.Graph()
    with graph.as_default():
        loss = gc.reduce_sum(a.variable(graph) ** 2 * C) + \
            gc.reduce_sum(b.variable(graph) ** 2 * C)
        opt = opt_class([{"params": [a]}, {"params": [b]}], **hyper)
        opt.param_groups[1]["lr"] = 0.25 * opt.defaults["lr"]
        train = opt.minimize(loss)
        opt.param_groups[0]["lr"] = 1e3  # after minimize: the graph does not see it
        init = gc.global_variables_initializer()
    with gc.Session(graph) as sess:
        sess.run(init)
        for _ in range(STEPS):
            sess.run(train)
    np.testing.assert_allclose(a.data, replay(reference, hyper), rtol=RTOL)
    np.testing.assert_allclose(b.data, replay(reference, {**hyper, "lr": 0.25 * opt.defaults[
        "lr"]}), rtol=RTOL)


def test_minimize_with_momentum_in_one_group_only():
    a, b = nn.Parameter(START.copy()), nn.Parameter(START.copy())
    graph = gc.Graph()
    with graph.as_default():
        loss = gc.reduce_sum(a.variable(graph) ** 2 * C) + \
            gc.reduce_sum(b.variable(graph) ** 2 * C)
        train = optim.SGD([{"params": [a], "momentum": 0.9}, {"params": [b]}],
                          lr=0.1).minimize(loss)
        buffers = [v.node.name for v in gc.global_variables()
                   if v.node.name.endswith("momentum_buffer")]
        init = gc.global_variables_initializer()
    assert len(buffers) == 1
    with gc.Session(graph) as sess:
        sess.run(init)
        for _ in range(STEPS):
            sess.run(train)
    from tests.optim.formulas import numpy_sgd
    np.testing.assert_allclose(a.data, replay(numpy_sgd, dict(lr=0.1, momentum=0.9)),
                               rtol=RTOL)
    np.testing.assert_allclose(b.data, replay(numpy_sgd, dict(lr=0.1)), rtol=RTOL)


def test_no_warning_for_distinct_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optim.SGD([nn.Parameter(np.ones(1)), nn.Parameter(np.ones(1))], lr=0.1)


def test_a_model_converted_after_its_optimizer_stepped_is_refused_before_any_update():
    import graphc.eager as torch

    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(4, 3)
    model(x).sum().backward()
    opt.step()
    model.double()
    before = model.weight.detach().numpy().copy()
    model(x.double()).sum().backward()
    with pytest.raises(RuntimeError, match="parameter 0 is float64 but its state "
                                           "'momentum_buffer' is float32"):
        opt.step()
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)  # nothing applied
