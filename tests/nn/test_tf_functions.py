"""gc.nn's TensorFlow 1 functions (graphc/nn/tf_functions.py) and the PyTorch-style losses
of gc.nn.functional built on them.

Values: each function against a numpy reference written independently of graphc's formula
(np.logaddexp, scipy.special), in float64, in graph mode (a Session on the numpy backend,
and on numba where noted) and in eager mode, to a relative tolerance of 1e-12 (RTOL; an
absolute one only where the true value is 0 and rounding leaves ~1e-16).
Gradients: against central finite differences in float64 with gc.test.check_gradients
(rtol 1e-6, atol 1e-8: differences with h = 1e-6 err by ~1e-9), in both modes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import special

import graphc as gc
import graphc.eager as ge
from graphc import nn
from graphc.nn import functional as F
from tests.nn.modes import run_eager, run_graph
from graphc.nn.tf_functions import reduce_logsumexp
from graphc.runtime import backend as runtime_backend

RTOL = 1e-12  # relative tolerance of every value check against the numpy references
rng = np.random.default_rng(2024)


# -- numpy references, written from the definitions ---------------------------------------
def ref_logsumexp(x, axis=-1, keepdims=True):
    return np.logaddexp.reduce(x, axis=axis, keepdims=keepdims)


def ref_log_softmax(x, axis=-1):
    # shifted by the maximum first (exactly), so x - logsumexp(x) does not lose the low
    # digits of values near 1000 (ulp(1000) is 1e-13)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - ref_logsumexp(shifted, axis)


def ref_softmax(x, axis=-1):
    return np.exp(ref_log_softmax(x, axis))


def ref_softmax_xent(labels, logits, axis=-1):
    return -(labels * ref_log_softmax(logits, axis)).sum(axis=axis)


def ref_sparse_xent(labels, logits):
    return -np.take_along_axis(ref_log_softmax(logits), labels[..., None], axis=-1)[..., 0]


def ref_sigmoid_xent(labels, logits):
    # -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), log(sigmoid(x)) = -log(1 + e^-x)
    return -labels * special.log_expit(logits) - (1 - labels) * special.log_expit(-logits)


def ref_softplus(x):
    return np.logaddexp(0.0, x)


def both_modes(fn, *arrays):
    """fn's value in graph mode and in eager mode (they must agree bit for bit)."""
    graph_value = run_graph(fn, *arrays)
    eager_value = run_eager(fn, *arrays)
    np.testing.assert_array_equal(graph_value, eager_value)
    return graph_value


def distributions(*shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


# -- values --------------------------------------------------------------------------------
LOGITS = rng.standard_normal((4, 7)) * 3
LOGITS3 = rng.standard_normal((2, 3, 5)) * 3


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_against_numpy(axis):
    x = LOGITS3
    np.testing.assert_allclose(both_modes(lambda t: nn.softmax(t, axis), x),
                               ref_softmax(x, axis), rtol=RTOL, atol=0)
    np.testing.assert_allclose(both_modes(lambda t: nn.log_softmax(t, axis=axis), x),
                               ref_log_softmax(x, axis), rtol=RTOL, atol=0)


def test_softmax_cross_entropy_v1_and_v2_values_and_shapes():
    labels, x = distributions(4, 7), LOGITS
    for fn in (nn.softmax_cross_entropy_with_logits, nn.softmax_cross_entropy_with_logits_v2):
        value = both_modes(lambda y, t, fn=fn: fn(labels=y, logits=t), labels, x)
        assert value.shape == (4,)  # one loss per example, not the mean
        np.testing.assert_allclose(value, ref_softmax_xent(labels, x), rtol=RTOL, atol=0)
    labels3 = distributions(2, 5, 3).transpose(0, 2, 1)  # a distribution along axis 1
    value = both_modes(lambda y, t: nn.softmax_cross_entropy_with_logits_v2(
        labels=y, logits=t, axis=1), labels3, LOGITS3)
    assert value.shape == (2, 5)
    np.testing.assert_allclose(value, ref_softmax_xent(labels3, LOGITS3, 1), rtol=RTOL, atol=0)
    # TF1's old keyword `dim`
    value = both_modes(lambda y, t: nn.softmax_cross_entropy_with_logits(
        labels=y, logits=t, dim=1), labels3, LOGITS3)
    np.testing.assert_allclose(value, ref_softmax_xent(labels3, LOGITS3, 1), rtol=RTOL, atol=0)


def test_sparse_softmax_cross_entropy():
    labels = np.array([0, 6, 3, 3])
    value = both_modes(lambda y, t: nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=t), labels, LOGITS)
    assert value.shape == (4,)
    np.testing.assert_allclose(value, ref_sparse_xent(labels, LOGITS), rtol=RTOL, atol=0)
    labels3 = np.array([[0, 4, 2], [1, 1, 3]], np.int32)  # rank-2 labels, int32
    value = both_modes(lambda y, t: nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=t), labels3, LOGITS3)
    assert value.shape == (2, 3)
    np.testing.assert_allclose(value, ref_sparse_xent(labels3, LOGITS3), rtol=RTOL, atol=0)
    # labels given as a list, in both modes
    eager = nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 6, 3, 3],
                                                        logits=ge.tensor(LOGITS))
    np.testing.assert_allclose(eager.numpy(), ref_sparse_xent(labels, LOGITS), rtol=RTOL)


