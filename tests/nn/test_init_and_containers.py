"""nn.init, nn.ModuleList / ModuleDict / Identity, LeakyReLU / ELU / Softplus (and their
functional forms), F.one_hot, nn.utils.clip_grad_norm_ / clip_grad_value_.

Values against numpy in float64 to 1e-12 (one or two roundings apart); initializations
exactly against numpy's generator with the same seed and PyTorch's formulas; gradients
against central finite differences (gc.test.check_gradients, rtol 1e-6, atol 1e-8), eagerly
and in graphs, and at 0 against PyTorch's one-sided choice."""

import math

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from graphc import nn
from graphc.nn import functional as F
from tests.nn.modes import check_both_modes, run_graph

RTOL = 1e-12
rng = np.random.default_rng(3)
X = np.concatenate([rng.standard_normal(10) * 3, [0.0, 800.0, -800.0, 25.0, -25.0]])


# -- nn.init -------------------------------------------------------------------------------------
def test_calculate_gain_is_pytorchs():
    assert nn.init.calculate_gain("linear") == 1 and nn.init.calculate_gain("sigmoid") == 1
    assert nn.init.calculate_gain("tanh") == 5 / 3
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert nn.init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        nn.init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


def _drawn(seed, kind, shape, *args):
    """What graphc.eager's generator gives after manual_seed(seed), in float32."""
    g = np.random.default_rng(seed)
    values = g.uniform(*args, shape) if kind == "uniform" else \
        g.standard_normal(shape) * args[1] + args[0]
    return values.astype(np.float32)


@pytest.mark.parametrize("init,kind,spread", [
    (lambda w: nn.init.xavier_uniform_(w), "uniform", math.sqrt(6 / (5 + 3))),
    (lambda w: nn.init.xavier_uniform_(w, gain=2.0), "uniform", 2 * math.sqrt(6 / 8)),
    (lambda w: nn.init.xavier_normal_(w), "normal", math.sqrt(2 / 8)),
    (lambda w: nn.init.kaiming_uniform_(w), "uniform",
     math.sqrt(3) * math.sqrt(2 / (1 + 0.0)) / math.sqrt(5)),
    (lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5)), "uniform",
     math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(5)),  # nn.Linear's own choice
    (lambda w: nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), "uniform",
     math.sqrt(3) * math.sqrt(2) / math.sqrt(3)),
    (lambda w: nn.init.kaiming_normal_(w, nonlinearity="tanh"), "normal", 5 / 3 / math.sqrt(5)),
])
def test_initializers_use_pytorchs_formulas_in_place(init, kind, spread):
    layer = nn.Linear(5, 3)  # weight (out=3, in=5): fan_in 5, fan_out 3
    w = layer.weight
    memory = w.numpy() if not w.requires_grad else w.data.numpy()
    torch.manual_seed(21)
    assert init(w) is w
    args = (-spread, spread) if kind == "uniform" else (0.0, spread)
    np.testing.assert_array_equal(w.data.numpy(), _drawn(21, kind, (3, 5), *args))
    assert w.data.numpy() is memory or np.shares_memory(w.data.numpy(), memory)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_simple_initializers_and_fans_of_kernels():
    w = nn.Parameter(np.zeros((4, 2, 3), np.float64))  # fan_in 2*3, fan_out 4*3
    torch.manual_seed(5)
    nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (6 + 12))
    np.testing.assert_array_equal(w.data.numpy(),
                                  np.random.default_rng(5).uniform(-bound, bound, (4, 2, 3)))
    torch.manual_seed(5)
    nn.init.normal_(w, 1.0, 0.1)
    np.testing.assert_array_equal(w.data.numpy(),
                                  np.random.default_rng(5).standard_normal((4, 2, 3)) * 0.1 + 1)
    torch.manual_seed(5)
    nn.init.uniform_(w, -2, 3)
    np.testing.assert_array_equal(w.data.numpy(),
                                  np.random.default_rng(5).uniform(-2, 3, (4, 2, 3)))
    for fill, value in ((nn.init.zeros_, 0.0), (nn.init.ones_, 1.0),
                        (lambda t: nn.init.constant_(t, 0.3), 0.3)):
        assert fill(w) is w
        np.testing.assert_array_equal(w.data.numpy(), np.full((4, 2, 3), value))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_normal_(nn.Parameter(np.zeros((0, 3))))


# -- containers ------------------------------------------------------------------------------------
class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 4, dtype=torch.float64), nn.Tanh()])
        self.layers.append(nn.Linear(4, 2, dtype=torch.float64))
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1, dtype=torch.float64),
                                    "b": nn.Identity(7, unused=True)})
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.heads["a"](x) + self.heads["b"](x).sum(1, keepdim=True)


