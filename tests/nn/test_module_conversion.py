"""Modules and dtypes, as PyTorch's: layers take the eager default dtype when built; to(),
double(), float() and type() convert the parameters in place; load_state_dict raises
PyTorch's RuntimeError. Values in float64 against numpy."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from graphc import nn

rng = np.random.default_rng(3)


@pytest.fixture
def float64_default():
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


def model():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


def forward_numpy(m, x):
    w1, b1, w2, b2 = (p.array for p in m.parameters())
    return np.tanh(x @ w1.T + b1) @ w2.T + b2


# -- the default dtype ----------------------------------------------------------------------
def test_linear_takes_the_default_dtype_at_construction(float64_default):
    lin = nn.Linear(3, 1)
    assert lin.weight.dtype == torch.float64 and lin.bias.dtype == torch.float64
    x = torch.randn(4, 3)
    out = lin(x)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(),
                               x.numpy() @ lin.weight.array.T + lin.bias.array, rtol=1e-14)
    torch.set_default_dtype(torch.float32)
    assert lin.weight.dtype == torch.float64  # decided when it was built
    assert nn.Linear(3, 1).weight.dtype == torch.float32
    assert nn.Linear(3, 1, dtype=torch.float64).weight.dtype == torch.float64


def test_a_default_dtype_module_in_a_graph(float64_default):
    m = model()
    x = gc.placeholder(gc.float64, (None, 3))
    y = m(x)
    assert y.dtype == gc.float64
    value = rng.standard_normal((5, 3))
    with gc.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: value}), forward_numpy(m, value),
                                   rtol=1e-12)


# -- to(), double(), float(), type() ----------------------------------------------------------
@pytest.mark.parametrize("convert", [
    lambda m: m.to(torch.float64),
    lambda m: m.to("cpu", torch.float64),
    lambda m: m.to(torch.device("cpu"), dtype=torch.float64),
    lambda m: m.to(device="cpu", dtype=torch.float64),
    lambda m: m.to(dtype=torch.float64),
    lambda m: m.to(torch.zeros(1, dtype=torch.float64)),
    lambda m: m.double(),
    lambda m: m.type(torch.float64),
    lambda m: m.type("float64"),
])
def test_conversions_to_float64_in_place(convert):
    m = model()
    params = list(m.parameters())
    before = [p.array.copy() for p in params]
    assert convert(m) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]  # the same objects
    for p, old in zip(params, before):
        assert p.dtype == torch.float64 and p.requires_grad
        np.testing.assert_array_equal(p.array, old.astype(np.float64))
    x = rng.standard_normal((5, 3))
    out = m(torch.tensor(x))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), forward_numpy(m, x), rtol=1e-14)
    out.sum().backward()
    assert all(p.grad.dtype == torch.float64 for p in params)


def test_float_converts_back_and_converts_the_grads():
    m = nn.Linear(3, 2, dtype=torch.float64)
    m(torch.randn(4, 3, dtype=torch.float64)).sum().backward()
    grad = m.weight.grad.numpy().copy()
    assert m.float() is m
    assert m.weight.dtype == torch.float32 and m.weight.grad.dtype == torch.float32
    np.testing.assert_allclose(m.weight.grad.numpy(), grad.astype(np.float32))
    assert m.to("cpu") is m and m.weight.dtype == torch.float32  # a device alone keeps it


def test_training_after_double_matches_numpy_sgd():
    m = nn.Linear(3, 1).double()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)  # built after converting, as in PyTorch
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w, b = m.weight.array.copy(), m.bias.array.copy()
    for _ in range(3):
        opt.zero_grad()
        nn.functional.mse_loss(m(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
        d = 2 * (x @ w.T + b - y) / len(x)
        w, b = w - 0.1 * d.T @ x, b - 0.1 * d.sum(axis=0)
    np.testing.assert_allclose(m.weight.array, w, rtol=1e-12)
    np.testing.assert_allclose(m.bias.array, b, rtol=1e-12)


def test_a_non_floating_dtype_is_refused():
    m = model()
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point dtypes, "
                                        "but got desired dtype=int64"):
        m.to(torch.int64)
    with pytest.raises(TypeError, match="only floating-point dtypes are accepted, not int32"):
        m.type(torch.int32)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        m.to("tpu")
    assert all(p.dtype == torch.float32 for p in m.parameters())


def test_a_parameter_read_in_a_graph_cannot_change_dtype():
    """Its bound Variable has a fixed dtype: converting would make the graph read values of
    another dtype, so it raises and nothing changes; a new module takes the values."""
    m = model()
    graph = gc.Graph()
    with graph.as_default():
        m(gc.placeholder(gc.float32, (None, 3)))
    with pytest.raises(RuntimeError, match=r"Sequential: cannot convert parameter '0.weight' "
                                           r"from float32 to float64: a graph reads it "
                                           r"through the float32 Variable "
                                           r"'Sequential/Linear/weight', whose dtype is fixed"):
        m.double()
    assert all(p.dtype == torch.float32 for p in m.parameters())
    assert m.to("cpu") is m and m.to(torch.float32) is m  # nothing to convert: allowed
    copy = model().double()
    copy.load_state_dict(m.state_dict())
    for p, q in zip(m.parameters(), copy.parameters()):
        assert q.dtype == torch.float64
        np.testing.assert_array_equal(q.array, p.array.astype(np.float64))


def test_converting_invalidates_recorded_uses():
    m = nn.Linear(3, 1)
    out = m(torch.randn(2, 3)).sum()
    m.double()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


# -- load_state_dict -------------------------------------------------------------------------
def test_load_state_dict_errors_are_pytorchs_runtime_error_and_change_nothing():
    a, b = model(), model()
    before = [p.array.copy() for p in b.parameters()]
    state = {k: v.numpy() for k, v in a.state_dict().items()}
    del state["0.bias"]
    state["5.weight"] = np.zeros(2)
    state["2.weight"] = np.zeros((2, 4), np.float32)
    with pytest.raises(RuntimeError) as info:
        b.load_state_dict(state)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Sequential:\n'
        '\tMissing key(s) in state_dict: "0.bias". \n'
        '\tUnexpected key(s) in state_dict: "5.weight". \n'
        '\tsize mismatch for 2.weight: copying a param with shape (2, 4) from checkpoint, '
        'the shape in current model is (1, 4).')
    for p, old in zip(b.parameters(), before):
        np.testing.assert_array_equal(p.array, old)


def test_load_state_dict_strict_false_and_the_keys_it_returns():
    a, b = model(), model()
    state = dict(a.state_dict())
    result = b.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    del state["2.bias"]
    state["extra"] = torch.zeros(1)
    result = b.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(b[0].weight.array, a[0].weight.array)
    state["0.weight"] = torch.zeros(2, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param "
                                           r"with shape \(2, 2\) from checkpoint, the shape "
                                           r"in current model is \(4, 3\)"):
        b.load_state_dict(state, strict=False)


def test_load_state_dict_converts_to_the_parameters_dtype():
    m = model().double()
    state = {k: v.numpy().astype(np.float32) for k, v in model().state_dict().items()}
    m.load_state_dict(state)
    for p, (_, v) in zip(m.parameters(), state.items()):
        assert p.dtype == torch.float64
        np.testing.assert_array_equal(p.array, v.astype(np.float64))