def test_sparse_softmax_cross_entropy_with_a_batch_of_unknown_size():
    y = gc.placeholder(gc.int64, (None,))
    x = gc.placeholder(gc.float64, (None, 7))
    loss = nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)
    assert loss.shape == (None,)
    labels = np.array([1, 2, 5, 0])
    with gc.Session(backend="numpy") as sess:
        np.testing.assert_allclose(sess.run(loss, {y: labels, x: LOGITS}),
                                   ref_sparse_xent(labels, LOGITS), rtol=RTOL, atol=0)


def test_sigmoid_cross_entropy_and_softplus():
    x = np.concatenate([rng.standard_normal(20) * 4, [-50.0, -30.0, -1e-3, 0.0, 1e-3, 30.0]])
    z = rng.uniform(0, 1, x.shape)
    z[-6:] = [0.0, 0.3, 1.0, 0.5, 0.0, 0.8]
    value = both_modes(lambda y, t: nn.sigmoid_cross_entropy_with_logits(labels=y, logits=t),
                       z, x)
    assert value.shape == x.shape
    np.testing.assert_allclose(value, ref_sigmoid_xent(z, x), rtol=RTOL, atol=0)
    # softplus keeps full precision where log(1 + e^x) underflows to tiny values
    x = np.linspace(-700, 50, 1501)
    np.testing.assert_allclose(both_modes(nn.softplus, x), ref_softplus(x), rtol=RTOL, atol=0)


def test_l2_loss_bias_add_and_activations():
    t = rng.standard_normal((3, 4))
    value = both_modes(nn.l2_loss, t)
    assert value.shape == ()
    np.testing.assert_allclose(value, 0.5 * np.vdot(t, t), rtol=RTOL, atol=0)
    b = rng.standard_normal(4)
    np.testing.assert_array_equal(both_modes(nn.bias_add, t, b), t + b)
    nchw, c = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(3)
    np.testing.assert_array_equal(
        both_modes(lambda v, w: nn.bias_add(v, w, data_format="NCHW"), nchw, c),
        nchw + c[:, None, None])
    with pytest.raises(ValueError, match="bias has 3 elements"):
        nn.bias_add(gc.placeholder(gc.float64, (None, 4)), gc.placeholder(gc.float64, (3,)))
    np.testing.assert_array_equal(both_modes(nn.relu, t), np.where(t > 0, t, 0.0))
    np.testing.assert_allclose(both_modes(nn.sigmoid, t), special.expit(t), rtol=RTOL)
    np.testing.assert_allclose(both_modes(nn.tanh, t), np.tanh(t), rtol=RTOL)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_reduce_logsumexp(axis, keepdims):
    x = LOGITS3
    value = both_modes(lambda t: reduce_logsumexp(t, axis=axis, keepdims=keepdims), x)
    ref_axis = tuple(range(3)) if axis is None else axis
    reference = special.logsumexp(x, axis=ref_axis, keepdims=keepdims)
    assert value.shape == np.shape(reference)
    np.testing.assert_allclose(value, reference, rtol=RTOL, atol=0)
    # a slice of -inf gives -inf, not NaN, as in TensorFlow; +-1000 stays finite
    x = np.array([[-np.inf, -np.inf], [1000.0, -1000.0]])
    with np.errstate(divide="ignore"):  # log(0) = -inf in the numpy references
        value = both_modes(lambda t: reduce_logsumexp(t, 1), x)
    np.testing.assert_array_equal(value, [-np.inf, 1000.0])


