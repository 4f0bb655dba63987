"""torch.optim.lr_scheduler: each scheduler's learning rates over ten epochs, written out by
hand from PyTorch's documented formulas, and their state dicts, "initial_lr" and resuming."""

import math

import numpy as np
import pytest

import graphc.eager as torch
from graphc import nn, optim
from graphc.optim import lr_scheduler

EPOCHS = 10


def _optimizer(*lrs):
    return optim.SGD([{"params": [nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs], lr=1.0)


def _rates(scheduler, epochs=EPOCHS):
    """The groups' lr at epochs 0 (once made), 1, ..., epochs - 1, as get_last_lr() says
    and as the groups hold them."""
    rates = []
    for _ in range(epochs):
        assert scheduler.get_last_lr() == [g["lr"] for g in scheduler.optimizer.param_groups]
        rates.append(scheduler.get_last_lr())
        scheduler.optimizer.step()
        scheduler.step()
    return rates


def _close(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a == pytest.approx(e, rel=1e-12, abs=1e-15), (actual, expected)


def test_step_lr():
    """lr = base * gamma ** (epoch // step_size)."""
    rates = _rates(lr_scheduler.StepLR(_optimizer(0.1, 1.0), step_size=3, gamma=0.1))
    _close([r[0] for r in rates], [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001,
                                   0.0001])
    _close([r[1] for r in rates], [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])


def test_multi_step_lr():
    """lr = base * gamma ** (milestones <= epoch); a milestone listed twice counts twice."""
    rates = _rates(lr_scheduler.MultiStepLR(_optimizer(1.0), milestones=[2, 5, 5, 8],
                                            gamma=0.5))
    assert [r[0] for r in rates] == [1.0, 1.0, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125, 0.0625,
                                     0.0625]


def test_exponential_lr():
    """lr = base * gamma ** epoch."""
    rates = _rates(lr_scheduler.ExponentialLR(_optimizer(0.5), gamma=0.9))
    _close([r[0] for r in rates], [0.5, 0.45, 0.405, 0.3645, 0.32805, 0.295245, 0.2657205,
                                   0.23914845, 0.215233605, 0.1937102445])


def test_lambda_lr_one_function():
    """lr = base * lr_lambda(epoch), one function for every group."""
    rates = _rates(lr_scheduler.LambdaLR(_optimizer(0.2, 0.4), lambda epoch: 1 / (epoch + 1)))
    _close([r[0] for r in rates], [0.2, 0.1, 0.2 / 3, 0.05, 0.04, 0.2 / 6, 0.2 / 7, 0.025,
                                   0.2 / 9, 0.02])
    _close([r[1] for r in rates], [0.4, 0.2, 0.4 / 3, 0.1, 0.08, 0.4 / 6, 0.4 / 7, 0.05,
                                   0.4 / 9, 0.04])


def test_lambda_lr_one_function_per_group():
    rates = _rates(lr_scheduler.LambdaLR(_optimizer(0.1, 0.01),
                                         [lambda e: 0.5 ** e, lambda e: e + 1]))
    _close([r[0] for r in rates], [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625,
                                   0.00078125, 0.000390625, 0.0001953125])
    _close([r[1] for r in rates], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(_optimizer(0.1, 0.01), [lambda e: 1.0])


def test_cosine_annealing_lr():
    """lr = eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2, rising again after
    T_max: with T_max 4, cos(pi epoch / 4) is 1, sqrt(1/2), 0, -sqrt(1/2), -1, ..."""
    h = math.sqrt(0.5)
    rates = _rates(lr_scheduler.CosineAnnealingLR(_optimizer(0.1), T_max=4, eta_min=0.01))
    _close([r[0] for r in rates], [0.1, 0.01 + 0.045 * (1 + h), 0.055, 0.01 + 0.045 * (1 - h),
                                   0.01, 0.01 + 0.045 * (1 - h), 0.055, 0.01 + 0.045 * (1 + h),
                                   0.1, 0.01 + 0.045 * (1 + h)])


def test_cosine_annealing_lr_to_zero():
    """T_max 10, eta_min 0: lr = (1 + cos(pi epoch / 10)) / 2, 0 at epoch 10."""
    c1, c2 = math.cos(math.pi / 10), math.cos(2 * math.pi / 10)  # 0.951..., 0.809...
    c3, c4 = math.cos(3 * math.pi / 10), math.cos(4 * math.pi / 10)  # 0.587..., 0.309...
    rates = _rates(lr_scheduler.CosineAnnealingLR(_optimizer(1.0), T_max=10), 11)
    _close([r[0] for r in rates], [1.0, (1 + c1) / 2, (1 + c2) / 2, (1 + c3) / 2, (1 + c4) / 2,
                                   0.5, (1 - c4) / 2, (1 - c3) / 2, (1 - c2) / 2, (1 - c1) / 2,
                                   0.0])


def test_the_scheduled_lr_is_the_one_the_optimizer_steps_with():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.5)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    expected = 1.0
    for lr in (0.5, 0.25, 0.125):
        opt.zero_grad()
        (p * 1.0).sum().backward()  # gradient 1: each step moves p by lr
        opt.step()
        scheduler.step()
        expected -= lr
        assert p.item() == expected


def test_initial_lr_and_base_lrs():
    opt = _optimizer(0.1, 0.2)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert scheduler.base_lrs == [0.1, 0.2] and scheduler.last_epoch == 0
    scheduler.step()
    assert scheduler.last_epoch == 1
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]  # kept
    # a second scheduler keeps the initial_lr already there and chains with the first
    second = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert second.base_lrs == [0.1, 0.2]
    scheduler.step()
    second.step()
    assert scheduler.get_last_lr() == [0.025, 0.05] and second.get_last_lr() == [0.0125, 0.025]


def test_the_chainable_form_follows_a_changed_lr():
    """PyTorch's step() multiplies the groups' current lr: a change by hand carries on."""
    opt = _optimizer(1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    scheduler.step()
    opt.param_groups[0]["lr"] = 0.3
    scheduler.step()
    assert scheduler.get_last_lr() == [0.15]


def test_step_with_an_epoch_uses_the_closed_form_and_warns():
    scheduler = lr_scheduler.MultiStepLR(_optimizer(1.0), milestones=[2, 4], gamma=0.1)
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was "
                                         "not necessary"):
        scheduler.step(5)
    assert scheduler.last_epoch == 5
    _close(scheduler.get_last_lr(), [0.01])


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in "
                                       r"param_groups\[0\] when resuming an optimizer"):
        lr_scheduler.StepLR(_optimizer(0.1), step_size=2, last_epoch=4)
    opt = _optimizer(0.1)
    opt.param_groups[0]["initial_lr"] = 0.1
    scheduler = lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    assert scheduler.last_epoch == 5


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)


