"""Module's tree walks and registrations as PyTorch has them: apply, named_modules,
named_children, add_module, requires_grad_, and attribute assignment over a None
parameter (nn.Conv2d(..., bias=False) then conv.bias = Parameter(...))."""

import numpy as np
import pytest

import graphc.eager as torch
from graphc import nn


def model():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True),
                         nn.Sequential(nn.Flatten(), nn.Linear(2, 2)))


def test_apply_visits_children_first_then_the_module():
    seen = []
    m = model()
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Conv2d", "ReLU", "Flatten", "Linear", "Sequential", "Sequential"]


def test_the_init_idiom_through_apply_initializes_each_layer():
    def init(mod):
        if isinstance(mod, nn.Linear | nn.Conv2d):
            nn.init.constant_(mod.weight, 0.5)
            nn.init.zeros_(mod.bias)
    m = model().apply(init)
    for name, p in m.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), 0.5 if "weight" in name else 0.0)


def test_named_modules_and_children_name_each_module_once():
    shared = nn.Linear(2, 2)
    m = nn.Sequential(shared, shared, model())
    assert [n for n, _ in m.named_modules()] == ["", "0", "2", "2.0", "2.1", "2.2", "2.2.0",
                                                 "2.2.1"]
    assert [n for n, _ in m.named_children()] == ["0", "2"]
    assert len(list(m.modules())) == 8


def test_add_module_registers_and_refuses_bad_names():
    m = nn.Module()
    m.add_module("head", nn.Linear(3, 1))
    assert [n for n, _ in m.named_parameters()] == ["head.weight", "head.bias"]
    with pytest.raises(KeyError, match="without '.'"):
        m.add_module("a.b", nn.Linear(1, 1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)


def test_requires_grad_false_freezes_every_parameter():
    m = model().requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_a_parameter_assigned_where_none_was_is_used():
    conv = nn.Conv2d(1, 2, 3, bias=False)
    conv.bias = nn.Parameter(torch.full((2,), 100.0))
    np.testing.assert_array_equal(conv(torch.zeros(1, 1, 3, 3)).detach().numpy().ravel(),
                                  [100.0, 100.0])
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]


def test_relu_takes_pytorchs_inplace_argument_and_clamp_and_relu_work_in_place():
    assert repr(nn.ReLU(True)) == "ReLU(inplace=True)"
    t = torch.tensor([-1.0, 0.5, 3.0])
    assert t.clamp_(-0.5, 1.0) is t
    np.testing.assert_array_equal(t.numpy(), [-0.5, 0.5, 1.0])
    np.testing.assert_array_equal(t.relu_().numpy(), [0.0, 0.5, 1.0])
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    y = w * 2
    y.clamp_(min=0)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 0.0])


def test_dropout2d_zeroes_whole_channels_eagerly_and_in_a_graph():
    import graphc as gc
    from graphc.nn import functional as F
    torch.manual_seed(0)
    y = nn.Dropout2d(0.5)(torch.ones(8, 16, 3, 3)).numpy().reshape(8 * 16, 9)
    assert set(np.unique(y)) == {0.0, 2.0} and all(len(set(row)) == 1 for row in y.tolist())
    assert 0.3 < (y[:, 0] > 0).mean() < 0.7  # (128 channels, each kept with p = 0.5)
    off = nn.Dropout2d(0.5)
    off.eval()
    np.testing.assert_array_equal(off(torch.ones(2, 3, 2, 2)).numpy(), np.ones((2, 3, 2, 2)))
    x = gc.placeholder(gc.float32, (None, 4, 3, 3))  # (the batch known only at run time)
    with gc.Session() as sess:
        got = sess.run(F.dropout2d(x, 0.5), {x: np.ones((5, 4, 3, 3), np.float32)})
    assert got.shape == (5, 4, 3, 3) and all(len(set(r)) == 1 for r in got.reshape(20, 9).tolist())
    with pytest.raises(ValueError, match="dropout2d: expected a 3-D"):
        F.dropout2d(torch.ones(2, 3, 4, 5, 6), 0.5)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        flat = F.dropout2d(torch.ones(64, 128), 0.5).numpy()
    assert set(np.unique(flat)) == {0.0, 2.0} and 0.4 < (flat > 0).mean() < 0.6