# -- numerical stability -------------------------------------------------------------------
def test_logits_of_plus_minus_1000_give_finite_exact_results():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, 999.0]])
    labels = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]])
    sparse = np.array([1, 2, 2])
    for backend in ("numpy", "numba"):
        outs = run_graph(lambda y, t, s: [
            nn.softmax(t), nn.log_softmax(t),
            nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=t),
            nn.sparse_softmax_cross_entropy_with_logits(labels=s, logits=t),
            nn.sigmoid_cross_entropy_with_logits(labels=y, logits=t)], labels, x, sparse,
            backend=backend)
        for out in outs:
            assert np.isfinite(out).all()
        expected = [ref_softmax(x), ref_log_softmax(x), ref_softmax_xent(labels, x),
                    ref_sparse_xent(sparse, x), ref_sigmoid_xent(labels, x)]
        for out, reference in zip(outs, expected, strict=True):
            np.testing.assert_allclose(out, reference, rtol=RTOL, atol=0)
    np.testing.assert_allclose(run_eager(nn.softmax, x), ref_softmax(x), rtol=RTOL, atol=0)
    # the gradient is finite too: softmax - labels
    t = gc.placeholder(gc.float64, (3, 3))
    loss = gc.reduce_sum(nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=t))
    (grad,) = gc.gradients(loss, [t])
    with gc.Session(backend="numpy") as sess:
        np.testing.assert_allclose(sess.run(grad, {t: x}), ref_softmax(x) - labels,
                                   rtol=RTOL, atol=1e-300)


# -- gradients -----------------------------------------------------------------------------
SPARSE = np.array([2, 0, 6, 6])
LABELS = distributions(4, 7)
GRADIENT_CASES = {
    "softmax": (lambda t: nn.softmax(t), [LOGITS]),
    "softmax-axis0": (lambda t: nn.softmax(t, axis=0), [LOGITS]),
    "log_softmax": (lambda t: nn.log_softmax(t), [LOGITS]),
    "xent_v2": (lambda y, t: nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=t),
                [distributions(4, 7), LOGITS]),
    "xent_v1": (lambda t: nn.softmax_cross_entropy_with_logits(labels=LABELS, logits=t),
                [LOGITS]),
    "sparse_xent": (lambda t: nn.sparse_softmax_cross_entropy_with_logits(
        labels=SPARSE, logits=t), [LOGITS]),
    "sigmoid_xent": (lambda y, t: nn.sigmoid_cross_entropy_with_logits(labels=y, logits=t),
                     [rng.uniform(0, 1, (3, 4)), rng.standard_normal((3, 4)) * 3]),
    "softplus": (nn.softplus, [np.array([-40.0, -3.0, -0.5, 0.5, 3.0, 40.0])]),
    "l2_loss": (nn.l2_loss, [rng.standard_normal((3, 4))]),
    "bias_add": (nn.bias_add, [rng.standard_normal((3, 4)), rng.standard_normal(4)]),
    "bias_add-NCHW": (lambda v, b: nn.bias_add(v, b, "NCHW"),
                      [rng.standard_normal((2, 3, 2, 2)), rng.standard_normal(3)]),
    "reduce_logsumexp": (lambda t: reduce_logsumexp(t, axis=1), [LOGITS3]),
    "relu": (nn.relu, [rng.uniform(0.2, 2, (3, 4)) * rng.choice([-1, 1], (3, 4))]),
    "sigmoid": (nn.sigmoid, [rng.standard_normal((3, 4))]),
    "tanh": (nn.tanh, [rng.standard_normal((3, 4))]),
    "F.cross_entropy": (lambda t: F.cross_entropy(t, SPARSE), [LOGITS]),
    "F.cross_entropy-weight": (lambda t, w: F.cross_entropy(t, SPARSE, weight=w),
                               [LOGITS, rng.uniform(0.5, 2, 7)]),
    "F.bce_logits-pos_weight": (lambda t, z: F.binary_cross_entropy_with_logits(
        t, z, pos_weight=np.full(4, 3.0)), [rng.standard_normal((3, 4)) * 3,
                                            rng.uniform(0, 1, (3, 4))]),
}


