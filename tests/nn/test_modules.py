"""gc.nn: layers against numpy, the Module API, and modules inside graphs."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn

rng = np.random.default_rng(0)


def model64():
    return nn.Sequential(nn.Linear(4, 5, dtype=gc.float64), nn.ReLU(),
                         nn.Linear(5, 2, dtype=gc.float64))


def test_linear_layout_initialisation_forward_and_gradient():
    layer = nn.Linear(400, 30)
    assert layer.weight.shape == (30, 400) and layer.bias.shape == (30,)
    assert layer.weight.dtype == gc.float32 and layer.weight.requires_grad
    bound = 1 / np.sqrt(400)
    largest = np.abs(layer.weight.array).max()
    assert 0.9 * bound < largest <= bound  # 12,000 uniform draws reach close to the bound
    layer = nn.Linear(3, 2, dtype=gc.float64)
    x = rng.standard_normal((4, 3))
    w, b = layer.weight.array.copy(), layer.bias.array.copy()
    out = layer(ge.tensor(x))
    np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-14)
    weights = rng.standard_normal((4, 2))
    (out * weights).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, weights.T @ x, rtol=1e-14)
    np.testing.assert_allclose(layer.bias.grad.data, weights.sum(axis=0), rtol=1e-14)
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize("reduction,reference", [
    ("mean", lambda d: (d * d).mean()), ("sum", lambda d: (d * d).sum()),
    ("none", lambda d: d * d)])
def test_mse_loss_each_reduction(reduction, reference):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x = ge.tensor(a, requires_grad=True)
    loss = nn.MSELoss(reduction)(x, ge.tensor(b))
    np.testing.assert_allclose(loss.data, reference(a - b), rtol=1e-14)
    loss.backward(np.ones(loss.shape))
    scale = 1 / a.size if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad.data, 2 * (a - b) * scale, rtol=1e-14)
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss("max")


def test_relu_and_functional():
    a = rng.standard_normal((3, 3))
    np.testing.assert_array_equal(nn.ReLU()(ge.tensor(a)).data, np.maximum(a, 0))
    np.testing.assert_array_equal(nn.functional.relu(ge.tensor(a)).data, np.maximum(a, 0))
    w = rng.standard_normal((2, 3))
    np.testing.assert_allclose(nn.functional.linear(ge.tensor(a), ge.tensor(w)).data, a @ w.T)


def test_names_children_modules_and_repr():
    model = model64()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert len(list(model.parameters())) == 4 and len(list(model.children())) == 3
    assert len(list(model.modules())) == 4 and isinstance(model[1], nn.ReLU)
    assert len(model) == 3 and isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert repr(model) == ("Sequential(\n"
                           "  (0): Linear(in_features=4, out_features=5, bias=True)\n"
                           "  (1): ReLU()\n"
                           "  (2): Linear(in_features=5, out_features=2, bias=True)\n)")


class TwoLayerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(3, 4, dtype=gc.float64)
        self.linear2 = nn.Linear(4, 1, dtype=gc.float64)
        self.scale = 2.0  # a plain attribute, not a parameter

    def forward(self, x):
        return self.linear2(self.linear1(x).clamp(min=0)) * self.scale


def test_custom_module_registration_train_eval_and_zero_grad():
    net = TwoLayerNet()
    assert [n for n, _ in net.named_parameters()] == ["linear1.weight", "linear1.bias",
                                                      "linear2.weight", "linear2.bias"]
    assert net.train() is net and all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net(ge.tensor(rng.standard_normal((2, 3)))).sum().backward()
    assert net.linear1.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    with pytest.raises(AttributeError, match="has no attribute 'linear3'"):
        _ = net.linear3


def test_state_dict_round_trip_and_errors_change_nothing():
    a, b = model64(), model64()
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    before = {k: v.array.copy() for k, v in b.state_dict().items()}
    bad_key = {**a.state_dict(), "3.weight": np.zeros(2)}
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "3.weight"'):
        b.load_state_dict(bad_key)
    missing = {k: v for k, v in a.state_dict().items() if k != "0.bias"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.bias"'):
        b.load_state_dict(missing)
    shapes = {**{k: v.numpy() for k, v in a.state_dict().items()}, "2.weight": np.zeros((5, 2))}
    with pytest.raises(RuntimeError, match=r"size mismatch for 2.weight: copying a param with "
                       r"shape \(5, 2\) from checkpoint"):
        b.load_state_dict(shapes)
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k])


def test_a_module_in_a_graph_reads_and_trains_its_own_parameters():
    net = TwoLayerNet()
    x = gc.placeholder(gc.float64, (None, 3), name="x")
    y = net(x)
    loss = gc.reduce_sum(y * y)
    grads = gc.gradients(loss, [net.linear1.weight.variable(x.graph)])
    assert grads[0] is not None and y.name.startswith("TwoLayerNet/")
    value = rng.standard_normal((4, 3))
    eager_before = net(ge.tensor(value)).data
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())  # must not reset the parameters
        np.testing.assert_allclose(sess.run(y, {x: value}), eager_before, rtol=1e-14)
        w = net.linear1.weight.variable(x.graph)
        sess.run(w.assign(w * 0.5))
    np.testing.assert_allclose(net.linear1.weight.data, net.state_dict()["linear1.weight"].data)
    with gc.Session() as sess:  # another session sees the trained values too
        np.testing.assert_allclose(sess.run(y, {x: value}), net(ge.tensor(value)).data,
                                   rtol=1e-14)
    assert not np.allclose(net(ge.tensor(value)).data, eager_before)
