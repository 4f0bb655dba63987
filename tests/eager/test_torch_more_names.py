"""More of PyTorch's names on eager tensors: rounding, float tests, log1p/expm1, clone and
as_tensor, inference_mode, set_printoptions, unbind/narrow/masked_select/nonzero/scatter,
and the activations and functions SiLU, ReLU6, PReLU, Hardtanh, normalize,
cosine_similarity and kl_div. Values against numpy; gradients against central finite
differences (gc.test.check_gradients) or by hand."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
import graphc.nn as nn
import graphc.nn.functional as F
from tests.nn.modes import check_both_modes

rng = np.random.default_rng(7)
X = rng.standard_normal((3, 4))


def grad_check(fn, *arrays):
    gc.test.check_gradients(fn, [np.asarray(a, np.float64) for a in arrays], mode="eager")


# -- rounding and float tests ----------------------------------------------------------------
def test_floor_ceil_round_values_and_zero_gradient():
    values = np.array([-2.5, -1.5, -0.5, -0.2, 0.0, 0.5, 1.5, 2.5, 3.7, np.inf, -np.inf])
    t = torch.tensor(values)
    np.testing.assert_array_equal(torch.floor(t).numpy(), np.floor(values))
    np.testing.assert_array_equal(torch.ceil(t).numpy(), np.ceil(values))
    np.testing.assert_array_equal(torch.round(t).numpy(), np.round(values))  # half to even
    np.testing.assert_array_equal(t.round().numpy(), [-2, -2, -0, -0, 0, 0, 2, 2, 4,
                                                      np.inf, -np.inf])
    np.testing.assert_array_equal(np.signbit(torch.ceil(t).numpy()), np.signbit(np.ceil(values)))
    np.testing.assert_allclose(torch.round(torch.tensor([1.2345, 2.675]), decimals=2).numpy(),
                               np.round(np.array([1.2345, 2.675], np.float32) * 100) / 100)
    ints = torch.tensor([1, -2, 3])
    for fn in (torch.floor, torch.ceil, torch.round):
        out = fn(ints)
        assert out.dtype == torch.int64 and out.tolist() == [1, -2, 3]
    x = torch.tensor([0.3, 1.7, -2.2], requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_isinf_isfinite_isnan():
    values = np.array([1.0, np.inf, -np.inf, np.nan, 0.0])
    t = torch.tensor(values)
    for name in ("isinf", "isfinite", "isnan"):
        expected = getattr(np, name)(values)
        assert getattr(torch, name)(t).tolist() == expected.tolist()
        assert getattr(t, name)().tolist() == expected.tolist()
    ints = torch.tensor([1, 2])
    assert torch.isinf(ints).tolist() == [False, False]
    assert torch.isfinite(ints).tolist() == [True, True]


def test_log1p_expm1_values_and_gradients():
    small = np.array([1e-12, -1e-9, 3e-5, 0.5, -0.7, 2.0, 30.0, -40.0])
    np.testing.assert_allclose(torch.log1p(torch.tensor(small[small > -1])).numpy(),
                               np.log1p(small[small > -1]), rtol=1e-14)
    np.testing.assert_allclose(torch.expm1(torch.tensor(small)).numpy(), np.expm1(small),
                               rtol=1e-14)
    np.testing.assert_allclose(torch.tensor(small).expm1().numpy(), np.expm1(small), rtol=1e-14)
    assert torch.expm1(torch.tensor([np.inf, -np.inf])).tolist() == [np.inf, -1.0]
    positive = np.abs(X) + 0.1
    grad_check(torch.log1p, positive)
    grad_check(torch.expm1, X)
    x = torch.tensor(X, requires_grad=True)
    torch.expm1(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X), rtol=1e-14)


# -- copies and modes -------------------------------------------------------------------------
def test_clone_and_as_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.clone(x)
    assert c.array is not x.array and c.tolist() == [1.0, 2.0]
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert torch.as_tensor(x) is x
    assert torch.as_tensor(x, dtype=torch.float64).dtype == torch.float64
    a = np.arange(3.0)
    shared = torch.as_tensor(a)
    a[0] = 9.0  # shares memory with the array, as PyTorch's
    assert shared.tolist() == [9.0, 1.0, 2.0] and shared.dtype == torch.float64
    assert torch.as_tensor(a, dtype=torch.float32).dtype == torch.float32
    listed = torch.as_tensor([1, 2, 3])
    assert listed.dtype == torch.int64 and listed.tolist() == [1, 2, 3]
    assert torch.as_tensor([1.5]).dtype == torch.float32


def test_inference_mode():
    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    with torch.inference_mode(False):
        assert (x * 2).requires_grad

    @torch.inference_mode()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and (x * 2).requires_grad


def test_set_printoptions_and_default_unchanged():
    t = torch.tensor([1.23456789, 2.5])
    default = repr(t)
    assert default == "tensor([1.2346, 2.5000])"
    try:
        torch.set_printoptions(precision=2)
        assert repr(t) == "tensor([1.23, 2.50])"
        torch.set_printoptions(sci_mode=True)
        assert repr(t) == "tensor([1.23e+00, 2.50e+00])"
        torch.set_printoptions(precision=4, sci_mode=False)
        assert repr(torch.tensor([1e-6, 1.0])) == "tensor([0.0000, 1.0000])"
        torch.set_printoptions(linewidth=30)
        assert repr(torch.arange(8.0)).count("\n") >= 1
        torch.set_printoptions(threshold=5, edgeitems=1)
        assert repr(torch.arange(10.0)) == "tensor([0.,  ..., 9.])"  # (PyTorch's two spaces)
        torch.set_printoptions(profile="default")
        assert repr(torch.arange(8.0)) == "tensor([0., 1., 2., 3., 4., 5., 6., 7.])"
    finally:
        torch.set_printoptions(profile="default", sci_mode=None)
    assert repr(t) == default
    assert repr(torch.tensor([1e-6, 1.0])) == "tensor([1.0000e-06, 1.0000e+00])"


# -- cuts and selections ----------------------------------------------------------------------
def test_unbind_and_narrow():
    x = torch.tensor(X, requires_grad=True)
    parts = x.unbind(1)
    assert isinstance(parts, tuple) and len(parts) == 4
    for k, p in enumerate(torch.unbind(x, dim=-1)):
        np.testing.assert_array_equal(p.detach().numpy(), X[:, k])
    rows = torch.unbind(x)
    assert len(rows) == 3 and rows[2].tolist() == X[2].tolist()
    n = x.narrow(1, 1, 2)
    np.testing.assert_array_equal(n.detach().numpy(), X[:, 1:3])
    np.testing.assert_array_equal(torch.narrow(x, 0, -2, 2).detach().numpy(), X[1:])
    (parts[0] * 2 + n[:, 0]).sum().backward()
    expected = np.zeros_like(X)
    expected[:, 0], expected[:, 1] = 2.0, 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        x.narrow(1, 3, 2)
    grad_check(lambda t: t.narrow(0, 1, 2) * 3, X)


def test_masked_select_and_nonzero():
    x = torch.tensor(X, requires_grad=True)
    mask = x > 0
    picked = x.masked_select(mask)
    np.testing.assert_array_equal(picked.detach().numpy(), X[X > 0])
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (X > 0).astype(float))
    row = torch.tensor([True, False, True, False])  # broadcast over the rows
    np.testing.assert_array_equal(torch.masked_select(x, row).detach().numpy(),
                                  X[:, [0, 2]].ravel())
    nz = torch.nonzero(mask)
    assert nz.dtype == torch.int64 and not nz.requires_grad
    np.testing.assert_array_equal(nz.numpy(), np.argwhere(X > 0))
    rows, cols = mask.nonzero(as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), np.nonzero(X > 0)[0])
    np.testing.assert_array_equal(cols.numpy(), np.nonzero(X > 0)[1])
    assert torch.tensor([0, 3, 0, 5]).nonzero().tolist() == [[1], [3]]


def test_scatter_values_and_gradients():
    index = np.array([[0, 2], [3, 1], [1, 1]])
    src = rng.standard_normal((3, 3))
    expected = X.copy()
    for i in range(3):
        for j in range(2):
            expected[i, index[i, j]] = src[i, j]
    x = torch.tensor(X, requires_grad=True)
    s = torch.tensor(src, requires_grad=True)
    out = x.scatter(1, torch.tensor(index), s)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    (out * 2).sum().backward()
    kept = np.ones_like(X)
    kept[np.arange(3)[:, None], index] = 0
    np.testing.assert_array_equal(x.grad.numpy(), 2 * kept)
    src_grad = np.zeros_like(src)
    src_grad[:, :2] = 2  # PyTorch's rule, g.gather(dim, index), for a repeated index too
    np.testing.assert_array_equal(s.grad.numpy(), src_grad)
    # dim 0, a number as src, in place
    z = torch.zeros(3, 4)
    assert z.scatter_(0, torch.tensor([[0, 1, 2, 0]]), 5.0) is z
    expected0 = np.zeros((3, 4))
    expected0[[0, 1, 2, 0], [0, 1, 2, 3]] = 5.0
    np.testing.assert_array_equal(z.numpy(), expected0)
    y = torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), torch.ones(2, 1) * 7)
    assert y.tolist() == [[0, 0, 7], [7, 0, 0]]
    with pytest.raises(RuntimeError, match="out of bounds"):
        torch.zeros(2, 3).scatter(1, torch.tensor([[3]]), 1.0)


# -- activations and functions ----------------------------------------------------------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_silu_relu6_hardtanh_values_gradients_and_graphs():
    wide = X * 5
    np.testing.assert_allclose(F.silu(torch.tensor(X)).numpy(), X * _sigmoid(X), rtol=1e-14)
    np.testing.assert_allclose(nn.SiLU()(torch.tensor(X)).numpy(), X * _sigmoid(X), rtol=1e-14)
    np.testing.assert_array_equal(F.relu6(torch.tensor(wide)).numpy(), np.clip(wide, 0, 6))
    np.testing.assert_array_equal(nn.ReLU6()(torch.tensor(wide)).numpy(), np.clip(wide, 0, 6))
    np.testing.assert_array_equal(F.hardtanh(torch.tensor(wide)).numpy(), np.clip(wide, -1, 1))
    np.testing.assert_array_equal(nn.Hardtanh(-2.0, 3.0)(torch.tensor(wide)).numpy(),
                                  np.clip(wide, -2, 3))
    grad_check(F.silu, X)
    interior = np.array([-1.7, -0.4, 0.3, 2.0, 5.5, 7.0])  # away from the kinks
    grad_check(F.relu6, interior)
    grad_check(lambda t: F.hardtanh(t, -1.0, 1.0), interior)
    check_both_modes(nn.SiLU(), X * _sigmoid(X), X)
    check_both_modes(nn.ReLU6(), np.clip(wide, 0, 6), wide)
    check_both_modes(nn.Hardtanh(), np.clip(wide, -1, 1), wide)
    assert repr(nn.ReLU6()) == "ReLU6()" and repr(nn.Hardtanh()) == \
        "Hardtanh(min_val=-1.0, max_val=1.0)"


def test_prelu_learned_slope():
    m = nn.PReLU()
    assert m.weight.shape == (1,) and m.weight.tolist() == [0.25]
    assert [name for name, _ in m.named_parameters()] == ["weight"]
    x4 = rng.standard_normal((2, 3, 2, 2))
    x = torch.tensor(x4, dtype=torch.float32)
    np.testing.assert_allclose(m(x).detach().numpy(), np.where(x4 > 0, x4, 0.25 * x4),
                               rtol=1e-6)
    per = nn.PReLU(num_parameters=3, init=0.1)
    with torch.no_grad():
        per.weight.copy_(torch.tensor([0.1, 0.2, 0.3]))
    slopes = np.array([0.1, 0.2, 0.3]).reshape(1, 3, 1, 1)
    out = per(x)
    np.testing.assert_allclose(out.detach().numpy(), np.where(x4 > 0, x4, slopes * x4),
                               rtol=1e-6)
    out.sum().backward()  # d/da = min(x, 0), summed over all but the channel
    np.testing.assert_allclose(per.weight.grad.numpy(),
                               np.minimum(x4, 0).sum(axis=(0, 2, 3)), rtol=1e-5)
    grad_check(lambda t, w: F.prelu(t, w), x4, np.array([0.1, 0.2, 0.3]))
    weight = np.array([0.25])
    check_both_modes(lambda t: F.prelu(t, weight), np.where(x4 > 0, x4, 0.25 * x4), x4)


def test_normalize_and_cosine_similarity():
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    np.testing.assert_allclose(F.normalize(torch.tensor(a)).numpy(), a / norms, rtol=1e-14)
    np.testing.assert_allclose(F.normalize(torch.tensor(a), p=1, dim=0).numpy(),
                               a / np.abs(a).sum(0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(F.normalize(torch.tensor(a), p=3.0, dim=-1).numpy(),
                               a / (np.abs(a) ** 3).sum(1, keepdims=True) ** (1 / 3),
                               rtol=1e-13)
    assert F.normalize(torch.zeros(2, 3)).tolist() == [[0.0] * 3] * 2  # eps: no NaN
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(torch.tensor(a), torch.tensor(b)).numpy(),
                               cos, rtol=1e-13)
    row = b[:1]  # broadcast against every row of a
    cos_row = (a @ row[0]) / (np.linalg.norm(a, axis=1) * np.linalg.norm(row))
    np.testing.assert_allclose(F.cosine_similarity(torch.tensor(a), torch.tensor(row)).numpy(),
                               cos_row, rtol=1e-13)
    grad_check(F.normalize, a)
    grad_check(lambda s, t: F.cosine_similarity(s, t, dim=0), a, b)
    check_both_modes(lambda s, t: F.cosine_similarity(s, t), cos, a, b)


def test_kl_div_reductions_warning_and_gradient():
    logits, probs = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    probs[0, 1] = 0.0  # 0 * log 0 counts as 0
    log_q = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(probs > 0, probs * (np.log(probs) - log_q), 0.0)
    inp, tgt = torch.tensor(log_q), torch.tensor(probs)
    np.testing.assert_allclose(F.kl_div(inp, tgt, reduction="none").numpy(), pointwise,
                               rtol=1e-13)
    np.testing.assert_allclose(F.kl_div(inp, tgt, reduction="sum").item(), pointwise.sum(),
                               rtol=1e-13)
    np.testing.assert_allclose(F.kl_div(inp, tgt, reduction="batchmean").item(),
                               pointwise.sum() / 3, rtol=1e-13)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean = F.kl_div(inp, tgt)
    np.testing.assert_allclose(mean.item(), pointwise.mean(), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logged = F.kl_div(inp, torch.tensor(np.log(probs + 0.1)), reduction="sum",
                          log_target=True)
    lt = np.log(probs + 0.1)
    np.testing.assert_allclose(logged.item(), (np.exp(lt) * (lt - log_q)).sum(), rtol=1e-13)
    with pytest.raises(ValueError, match="reduction"):
        F.kl_div(inp, tgt, reduction="avg")
    x = torch.tensor(log_q, requires_grad=True)
    F.kl_div(x, tgt, reduction="batchmean").backward()
    np.testing.assert_allclose(x.grad.numpy(), -probs / 3, rtol=1e-13)
    dense = rng.dirichlet(np.ones(4), 3)
    grad_check(lambda s, t: F.kl_div(s, t, reduction="none"), log_q, dense)