@pytest.mark.parametrize("mode", ["graph", "eager"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_against_finite_differences(case, mode):
    fn, inputs = GRADIENT_CASES[case]
    gc.test.check_gradients(fn, inputs, mode=mode, rtol=1e-6, atol=1e-8)


def test_v1_holds_labels_v2_differentiates_them():
    y, t = gc.placeholder(gc.float64, (2, 3)), gc.placeholder(gc.float64, (2, 3))
    v1 = gc.reduce_sum(nn.softmax_cross_entropy_with_logits(labels=y, logits=t))
    v2 = gc.reduce_sum(nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=t))
    assert gc.gradients(v1, [y])[0] is None
    labels, x = distributions(2, 3), rng.standard_normal((2, 3))
    with gc.Session(backend="numpy") as sess:
        grad = sess.run(gc.gradients(v2, [y])[0], {y: labels, t: x})
        np.testing.assert_allclose(grad, -ref_log_softmax(x), rtol=RTOL)
        grads = sess.run(gc.gradients(v1, [t]) + gc.gradients(v2, [t]), {y: labels, t: x})
        for grad in grads:  # a distribution's labels: softmax - labels
            np.testing.assert_allclose(grad, ref_softmax(x) - labels, rtol=1e-12, atol=1e-16)


def test_softplus_gradient_at_zero_is_one_half():
    # (where on x >= 0, as TensorFlow writes it: relu and abs would both give 0 there)
    x = gc.placeholder(gc.float64, (3,))
    (grad,) = gc.gradients(gc.reduce_sum(nn.softplus(x)), [x])
    loss = gc.reduce_sum(nn.sigmoid_cross_entropy_with_logits(labels=np.zeros(3), logits=x))
    (xent_grad,) = gc.gradients(loss, [x])
    with gc.Session(backend="numpy") as sess:
        for g in sess.run([grad, xent_grad], {x: [0.0, -0.0, 1.0]}):
            np.testing.assert_allclose(g, special.expit([0.0, 0.0, 1.0]), rtol=RTOL)


# -- TensorFlow's calling rules ------------------------------------------------------------
@pytest.mark.parametrize("fn", [nn.softmax_cross_entropy_with_logits,
                                nn.softmax_cross_entropy_with_logits_v2,
                                nn.sparse_softmax_cross_entropy_with_logits,
                                nn.sigmoid_cross_entropy_with_logits])
def test_labels_and_logits_are_keyword_only(fn):
    labels, x = np.zeros((2, 3)), gc.placeholder(gc.float64, (2, 3))
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"Only call `{name}` with named arguments "
                                         r"\(labels=\.\.\., logits=\.\.\., \.\.\.\)"):
        fn(labels, x)
    with pytest.raises(ValueError, match="both labels and logits must be provided"):
        fn(logits=x)


def test_shape_and_type_errors_are_clear():
    x = gc.placeholder(gc.float64, (None, None))
    with pytest.raises(ValueError, match=r"number of classes .* must be known when the graph "
                                         r"is built; logits have shape \(None, None\)"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=gc.placeholder(gc.int64, (None,)),
                                                    logits=x)
    x = gc.placeholder(gc.float64, (None, 5))
    with pytest.raises(TypeError, match="labels must be integer class indices"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=gc.placeholder(gc.float64, (None,)),
                                                    logits=x)
    with pytest.raises(ValueError, match="labels must have the shape of logits without"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=gc.placeholder(gc.int64, (3, 2)),
                                                    logits=x)
    with pytest.raises(ValueError, match="labels and logits must have the same shape"):
        nn.softmax_cross_entropy_with_logits_v2(labels=gc.placeholder(gc.float64, (None, 4)),
                                                logits=x)


# -- dropout -------------------------------------------------------------------------------
def test_dropout_keep_prob_one_is_the_identity():
    x = rng.standard_normal((5, 6))
    np.testing.assert_array_equal(run_graph(lambda t: nn.dropout(t, 1.0), x), x)
    np.testing.assert_array_equal(run_graph(lambda t: nn.dropout(t, rate=0.0), x), x)
    np.testing.assert_array_equal(run_eager(lambda t: nn.dropout(t, keep_prob=1), x), x)
    # TF1's idiom: keep_prob a placeholder, fed 1.0 at evaluation time (float32 for a float64 x)
    t, keep = gc.placeholder(gc.float64, x.shape), gc.placeholder(gc.float32, ())
    out = nn.dropout(t, keep)
    with gc.Session(backend="numpy") as sess:
        np.testing.assert_array_equal(sess.run(out, {t: x, keep: 1.0}), x)
        dropped = sess.run(out, {t: x, keep: 0.5})
    assert 0 < np.count_nonzero(dropped) < x.size


