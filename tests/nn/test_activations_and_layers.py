"""gc.nn's activation modules (Tanh, Sigmoid, Softmax, LogSoftmax), Flatten and Dropout, and
their nn.functional functions, eagerly and in graphs.

Values against numpy in float64 (np.tanh, scipy's expit, a max-shifted log-softmax,
np.reshape) to RTOL = 1e-10, the project's float64 bar (the formulas agree to a few ulps).
Gradients: central finite differences with gc.test.check_gradients (rtol 1e-6, atol 1e-8,
h = 1e-6: see tests/nn/test_losses.py). Dropout is random: its kept fraction is checked
within 5 standard deviations of a binomial count, and its kept values and gradients exactly
against the mask it drew (x / (1 - p) is one rounding in both).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import graphc as gc
import graphc.eager as ge
from graphc import nn
from graphc.nn import functional as F
from tests.nn.modes import check_both_modes, run_eager

RTOL = 1e-10
rng = np.random.default_rng(11)


def ref_log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


X3 = rng.standard_normal((2, 3, 4)) * 3


# -- activations ---------------------------------------------------------------------------
def test_tanh_and_sigmoid_modules_and_functions():
    x = np.concatenate([X3.ravel(), [-800.0, -40.0, 40.0, 800.0]])  # saturated ends too
    for module, function, reference in [(nn.Tanh(), F.tanh, np.tanh),
                                        (nn.Sigmoid(), F.sigmoid, special.expit)]:
        check_both_modes(module, reference(x), x)
        check_both_modes(function, reference(x), x)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_and_log_softmax_modules(dim):
    check_both_modes(nn.LogSoftmax(dim), ref_log_softmax(X3, dim), X3)
    check_both_modes(nn.Softmax(dim=dim), np.exp(ref_log_softmax(X3, dim)), X3)


def test_softmax_of_huge_logits_is_exact():
    x = np.array([[1000.0, -1000.0, 999.0]])
    check_both_modes(nn.LogSoftmax(1), ref_log_softmax(x, 1), x)
    check_both_modes(nn.Softmax(1), np.exp(ref_log_softmax(x, 1)), x)


def test_softmax_needs_a_dim():
    with pytest.raises(ValueError, match=r"softmax: give dim, the dimension to normalize over"):
        nn.Softmax()(ge.tensor(X3))
    with pytest.raises(ValueError, match=r"log_softmax: give dim"):
        nn.LogSoftmax()(gc.placeholder(gc.float32, (2, 3)))
    with pytest.raises(ValueError, match="log_softmax: axis 3 is out of range for rank 3"):
        nn.LogSoftmax(3)(ge.tensor(X3))


# -- Flatten -------------------------------------------------------------------------------
X4 = rng.standard_normal((2, 3, 4, 5))


@pytest.mark.parametrize("start,end,shape", [
    (1, -1, (2, 60)), (0, -1, (120,)), (0, 1, (6, 4, 5)), (1, 2, (2, 12, 5)),
    (2, 3, (2, 3, 20)), (-3, -2, (2, 12, 5)), (3, 3, (2, 3, 4, 5))])
def test_flatten_merges_the_given_dims(start, end, shape):
    check_both_modes(nn.Flatten(start, end), X4.reshape(shape), X4)
    check_both_modes(lambda t: F.flatten(t, start, end), X4.reshape(shape), X4)


def test_flatten_defaults_and_a_batch_of_unknown_size():
    check_both_modes(nn.Flatten(), X4.reshape(2, -1), X4)
    check_both_modes(F.flatten, X4.ravel(), X4)  # torch.flatten: every dim by default
    np.testing.assert_array_equal(run_eager(F.flatten, np.array(3.0)), [3.0])  # 0-d: (1,)
    x = gc.placeholder(gc.float64, (None, 3, 4, 5))
    assert nn.Flatten()(x).shape == (None, 60)
    assert nn.Flatten(2)(x).shape == (None, 3, 20)
    assert nn.Flatten(0, 1)(x).shape == (None, 4, 5)
    with gc.Session(backend="numpy") as sess:
        np.testing.assert_array_equal(sess.run(nn.Flatten()(x), {x: X4[:1]}), X4[:1].reshape(1, 60))


def test_flatten_errors():
    with pytest.raises(IndexError, match=r"flatten: dimension out of range \(expected to be in "
                                         r"range of \[-4, 3\], but got 4\)"):
        nn.Flatten(4)(ge.tensor(X4))
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        nn.Flatten()(ge.tensor(np.ones(3)))  # a 1-d input has no dim 1, as in PyTorch
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        F.flatten(ge.tensor(X4), 2, 1)
    with pytest.raises(ValueError, match=r"flatten: input of shape \(None, 3, None\) flattened "
                                         r"over dims 0..1 would have more than one unknown"):
        F.flatten(gc.placeholder(gc.float32, (None, 3, None)), 0, 1)


# -- gradients -----------------------------------------------------------------------------
GRADIENT_CASES = {
    "Tanh": (nn.Tanh(), [X3]),
    "Sigmoid": (nn.Sigmoid(), [X3]),
    "Softmax": (nn.Softmax(1), [X3]),
    "LogSoftmax": (nn.LogSoftmax(-1), [X3]),
    "Flatten": (nn.Flatten(), [X3]),
    "Flatten-middle": (lambda t: nn.Flatten(1, 2)(t) * np.arange(12.0)[:, None], [X4]),
    "eval Dropout": (nn.Dropout(0.5).eval(), [X3]),
}


@pytest.mark.parametrize("mode", ["graph", "eager"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_against_finite_differences(case, mode):
    fn, inputs = GRADIENT_CASES[case]
    gc.test.check_gradients(fn, inputs, mode=mode, rtol=1e-6, atol=1e-8)


# -- Dropout -------------------------------------------------------------------------------
def within_five_sigma(kept, n, p):
    expected, sigma = n * (1 - p), np.sqrt(n * p * (1 - p))
    return abs(kept - expected) < 5 * sigma


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_eager_dropout_keeps_one_minus_p_scaled_and_its_gradient_is_the_mask(p):
    x = rng.uniform(1.0, 2.0, (200, 500))  # no zeros: a zero in the output was dropped
    t = ge.tensor(x, requires_grad=True)
    ge.manual_seed(5)
    out = nn.Dropout(p)(t)
    value = np.asarray(out.detach())
    kept = value != 0
    assert within_five_sigma(kept.sum(), x.size, p)
    np.testing.assert_array_equal(value[kept], x[kept] / (1 - p))
    weights = rng.standard_normal(x.shape)
    (out * ge.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.where(kept, weights / (1 - p), 0))


def test_eager_dropout_follows_manual_seed_and_eval_mode():
    x = np.ones((50, 40))
    layer = nn.Dropout()
    ge.manual_seed(3)
    first = run_eager(layer, x)
    ge.manual_seed(3)
    np.testing.assert_array_equal(run_eager(layer, x), first)
    assert (run_eager(layer, x) != first).any()  # the generator moves on
    t = ge.tensor(x)
    assert layer.eval()(t) is t  # eval mode: the identity, nothing computed
    assert layer.train()(t) is not t
    assert F.dropout(t, 0.5, training=False) is t and F.dropout(t, 0.0) is t


def test_dropout_of_p_one_zeroes_everything():
    x = rng.standard_normal((3, 4))
    check_both_modes(lambda t: F.dropout(t, 1.0), np.zeros_like(x), x)


@pytest.mark.parametrize("batch", [(200, 500), (None, 500)], ids=["static", "unknown_batch"])
def test_graph_dropout_draws_a_new_mask_each_run_and_its_gradient_is_the_mask(batch):
    p, x_value = 0.3, rng.uniform(1.0, 2.0, (200, 500))
    graph = gc.Graph()
    with graph.as_default():
        gc.set_random_seed(1)
        x = gc.placeholder(gc.float64, batch)
        out = nn.Dropout(p)(x)
        weights = rng.standard_normal((200, 500))
        (grad,) = gc.gradients(gc.reduce_sum(out * weights), [x])
    with gc.Session(graph, backend="numpy") as sess:
        value, grad_value = sess.run([out, grad], {x: x_value})
        second = sess.run(out, {x: x_value})
    kept = value != 0
    assert within_five_sigma(kept.sum(), x_value.size, p)
    np.testing.assert_array_equal(value[kept], x_value[kept] / (1 - p))
    np.testing.assert_array_equal(grad_value, np.where(kept, weights / (1 - p), 0))
    assert (second != value).any()


def test_graph_dropout_is_decided_by_the_mode_when_called():
    """In train mode a Dropout builds a random draw; in eval mode nothing: a model called
    twice in one graph gives a training output and an evaluation output over the same
    parameters."""
    model = nn.Sequential(nn.Linear(6, 8, dtype=gc.float64), nn.Tanh(), nn.Dropout(0.5),
                          nn.Linear(8, 3, dtype=gc.float64))
    x = gc.placeholder(gc.float64, (None, 6))
    train_out = model(x)
    evaluate = model.eval()(x)
    ops = {n.op for n in x.graph.nodes}
    assert any(op.startswith("random") for op in ops)
    value = rng.standard_normal((5, 6))
    with gc.Session(backend="numpy") as sess:
        sess.run(gc.global_variables_initializer())
        np.testing.assert_allclose(sess.run(evaluate, {x: value}),
                                   run_eager(model, value), rtol=RTOL)
        assert not np.allclose(sess.run(train_out, {x: value}), sess.run(evaluate, {x: value}))


def test_dropout_with_a_training_placeholder():
    x, training = gc.placeholder(gc.float64, (None, 100)), gc.placeholder(gc.bool, ())
    out = F.dropout(x, 0.5, training)
    value = rng.uniform(1, 2, (50, 100))
    with gc.Session(backend="numpy") as sess:
        np.testing.assert_array_equal(sess.run(out, {x: value, training: False}), value)
        dropped = sess.run(out, {x: value, training: True})
    assert within_five_sigma((dropped != 0).sum(), value.size, 0.5)


def test_dropout_errors():
    for p in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match=f"Dropout: dropout probability has to be between "
                                             f"0 and 1, but got {p}"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match=f"dropout: dropout probability has to be between "
                                             f"0 and 1, but got {p}"):
            F.dropout(ge.tensor(X3), p)
    with pytest.raises(TypeError, match="dropout: input must be floating point, not int64"):
        F.dropout(ge.tensor(np.arange(4)), 0.5)
    with pytest.raises(TypeError, match="dropout: training must be a bool or a bool tensor, not "
                                        "str"):
        F.dropout(ge.tensor(X3), 0.5, training="yes")
    with pytest.raises(TypeError, match="dropout: training must be a bool tensor, not float32"):
        F.dropout(gc.placeholder(gc.float32, (2,)), 0.5, gc.placeholder(gc.float32, ()))


def test_reprs_follow_pytorch():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.Dropout(0.25), nn.Tanh(),
                          nn.Sigmoid(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Linear(in_features=4, out_features=2, bias=True)\n"
        "  (2): Dropout(p=0.25, inplace=False)\n"
        "  (3): Tanh()\n"
        "  (4): Sigmoid()\n"
        "  (5): Softmax(dim=1)\n"
        "  (6): LogSoftmax(dim=-1)\n)")


def test_a_classifier_of_every_kind_of_layer_agrees_eagerly_and_in_a_graph():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8, dtype=gc.float64), nn.Sigmoid(),
                          nn.Dropout(0.3), nn.Linear(8, 4, dtype=gc.float64), nn.Tanh(),
                          nn.LogSoftmax(1)).eval()
    loss_fn = nn.NLLLoss()
    value, target = rng.standard_normal((6, 3, 4)), np.array([0, 3, 2, 1, 1, 0])
    x, y = gc.placeholder(gc.float64, (None, 3, 4)), gc.placeholder(gc.int64, (None,))
    loss = loss_fn(model(x), y)
    with gc.Session(backend="numpy") as sess:
        static = sess.run(loss, {x: value, y: target})
    eager = loss_fn(model(ge.tensor(value)), ge.tensor(target)).item()
    np.testing.assert_allclose(static, eager, rtol=RTOL)
