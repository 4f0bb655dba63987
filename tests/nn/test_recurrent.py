"""nn.RNNCell, LSTMCell, GRUCell, RNN, LSTM and GRU against an independent numpy
implementation of PyTorch's formulas, in float64."""

import collections
import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn

rng = np.random.default_rng(0)
TOL = dict(rtol=1e-12, atol=1e-13)
F64 = gc.float64


# -- the numpy reference ---------------------------------------------------------------------
def sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of PyTorch's cell `mode` on numpy arrays: (h', c')."""
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode == "tanh":
        return np.tanh(gi + gh), None
    if mode == "relu":
        return np.maximum(gi + gh, 0), None
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        return sig(o) * np.tanh(c), c
    ir, iz, i_n = np.split(gi, 3, axis=-1)
    hr, hz, h_n = np.split(gh, 3, axis=-1)
    r, z = sig(ir + hr), sig(iz + hz)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h, None


def np_layers(mode, x, params, num_layers, bidirectional, h0=None, c0=None):
    """PyTorch's multi-layer recurrence on x (L, N, I): (output, h_n, c_n); params maps
    PyTorch's parameter names to arrays."""
    hidden = params["weight_hh_l0"].shape[1]
    dirs = 2 if bidirectional else 1
    length, batch = x.shape[:2]
    zeros = np.zeros((num_layers * dirs, batch, hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    h_n, c_n, layer_in = [], [], x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [params.get(n + sfx) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = h0[layer * dirs + d], c0[layer * dirs + d]
            out = np.zeros((length, batch, hidden))
            for t in (reversed(range(length)) if d else range(length)):
                h, c = np_step(mode, layer_in[t], h, c, *w)
                out[t] = h
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_in = np.concatenate(outs, axis=-1)
    return layer_in, np.stack(h_n), (np.stack(c_n) if mode == "LSTM" else None)


def npy(t):
    """An eager tensor's values (detached)."""
    return t.detach().numpy()


def arrays(module):
    return {k: npy(v) for k, v in module.state_dict().items()}


def make(kind, *args, **kwargs):
    if kind in ("tanh", "relu"):
        return nn.RNN(*args, nonlinearity=kind, dtype=F64, **kwargs)
    return {"LSTM": nn.LSTM, "GRU": nn.GRU}[kind](*args, dtype=F64, **kwargs)


# -- cells -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tanh", "relu", "LSTM", "GRU"])
def test_cells_against_numpy_batched_unbatched_with_and_without_state(kind):
    cell = {"tanh": lambda: nn.RNNCell(3, 5, dtype=F64),
            "relu": lambda: nn.RNNCell(3, 5, nonlinearity="relu", dtype=F64),
            "LSTM": lambda: nn.LSTMCell(3, 5, dtype=F64),
            "GRU": lambda: nn.GRUCell(3, 5, dtype=F64)}[kind]()
    gates = {"LSTM": 4, "GRU": 3}.get(kind, 1)
    p = arrays(cell)
    assert list(p) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert p["weight_ih"].shape == (gates * 5, 3) and p["weight_hh"].shape == (gates * 5, 5)
    assert p["bias_ih"].shape == (gates * 5,)
    w = [p[n] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 5)), \
        rng.standard_normal((2, 5))
    lstm = kind == "LSTM"
    for state in (None, (h, c)):
        hx = None if state is None else \
            (ge.tensor(h), ge.tensor(c)) if lstm else ge.tensor(h)
        got = cell(ge.tensor(x), hx)
        zero = np.zeros((2, 5))
        want = np_step(kind, x, *(state or (zero, zero)), *w)
        np.testing.assert_allclose(npy(got[0]) if lstm else npy(got), want[0], **TOL)
        if lstm:
            np.testing.assert_allclose(npy(got[1]), want[1], **TOL)
    one = cell(ge.tensor(x[0]), (ge.tensor(h[0]), ge.tensor(c[0])) if lstm else ge.tensor(h[0]))
    want = np_step(kind, x[:1], h[:1], c[:1], *w)
    one_h = one[0] if lstm else one
    assert one_h.shape == (5,)
    np.testing.assert_allclose(npy(one_h), want[0][0], **TOL)


def test_cell_without_bias_and_repr():
    cell = nn.GRUCell(2, 3, bias=False, dtype=F64)
    assert [k for k, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.bias_ih is None
    x, h = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    want = np_step("GRU", x, h, None, npy(cell.weight_ih), npy(cell.weight_hh),
                   None, None)[0]
    np.testing.assert_allclose(npy(cell(ge.tensor(x), ge.tensor(h))), want, **TOL)
    assert repr(cell) == "GRUCell(2, 3, bias=False)"
    assert repr(nn.RNNCell(2, 3, nonlinearity="relu")) == "RNNCell(2, 3, nonlinearity=relu)"
    assert repr(nn.LSTM(16, 32, 2, batch_first=True, bidirectional=True)) == \
        "LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=True)"


# -- layers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["tanh", "relu", "LSTM", "GRU"])
def test_layers_against_numpy(kind):
    lstm = kind == "LSTM"
    x = rng.standard_normal((4, 2, 3))
    # one layer, zero state
    m = make(kind, 3, 5)
    out, hn = m(ge.tensor(x))
    want = np_layers(kind, x, arrays(m), 1, False)
    if lstm:
        hn, cn = hn
        np.testing.assert_allclose(npy(cn), want[2], **TOL)
    assert out.shape == (4, 2, 5) and hn.shape == (1, 2, 5)
    np.testing.assert_allclose(npy(out), want[0], **TOL)
    np.testing.assert_allclose(npy(hn), want[1], **TOL)
    # two layers, bidirectional, batch_first, a given state
    m = make(kind, 3, 5, num_layers=2, bidirectional=True, batch_first=True)
    h0, c0 = rng.standard_normal((4, 2, 5)), rng.standard_normal((4, 2, 5))
    hx = (ge.tensor(h0), ge.tensor(c0)) if lstm else ge.tensor(h0)
    out, hn = m(ge.tensor(x.transpose(1, 0, 2)), hx)
    want = np_layers(kind, x, arrays(m), 2, True, h0, c0)
    if lstm:
        hn, cn = hn
        np.testing.assert_allclose(npy(cn), want[2], **TOL)
    assert out.shape == (2, 4, 10) and hn.shape == (4, 2, 5)
    np.testing.assert_allclose(npy(out), want[0].transpose(1, 0, 2), **TOL)
    np.testing.assert_allclose(npy(hn), want[1], **TOL)
    # unbatched: (L, input_size), state (D * num_layers, hidden_size)
    hx = (ge.tensor(h0[:, 0]), ge.tensor(c0[:, 0])) if lstm else ge.tensor(h0[:, 0])
    out, hn = m(ge.tensor(x[:, 0]), hx)
    want = np_layers(kind, x[:, :1], arrays(m), 2, True, h0[:, :1], c0[:, :1])
    assert out.shape == (4, 10)
    np.testing.assert_allclose(npy(out), want[0][:, 0], **TOL)
    np.testing.assert_allclose(npy(hn[0] if lstm else hn), want[1][:, 0], **TOL)


def test_state_dict_keys_shapes_and_initialization():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    names = [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
             for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert list(sd) == names
    assert sd["weight_ih_l0"].shape == (20, 3) and sd["weight_ih_l1"].shape == (20, 10)
    assert sd["weight_hh_l1_reverse"].shape == (20, 5) and sd["bias_hh_l0"].shape == (20,)
    assert all(v.dtype == gc.float32 for v in sd.values())
    values = np.concatenate([npy(v).ravel() for v in sd.values()])
    assert 0.9 / np.sqrt(5) < np.abs(values).max() <= 1 / np.sqrt(5)
    assert [k for k, _ in nn.GRU(2, 4, bias=False).named_parameters()] == \
        ["weight_ih_l0", "weight_hh_l0"]
    assert nn.RNN(2, 4).weight_ih_l0.shape == (4, 2)
    m2 = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    m2.load_state_dict(sd)
    assert len(m2.all_weights) == 4 and m2.all_weights[1][0] is m2.weight_ih_l0_reverse
    m2.flatten_parameters()


def test_gradients_against_finite_differences():
    m = make("LSTM", 2, 3, bidirectional=True)
    x = rng.standard_normal((3, 2, 2))
    h0, c0 = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 2, 3))
    wo, wh = rng.standard_normal((3, 2, 6)), rng.standard_normal((2, 2, 3))
    p = arrays(m)

    def loss(params, xv, h0v):
        out, hn, cn = np_layers("LSTM", xv, params, 1, True, h0v, c0)
        return (out * wo).sum() + (hn * wh).sum() + cn.sum()

    xt, ht = ge.tensor(x, requires_grad=True), ge.tensor(h0, requires_grad=True)
    out, (hn, cn) = m(xt, (ht, ge.tensor(c0)))
    ((out * ge.tensor(wo)).sum() + (hn * ge.tensor(wh)).sum() + cn.sum()).backward()
    np.testing.assert_allclose(loss(p, x, h0), ((out * ge.tensor(wo)).sum() +
                               (hn * ge.tensor(wh)).sum() + cn.sum()).item(), **TOL)
    eps = 1e-6

    def numeric(f, a):
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            a[i] += eps
            up = f()
            a[i] -= 2 * eps
            g[i] = (up - f()) / (2 * eps)
            a[i] += eps
        return g

    np.testing.assert_allclose(npy(xt.grad), numeric(lambda: loss(p, x, h0), x),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(npy(ht.grad), numeric(lambda: loss(p, x, h0), h0),
                               rtol=1e-6, atol=1e-8)
    for name in ("weight_hh_l0_reverse", "bias_ih_l0"):
        np.testing.assert_allclose(npy(getattr(m, name).grad),
                                   numeric(lambda: loss(p, x, h0), p[name]),
                                   rtol=1e-6, atol=1e-8)


def test_gru_gradient_against_finite_differences():
    m = make("GRU", 2, 3)
    x = rng.standard_normal((3, 1, 2))
    p = arrays(m)
    m(ge.tensor(x))[0].sum().backward()
    eps = 1e-6
    w = p["weight_hh_l0"]
    g = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        w[i] += eps
        up = np_layers("GRU", x, p, 1, False)[0].sum()
        w[i] -= 2 * eps
        g[i] = (up - np_layers("GRU", x, p, 1, False)[0].sum()) / (2 * eps)
        w[i] += eps
    np.testing.assert_allclose(npy(m.weight_hh_l0.grad), g, rtol=1e-6, atol=1e-8)


def test_dropout_between_layers_in_training_mode_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = make("GRU", 3, 4, num_layers=2, dropout=1.0)
    x = rng.standard_normal((3, 2, 3))
    p = arrays(m)
    out, _ = m(ge.tensor(x))  # (p = 1: the second layer sees zeros)
    top = {k.replace("_l1", "_l0"): v for k, v in p.items() if "_l1" in k}
    want = np_layers("GRU", np.zeros((3, 2, 4)), top, 1, False)[0]
    np.testing.assert_allclose(npy(out), want, **TOL)
    m.eval()
    np.testing.assert_allclose(npy(m(ge.tensor(x))[0]), np_layers("GRU", x, p, 2, False)[0],
                               **TOL)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


def test_graph_mode_equals_eager():
    m = make("LSTM", 3, 4, num_layers=2, batch_first=True)
    x = rng.standard_normal((2, 5, 3))
    h0, c0 = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    graph = gc.Graph()
    with graph.as_default():
        xp = gc.placeholder(F64, (None, 5, 3))
        hp, cp = gc.placeholder(F64, (2, None, 4)), gc.placeholder(F64, (2, None, 4))
        out, (hn, cn) = m(xp, (hp, cp))
        out0, (hn0, _) = m(xp)
        grad = gc.gradients(gc.reduce_sum(out), [m.weight_hh_l1.variable(graph)])[0]
    with gc.Session(graph, backend="numpy") as sess:
        got = sess.run([out, hn, cn, out0, hn0, grad], {xp: x, hp: h0, cp: c0})
    e_out, (e_hn, e_cn) = m(ge.tensor(x), (ge.tensor(h0), ge.tensor(c0)))
    e_out.sum().backward()
    e_out0, (e_hn0, _) = m(ge.tensor(x))
    for g, e in zip(got, [e_out, e_hn, e_cn, e_out0, e_hn0, m.weight_hh_l1.grad]):
        np.testing.assert_allclose(g, npy(e), **TOL)


def test_errors():
    with pytest.raises(NotImplementedError, match="proj_size is not supported"):
        nn.LSTM(3, 4, proj_size=2)
    m = nn.LSTM(3, 4)
    packed = collections.namedtuple("PackedSequence", "data batch_sizes")(None, None)
    with pytest.raises(NotImplementedError, match="PackedSequence inputs are not supported"):
        m(packed)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D input"):
        m(ge.randn(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                       "Expected 3, got 2"):
        m(ge.randn(5, 2, 2))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got "
                       r"\[1, 3, 4\]"):
        m(ge.randn(5, 2, 3), (ge.zeros(1, 3, 4), ge.zeros(1, 3, 4)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be "
                       r"3-D but got \(2-D, 2-D\) tensors"):
        m(ge.randn(5, 2, 3), (ge.zeros(1, 4), ge.zeros(1, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D "
                       "but got 3-D tensor"):
        nn.GRU(3, 4)(ge.randn(5, 3), ge.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D"):
        nn.RNNCell(3, 4)(ge.randn(1, 2, 3))
    with gc.Graph().as_default():
        with pytest.raises(ValueError, match="sequence length .* must be known when the "
                           "graph is built"):
            m(gc.placeholder(gc.float32, (None, 2, 3)))