@pytest.mark.parametrize("mode", ["graph", "eager", "numba"])
@pytest.mark.parametrize("keep_prob", [0.3, 0.8])
def test_dropout_keeps_the_right_fraction_scaled_by_one_over_keep_prob(mode, keep_prob):
    x = rng.uniform(1.0, 2.0, 100_000)  # no zeros: a zero in the output was dropped
    rate = 1 - keep_prob
    if mode == "eager":
        ge.manual_seed(5)
        out, scale = run_eager(lambda t: nn.dropout(t, keep_prob), x), keep_prob
    else:  # given as TF2's rate: kept values are divided by 1 - rate
        out = run_graph(lambda t: nn.dropout(t, rate=rate, seed=11), x,
                        backend="numba" if mode == "numba" else "numpy")
        scale = 1 - rate
    kept = out != 0
    assert abs(kept.mean() - keep_prob) < 0.01 * keep_prob
    np.testing.assert_array_equal(out[kept], x[kept] / scale)


def test_dropout_draws_anew_each_run_and_follows_seeds_and_noise_shape():
    x = np.ones((200, 50))
    t = gc.placeholder(gc.float64, x.shape)
    out = nn.dropout(t, 0.5, seed=3)
    with gc.Session(backend="numpy") as sess:
        first, second = sess.run(out, {t: x}), sess.run(out, {t: x})
    assert (first != second).any()
    shared = run_graph(lambda v: nn.dropout(v, 0.5, noise_shape=(200, 1)), x)
    assert ((shared == 0).all(axis=1) | (shared == 2).all(axis=1)).all()  # whole rows
    a = run_eager(lambda v: nn.dropout(v, 0.5, seed=9), x)
    np.testing.assert_array_equal(a, run_eager(lambda v: nn.dropout(v, 0.5, seed=9), x))


def test_dropout_errors():
    x = gc.placeholder(gc.float32, (4, 4))
    with pytest.raises(ValueError, match="exactly one of keep_prob"):
        nn.dropout(x)
    with pytest.raises(ValueError, match="exactly one of keep_prob"):
        nn.dropout(x, 0.5, rate=0.5)
    with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\]"):
        nn.dropout(x, 0.0)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match=r"noise_shape \(None, 2\) has dims known only at run "
                                         r"time; each must then be 1 or x's own dim"):
        nn.dropout(gc.placeholder(gc.float32, (None, 4)), 0.5, noise_shape=[None, 2])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_dropout_of_a_batch_of_unknown_size_draws_its_mask_at_run_time(backend):
    x = gc.placeholder(gc.float64, (None, 50))
    keep_prob = gc.placeholder(gc.float64, ())
    dropped = nn.dropout(x, keep_prob, seed=3)
    with gc.Session(backend=backend) as sess:
        for rows in (400, 7):  # each run draws a mask of the batch it is fed
            value = np.random.default_rng(rows).uniform(1, 2, (rows, 50))
            first = sess.run(dropped, {x: value, keep_prob: 0.8})
            kept = first != 0
            assert first.shape == (rows, 50)
            np.testing.assert_array_equal(first[kept], value[kept] / 0.8)
            second = sess.run(dropped, {x: value, keep_prob: 0.8})
            assert not np.array_equal(second != 0, kept)  # a new mask each run
        value = np.random.default_rng(0).uniform(1, 2, (2000, 50))
        fraction = (sess.run(dropped, {x: value, keep_prob: 0.8}) != 0).mean()
        assert abs(fraction - 0.8) < 0.01  # 1e5 draws: the standard error is 0.0013
        np.testing.assert_array_equal(sess.run(dropped, {x: value, keep_prob: 1.0}), value)