def test_containers_register_their_modules():
    model = Stack()
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
        "heads.a.weight", "heads.a.bias"]
    assert list(model.state_dict()) == [name for name, _ in model.named_parameters()]
    model.eval()
    assert not any(m.training for m in model.modules())
    model.float()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    model.double()
    x = rng.standard_normal((5, 3))
    w = [p.data.numpy() for p in model.parameters()]
    h = np.tanh(x @ w[0].T + w[1]) @ w[2].T + w[3]
    expected = h @ w[4].T + w[5] + h.sum(1, keepdims=True)
    check_both_modes(model, expected, x)


def test_module_list_behaves_as_a_list():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    layers = nn.ModuleList([a, b])
    assert len(layers) == 2 and layers[-1] is b and list(layers) == [a, b]
    layers.insert(0, c)
    assert list(layers) == [c, a, b] and list(layers._modules) == ["0", "1", "2"]
    del layers[1]
    assert list(layers) == [c, b] and list(layers._modules) == ["0", "1"]
    layers[0] = a
    layers += [c]
    assert list(layers) == [a, b, c] and isinstance(layers[1:], nn.ModuleList)
    assert list(layers[1:]) == [b, c]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        layers[3]  # noqa: B018
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        layers.append(3)


def test_module_dict_behaves_as_a_dict():
    a, b = nn.ReLU(), nn.Tanh()
    d = nn.ModuleDict([("a", a), ("b", b)])
    assert list(d) == ["a", "b"] and "a" in d and len(d) == 2 and d["b"] is b
    assert list(d.keys()) == ["a", "b"] and list(d.values()) == [a, b]
    d["a"] = b  # replacing keeps the position, as a dict does
    assert list(d.items()) == [("a", b), ("b", b)]
    assert d.pop("a") is b and list(d) == ["b"]
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        d["training"] = a
    with pytest.raises(KeyError, match="must not contain"):
        d["x.y"] = a
    d.clear()
    assert len(d) == 0


# -- activations -----------------------------------------------------------------------------------
def numpy_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


@pytest.mark.parametrize("fn,reference", [
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1)),
    (lambda x: F.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(np.minimum(x, 0))
                                                                       - 1))),
    (nn.Softplus(), numpy_softplus),
    (nn.Softplus(beta=2.0, threshold=5.0), lambda x: numpy_softplus(x, 2.0, 5.0)),
    (nn.Identity(), lambda x: x),
])
def test_activations_match_numpy_in_both_modes(fn, reference):
    check_both_modes(fn, reference, X)


ACTIVATIONS = {"leaky_relu": nn.LeakyReLU(0.1), "elu": nn.ELU(1.5),
               "softplus": nn.Softplus(2.0, 3.0)}


@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients_match_finite_differences(name, mode):
    away_from_kinks = np.array([-2.0, -0.7, 0.4, 1.1, 2.5, 1.45, 1.55])
    gc.test.check_gradients(ACTIVATIONS[name], [away_from_kinks], mode=mode)


@pytest.mark.parametrize("name,at_zero", [("leaky_relu", 0.1), ("elu", 1.5),
                                          ("softplus", 0.5)])
def test_gradients_at_zero_and_far_out_are_pytorchs_and_finite(name, at_zero):
    x = torch.tensor([0.0, 800.0, -800.0], dtype=torch.float64, requires_grad=True)
    y = ACTIVATIONS[name](x)
    assert np.isfinite(y.detach().numpy()).all()
    y.sum().backward()
    far = {"leaky_relu": [1.0, 0.1], "elu": [1.0, 0.0], "softplus": [1.0, 0.0]}[name]
    np.testing.assert_array_equal(x.grad.numpy(), [at_zero, *far])


def test_one_hot_is_int64_with_pytorchs_checks():
    labels = torch.tensor([2, 0, 1, 2])
    out = F.one_hot(labels)
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[2, 0, 1, 2]])
    np.testing.assert_array_equal(F.one_hot(labels.reshape(2, 2), num_classes=4).numpy(),
                                  np.eye(4, dtype=np.int64)[[[2, 0], [1, 2]]])
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(labels, 2)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(torch.tensor([-1, 0]), 2)
    with pytest.raises(RuntimeError, match="only applicable to index tensor of type LongTensor"):
        F.one_hot(torch.tensor([1, 0], dtype=torch.int32))
    holder = gc.placeholder(gc.int64, (None,))
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(F.one_hot(holder, 3), {holder: [1, 2]}),
                                      np.eye(3, dtype=np.int64)[[1, 2]])
    with pytest.raises(ValueError, match="give num_classes for a graph tensor"):
        F.one_hot(holder)