@pytest.mark.parametrize("make", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[1, 4, 4, 7], gamma=0.5),
    lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
    lambda opt: lr_scheduler.LambdaLR(opt, lambda e: 1 / (e + 1)),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.01),
], ids=["step", "multistep", "exponential", "lambda", "cosine"])
def test_state_dict_round_trip_through_save_and_load(make, tmp_path):
    opt = _optimizer(0.1, 0.05)
    straight = make(opt)
    expected = _rates(straight)

    opt = _optimizer(0.1, 0.05)
    first = make(opt)
    rates = _rates(first, 4)
    torch.save({"optimizer": opt.state_dict(), "scheduler": first.state_dict()},
               tmp_path / "s.pt")
    checkpoint = torch.load(tmp_path / "s.pt")
    opt = _optimizer(0.7, 0.7)
    resumed = make(opt)
    opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.last_epoch == 4
    rates += _rates(resumed, EPOCHS - 4)
    assert rates == expected


def test_lambda_lr_state_dict_holds_no_functions():
    class Warmup:
        def __init__(self):
            self.length = 3

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.length)

    warmup = Warmup()
    scheduler = lr_scheduler.LambdaLR(_optimizer(0.1, 0.1), [lambda e: 1.0, warmup])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"length": 3}]
    assert "optimizer" not in state
    state["lr_lambdas"][1]["length"] = 5
    other = Warmup()
    lr_scheduler.LambdaLR(_optimizer(0.1, 0.1), [lambda e: 1.0, other]).load_state_dict(state)
    assert other.length == 5 and warmup.length == 3


def test_verbose_prints_pytorchs_line(capsys):
    lr_scheduler.StepLR(_optimizer(0.1), step_size=1, verbose=True)
    assert capsys.readouterr().out == "Adjusting learning rate of group 0 to 1.0000e-01.\n"
