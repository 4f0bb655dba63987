"""On the CUDA device (numba's simulator unless NUMBA_ENABLE_CUDASIM=0): Module.to with a
device and a dtype at once, and matmul's 1-D and higher-rank operands, against numpy."""

import numpy as np
import pytest

import graphc.eager as torch
from graphc import nn

rng = np.random.default_rng(11)


def test_module_to_cuda_and_float64_at_once_converts_values_and_grads():
    m = nn.Linear(3, 2)
    w, b = m.weight.array.copy(), m.bias.array.copy()
    m(torch.randn(4, 3)).sum().backward()
    assert m.to("cuda", torch.float64) is m
    assert m.weight.device == "cuda" and m.weight.dtype == torch.float64
    assert m.weight.grad.device == "cuda" and m.weight.grad.dtype == torch.float64
    np.testing.assert_array_equal(m.weight.detach().cpu().numpy(), w.astype(np.float64))
    x = rng.standard_normal((4, 3))
    out = m(torch.tensor(x, device="cuda"))
    assert out.device == "cuda" and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().cpu().numpy(), x @ w.T.astype(np.float64) + b,
                               rtol=1e-6)
    assert m.float() is m and m.weight.device == "cuda" and m.weight.dtype == torch.float32
    assert m.cpu() is m and m.weight.device == "cpu" and m.weight.dtype == torch.float32


@pytest.mark.parametrize("sa,sb", [((3,), (3, 4)), ((5, 3), (3,)), ((3,), (3,)),
                                   ((2, 5, 3), (3, 4)), ((5, 3), (2, 3, 4))])
def test_matmul_ranks_on_cuda(sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ta = torch.tensor(a, device="cuda", requires_grad=True)
    tb = torch.tensor(b, device="cuda", requires_grad=True)
    out = ta @ tb
    assert out.device == "cuda" and out.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.matmul(a, b), rtol=1e-12)
    out.sum().backward()
    ones = np.ones(np.matmul(a, b).shape)
    # d sum(a @ b) / da and / db, through numpy's own matmul on promoted operands
    a2 = a[None] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g = ones.reshape(np.matmul(a2, b2).shape)
    da = np.matmul(g, np.swapaxes(b2, -1, -2))
    db = np.matmul(np.swapaxes(a2, -1, -2), g)
    da = da.reshape(-1, *a.shape).sum(axis=0) if da.ndim > a.ndim else da.reshape(a.shape)
    db = db.reshape(-1, *b.shape).sum(axis=0) if db.ndim > b.ndim else db.reshape(b.shape)
    np.testing.assert_allclose(ta.grad.cpu().numpy(), da, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.cpu().numpy(), db, rtol=1e-12)