# -- gradient clipping -----------------------------------------------------------------------------
def _with_grads(*grads):
    params = [nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g.copy())
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_scales_in_place_and_returns_the_total(norm_type, max_norm):
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    params = _with_grads(*grads)
    before = [p.grad for p in params]
    memory = [g.numpy() for g in before]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.linalg.norm(flat, ord=norm_type)
    out = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(out, torch.Tensor) and out.ndim == 0
    np.testing.assert_allclose(out.item(), total, rtol=RTOL)
    scale = min(max_norm / (total + 1e-6), 1.0)
    for p, g, m, b in zip(params, grads, memory, before):
        assert p.grad is b and p.grad.numpy() is m  # in place
        np.testing.assert_allclose(m, g * scale, rtol=RTOL)


def test_clip_grad_norm_edge_cases_and_clip_grad_value():
    params = _with_grads(np.array([3.0, -4.0]))
    params.append(nn.Parameter(np.zeros(2)))  # no grad: left out
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == 5.0
    np.testing.assert_allclose(params[0].grad.numpy(), np.array([3.0, -4.0]) / (5 + 1e-6),
                               rtol=RTOL)
    assert nn.utils.clip_grad_norm_(params[1], 1.0).item() == 0.0
    bad = _with_grads(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    g = np.array([[-3.0, 0.2], [0.9, 5.0]])
    (p,) = _with_grads(g)
    memory = p.grad.numpy()
    assert nn.utils.clip_grad_value_([p], 1.0) is None
    assert p.grad.numpy() is memory
    np.testing.assert_array_equal(memory, np.clip(g, -1.0, 1.0))


def test_a_shared_layer_is_one_parameter_and_steps_once():
    """nn.Sequential(layer, layer) lists the layer's parameters once (PyTorch's
    remove_duplicate), so SGD updates them once; state_dict names them under both paths."""
    layer = nn.Linear(2, 2, dtype=gc.float64)
    model = nn.Sequential(layer, layer)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    start = layer.weight.detach().numpy().copy()
    layer.weight.grad = torch.ones(2, 2, dtype=torch.float64)
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(layer.weight.detach().numpy(), start - 0.1, rtol=1e-15)


def test_layer_norm_normalizes_the_last_dims_in_both_modes():
    """(x - mean) / sqrt(biased var + eps) * weight + bias over the last dims, against
    numpy; gradients against finite differences; PyTorch's shape error."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    weight, bias = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-5) * weight + bias
    check_both_modes(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), want, x, weight, bias)
    gc.test.check_gradients(lambda x, w, b: F.layer_norm(x, [4], w, b),
                            [x, weight[0], bias[0]])
    layer = nn.LayerNorm(4, dtype=gc.float64)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(),
                               (x - x.mean(-1, keepdims=True))
                               / np.sqrt(x.var(-1, keepdims=True) + 1e-5), rtol=RTOL)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\]"):
        F.layer_norm(torch.tensor(x), 3)


def test_embedding_looks_up_rows_and_holds_the_padding_row():
    torch.manual_seed(0)
    table = nn.Embedding(5, 3, padding_idx=-1, dtype=gc.float64)
    weight = table.weight.detach().numpy().copy()
    assert np.all(weight[4] == 0)
    idx = np.array([[0, 4], [2, 2]])
    out = table(torch.tensor(idx))
    np.testing.assert_array_equal(out.detach().numpy(), weight[idx])
    (out * torch.tensor(np.arange(12.0).reshape(2, 2, 3))).sum().backward()
    want = np.zeros((5, 3))
    np.add.at(want, idx.ravel(), np.arange(12.0).reshape(4, 3))
    want[4] = 0  # (the padding row gets no gradient)
    np.testing.assert_array_equal(table.weight.grad.numpy(), want)
    graph_out = run_graph(lambda w, i: F.embedding(i, w, padding_idx=4), weight, idx)
    np.testing.assert_array_equal(graph_out, weight[idx])
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int; but got float32"):
        table(torch.tensor([1.0]))


def test_a_where_condition_of_numpy_bools_stays_bool():
    mask = np.array([[True, False, True]])
    got = run_graph(lambda x: gc.where(mask, x, 0.0), np.ones((2, 3)))
    np.testing.assert_array_equal(got, [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(torch.where(mask[0], torch.ones(3), 0.0).numpy(), [1, 0, 1])