# -- gc.nn.functional (PyTorch) ------------------------------------------------------------
def ref_nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """PyTorch's nll_loss, written out per element (class dimension 1)."""
    logp = np.moveaxis(logp, 1, -1) if logp.ndim > 1 else logp[None]
    target = np.atleast_1d(target)
    weight = np.ones(logp.shape[-1]) if weight is None else weight
    losses, weights = np.zeros(target.shape), np.zeros(target.shape)
    for index in np.ndindex(target.shape):
        c = target[index]
        if c != ignore_index:
            weights[index] = weight[c]
            losses[index] = -weight[c] * logp[index][c]
    if reduction == "mean":
        return losses.sum() / weights.sum()
    return losses.sum() if reduction == "sum" else losses


def test_functional_softmax_and_log_softmax():
    x = LOGITS3
    for dim in (0, 1, -1):
        np.testing.assert_allclose(both_modes(lambda t, dim=dim: F.softmax(t, dim), x),
                                   ref_softmax(x, dim), rtol=RTOL)
        np.testing.assert_allclose(both_modes(lambda t, d=dim: F.log_softmax(t, dim=d), x),
                                   ref_log_softmax(x, dim), rtol=RTOL)
    with pytest.raises(ValueError, match="give dim"):
        F.softmax(ge.tensor(x))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_functional_cross_entropy_and_nll_loss(reduction):
    target = np.array([2, 0, 6, 6])
    value = both_modes(lambda t: F.cross_entropy(t, target, reduction=reduction), LOGITS)
    reference = ref_nll(ref_log_softmax(LOGITS, 1), target, reduction=reduction)
    np.testing.assert_allclose(value, reference, rtol=RTOL)
    if reduction == "mean":  # the mean of TF's per-example losses
        np.testing.assert_allclose(value, ref_sparse_xent(target, LOGITS).mean(), rtol=RTOL)
    logp = ref_log_softmax(LOGITS, 1)
    np.testing.assert_allclose(both_modes(lambda t: F.nll_loss(t, target, reduction=reduction),
                                          logp), reference, rtol=RTOL)
    # weights and ignore_index
    weight, ignored = rng.uniform(0.5, 2, 7), np.array([2, -100, 6, 1])
    value = both_modes(lambda t, w: F.cross_entropy(t, ignored, weight=w, reduction=reduction),
                       LOGITS, weight)
    np.testing.assert_allclose(value, ref_nll(logp, ignored, weight, reduction=reduction),
                               rtol=RTOL)
    value = both_modes(lambda t: F.nll_loss(t, target, ignore_index=6, reduction=reduction),
                       logp)
    np.testing.assert_allclose(value, ref_nll(logp, target, ignore_index=6,
                                              reduction=reduction), rtol=RTOL)
    # (N, C, d) input: classes on dim 1
    target3 = np.array([[0, 2, 1, 1, 0], [2, 2, 0, 1, 2]])
    value = both_modes(lambda t: F.cross_entropy(t, target3, reduction=reduction), LOGITS3)
    np.testing.assert_allclose(value, ref_nll(ref_log_softmax(LOGITS3, 1), target3,
                                              reduction=reduction), rtol=RTOL)
    # class probabilities as the target
    probs = distributions(4, 7)
    value = both_modes(lambda t, p: F.cross_entropy(t, p, reduction=reduction), LOGITS, probs)
    per_example = ref_softmax_xent(probs, LOGITS)
    expected = {"mean": per_example.mean(), "sum": per_example.sum(), "none": per_example}
    np.testing.assert_allclose(value, expected[reduction], rtol=RTOL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_functional_binary_cross_entropy_with_logits(reduction):
    x, z = rng.standard_normal((3, 4)) * 5, rng.uniform(0, 1, (3, 4))
    weight, pos_weight = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 3, 4)
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    value = both_modes(lambda t, y: F.binary_cross_entropy_with_logits(
        t, y, reduction=reduction), x, z)
    np.testing.assert_allclose(value, reduce(ref_sigmoid_xent(z, x)), rtol=RTOL)
    value = both_modes(lambda t, y, w, p: F.binary_cross_entropy_with_logits(
        t, y, weight=w, reduction=reduction, pos_weight=p), x, z, weight, pos_weight)
    reference = -weight * (pos_weight * z * special.log_expit(x)
                           + (1 - z) * special.log_expit(-x))
    np.testing.assert_allclose(value, reduce(reference), rtol=RTOL)
    with pytest.raises(ValueError, match="reduction must be"):
        F.binary_cross_entropy_with_logits(ge.tensor(x), ge.tensor(z), reduction="max")


