"""torch.optim.lr_scheduler.ReduceLROnPlateau: the rates over scripted metric sequences,
worked out by hand and by a plain re-implementation of PyTorch's algorithm; its state dict;
and that a reduced rate is the one the optimizer's next (compiled) step uses."""

import math
import random

import numpy as np
import pytest

import graphc.eager as torch
from graphc import nn, optim
from graphc.optim import lr_scheduler
from graphc.optim.lr_scheduler import ReduceLROnPlateau


def _optimizer(*lrs):
    return optim.SGD([{"params": [nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs], lr=1.0)


def _rates(scheduler, metrics):
    """Each group's rate after each step(metric), as get_last_lr() and the groups say."""
    rates = []
    for metric in metrics:
        scheduler.step(metric)
        assert scheduler.get_last_lr() == [g["lr"] for g in scheduler.optimizer.param_groups]
        rates.append(scheduler.get_last_lr())
    return rates


def _reference(metrics, lrs, mode="min", factor=0.1, patience=10, threshold=1e-4,
               threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
    """PyTorch's algorithm, written out plainly: the rates after each epoch."""
    min_lrs = list(min_lr) if isinstance(min_lr, list) else [min_lr] * len(lrs)
    lrs = list(lrs)
    best = math.inf if mode == "min" else -math.inf
    bad = cool = 0
    out = []
    for m in metrics:
        if mode == "min":
            better = m < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        else:
            better = m > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)
        best, bad = (m, 0) if better else (best, bad + 1)
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lrs[i])
                if lr - new > eps:
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append(list(lrs))
    return out


def test_worked_by_hand():
    """patience 2, factor 0.5, 10% relative threshold, cooldown 1:
    10 (best), 9.5 / 9.2 / 9.1 (not below 9: bad 1, 2, 3 > 2: halve, cooldown), 8 (best),
    8 8 8 (not below 7.2: bad 1, 2, 3: halve), 8 (in cooldown: not counted), 8 (bad 1)."""
    scheduler = ReduceLROnPlateau(_optimizer(1.0), factor=0.5, patience=2, threshold=0.1,
                                  cooldown=1)
    rates = _rates(scheduler, [10, 9.5, 9.2, 9.1, 8, 8, 8, 8, 8, 8])
    assert [r[0] for r in rates] == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert scheduler.best == 8 and scheduler.num_bad_epochs == 1
    assert scheduler.last_epoch == 10 and scheduler.cooldown_counter == 0


def test_defaults_wait_ten_bad_epochs():
    scheduler = ReduceLROnPlateau(_optimizer(0.1))
    rates = _rates(scheduler, [1.0] * 12)  # the first is the best; 11 bad ones after it
    assert [r[0] for r in rates] == [0.1] * 11 + [pytest.approx(0.01, rel=1e-15)]
    assert scheduler.num_bad_epochs == 0 and scheduler.get_last_lr() == [0.1 * 0.1]


@pytest.mark.parametrize("settings", [
    {},
    {"factor": 0.5, "patience": 1},
    {"factor": 0.5, "patience": 0, "cooldown": 2},
    {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.05},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.2, "patience": 1, "cooldown": 1},
    {"threshold_mode": "abs", "threshold": 0.5, "patience": 1, "factor": 0.2},
    {"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.3]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02, "eps": 0.05},
])
def test_matches_pytorchs_algorithm(settings):
    rng = random.Random(0)
    metrics = [1 + rng.random() * 0.3 - 0.01 * k for k in range(60)]  # a noisy slow descent
    metrics += [rng.choice([0.5, 0.6, 0.7]) for _ in range(20)]  # steps, and plateaus
    scheduler = ReduceLROnPlateau(_optimizer(0.1, 1.0), **settings)
    assert _rates(scheduler, metrics) == _reference(metrics, [0.1, 1.0], **settings)


def test_min_lr_and_eps_stop_the_reductions():
    scheduler = ReduceLROnPlateau(_optimizer(1.0, 1.0), factor=0.5, patience=0,
                                  min_lr=[0.2, 0.0], eps=0.1)
    rates = _rates(scheduler, [1.0] * 6)
    # group 0: 1, .5 (bad epoch 1), .25, then max(.125, .2) = .2 (a change of .05 <= eps:
    # kept at .25); group 1 halves until a halving changes it by eps or less (.125 -> .0625)
    assert rates == [[1, 1], [0.5, 0.5], [0.25, 0.25], [0.25, 0.125], [0.25, 0.125],
                     [0.25, 0.125]]


def test_metric_may_be_a_0d_tensor_and_max_mode():
    scheduler = ReduceLROnPlateau(_optimizer(1.0), mode="max", factor=0.1, patience=1)
    rates = _rates(scheduler, [torch.tensor(0.5), torch.tensor(0.9), torch.tensor(0.8),
                               torch.tensor(0.85, requires_grad=True)])
    assert [r[0] for r in rates] == [1.0, 1.0, 1.0, 0.1]


def test_state_dict_round_trip_resumes_exactly():
    metrics = [5, 4, 4, 4, 3.9, 4, 4, 4, 2, 2, 2, 2]
    whole = ReduceLROnPlateau(_optimizer(1.0), factor=0.5, patience=1, cooldown=1)
    expected = _rates(whole, metrics)
    first = ReduceLROnPlateau(_optimizer(1.0), factor=0.5, patience=1, cooldown=1)
    rates = _rates(first, metrics[:5])
    state = first.state_dict()
    assert "optimizer" not in state
    assert {"best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs", "mode",
            "threshold", "threshold_mode", "eps", "factor", "patience", "_last_lr"} <= set(state)
    opt = _optimizer(first.optimizer.param_groups[0]["lr"])
    resumed = ReduceLROnPlateau(opt, mode="max")  # load_state_dict restores mode too
    resumed.load_state_dict(state)
    assert resumed.mode == "min" and resumed.mode_worse == math.inf
    assert rates + _rates(resumed, metrics[5:]) == expected


def test_errors_and_lr_scheduler_base():
    opt = _optimizer(1.0, 1.0)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown!"):
        ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ReduceLROnPlateau(object())
    scheduler = ReduceLROnPlateau(opt)
    assert isinstance(scheduler, lr_scheduler.LRScheduler)
    assert "initial_lr" not in opt.param_groups[0] and scheduler.get_last_lr() == [1.0, 1.0]
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(1.0, epoch=5)
    assert scheduler.last_epoch == 5


def test_verbose_prints_pytorchs_line(capsys):
    scheduler = ReduceLROnPlateau(_optimizer(0.1), patience=0, verbose=True)
    scheduler.step(1.0)
    scheduler.step(1.0)
    assert capsys.readouterr().out == \
        "Epoch 00002: reducing learning rate of group 0 to 1.0000e-02.\n"


def test_the_reduced_lr_is_the_one_the_compiled_step_uses():
    """SGD's eager step runs as a graph built for the group's hyperparameters: a reduced lr
    builds a new one, so each step moves p by the lr of its time."""
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5)
    scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=0)
    expected = np.array([1.0, 2.0])
    for lr in (0.5, 0.5, 0.25, 0.125):
        opt.zero_grad()
        (p * 1.0).sum().backward()  # gradient 1: each step moves p by lr
        opt.step()
        expected -= lr
        np.testing.assert_array_equal(p.detach().numpy(), expected)
        scheduler.step(1.0)  # the same loss each epoch: the second and later are bad
    built = [key for key in opt.compiled.runs if opt.compiled.runs[key] is not None]
    assert len(built) == 3  # one graph per lr: 0.5, 0.25, 0.125