# -- the namespace -------------------------------------------------------------------------
def test_tf_and_pytorch_names_live_side_by_side():
    assert len(set(nn.__all__)) == len(nn.__all__)
    for name in ("Linear", "ReLU", "MSELoss", "Sequential", "Module", "Parameter"):
        assert isinstance(getattr(nn, name), type)
    assert gc.nn.softmax_cross_entropy_with_logits is nn.tf_functions.\
        softmax_cross_entropy_with_logits
    x = gc.placeholder(gc.float32, (2, 3))
    assert nn.relu(x).node.op == F.relu(x).node.op == gc.relu(x).node.op == "relu"
    assert nn.ReLU()(x).node.op == "relu"


# -- a TensorFlow 1 program ----------------------------------------------------------------
@pytest.mark.parametrize("labels", ["dense", "sparse"])
def test_tf1_classifier_step_runs_natively_on_numba_and_learns(labels, monkeypatch):
    """The softmax classifier of TF1 tutorials, unchanged but for `import graphc as tf`."""
    tf = gc
    # FallbackWarnings are given once per op and process: forget earlier ones
    monkeypatch.setattr(runtime_backend, "_warned", set())
    data_rng = np.random.default_rng(0)
    x_value = data_rng.standard_normal((64, 20)).astype(np.float32)
    classes = np.argmax(x_value @ data_rng.standard_normal((20, 10)), axis=1)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=(None, 20))
        w = tf.Variable(tf.zeros((20, 10)))
        b = tf.Variable(tf.zeros((10,)))
        logits = tf.nn.bias_add(tf.matmul(x, w), b)
        assert logits.shape == (None, 10)
        if labels == "dense":
            y = tf.placeholder(tf.float32, shape=(None, 10))
            y_value = np.eye(10, dtype=np.float32)[classes]
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y,
                                                                              logits=logits))
        else:
            y = tf.placeholder(tf.int64, shape=(None,))
            y_value = classes
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits))
        grad_w, grad_b = tf.gradients(loss, [w, b])
        train = tf.group(w.assign_sub(0.5 * grad_w), b.assign_sub(0.5 * grad_b))
        with warnings.catch_warnings():
            warnings.simplefilter("error", runtime_backend.FallbackWarning)
            with tf.Session(backend="numba") as sess:
                sess.run(tf.global_variables_initializer())
                losses = [sess.run([loss, train], {x: x_value, y: y_value})[0]
                          for _ in range(30)]
    assert losses[0] == pytest.approx(np.log(10), rel=1e-6)  # zero weights: uniform
    assert losses[-1] < 0.5 * losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:]))


# -- CUDA (numba's CUDA simulator here; the GPU where there is one) ------------------------
def test_cuda_graph_and_eager_match_the_numpy_backend_with_no_fallback(monkeypatch):
    monkeypatch.setattr(runtime_backend, "_warned", set())
    x = gc.placeholder(gc.float64, (None, 6))
    y = gc.placeholder(gc.float64, (None, 6))
    s = gc.placeholder(gc.int64, (None,))
    outs = [nn.softmax(x), nn.log_softmax(x),
            nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x),
            nn.sparse_softmax_cross_entropy_with_logits(labels=s, logits=x),
            nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x), nn.l2_loss(x),
            reduce_logsumexp(x, 1), nn.bias_add(x, np.arange(6.0))]
    loss = sum(gc.reduce_sum(out) for out in outs[2:5]) + gc.reduce_sum(outs[6])
    outs += gc.gradients(loss, [x, y])
    feed = {x: rng.standard_normal((4, 6)) * 100, y: rng.uniform(size=(4, 6)),
            s: np.array([0, 5, 2, 3])}
    with gc.Session(backend="numpy") as sess:
        expected = sess.run(outs, feed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", runtime_backend.FallbackWarning)
        with gc.Session(device="cuda") as sess:
            got = sess.run(outs, feed)
        logits = ge.tensor(feed[x], device="cuda", requires_grad=True)
        eager = nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 5, 2, 3], logits=logits)
        eager.sum().backward()
        dropped = nn.dropout(logits, 0.5)
    for value, reference in zip(got, expected, strict=True):
        np.testing.assert_allclose(value, reference, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(eager.detach().cpu().numpy(), expected[3], rtol=1e-12)
    assert logits.grad.device == dropped.device == "cuda"
