"""gc.nn's loss modules (graphc/nn/losses.py) and their nn.functional functions.

Values: each loss against a numpy reference written from PyTorch's documented definition
(not from graphc's formula: np.where on |d| for smooth L1, np.log with PyTorch's clamp for
BCE, scipy's log_expit for the logit losses, smoothed one-hot targets for cross entropy), in
float64, in graph mode (placeholders, a Session on the numpy backend) and eagerly, for each
reduction. RTOL = 1e-10: the two computations differ in association and in how the logs are
formed, which costs a few ulps times the condition of the sum (< 1e-14 on these inputs);
1e-10 is the project's float64 bar and leaves room for a different summation order.
Gradients: central finite differences in float64 with gc.test.check_gradients, rtol 1e-6 and
atol 1e-8 (h = 1e-6 leaves a truncation error of ~h^2 |f'''| ~ 1e-12 and a rounding error of
~1e-16 / h ~ 1e-10), with inputs kept away from the kinks (|d| = beta, d = 0).
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
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(7)


def reduce(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


# -- numpy references ----------------------------------------------------------------------
def ref_l1(x, y):
    return np.abs(x - y)


def ref_smooth_l1(x, y, beta=1.0):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)


def ref_bce(x, y):
    with np.errstate(divide="ignore"):  # PyTorch clamps log(0) = -inf to -100
        return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))


def ref_bce_logits(x, y, pos_weight=1.0):
    return -(pos_weight * y * special.log_expit(x) + (1 - y) * special.log_expit(-x))


def ref_log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_class_loss(log_p, target, weight=None, ignore_index=-100, smoothing=0.0,
                   reduction="mean"):
    """-sum_c w_c q_c log p_c per example, q the one-hot target smoothed to (1 - e) q + e / C;
    ignored targets give 0; "mean" divides by the summed weight w[target] of the others."""
    classes = log_p.shape[1]
    weight = np.ones(classes) if weight is None else weight
    valid = target != ignore_index
    hot = np.moveaxis(np.eye(classes)[np.where(valid, target, 0)], -1, 1)
    q = (1 - smoothing) * hot + smoothing / classes
    shape = (1, classes) + (1,) * (log_p.ndim - 2)
    losses = -(weight.reshape(shape) * q * log_p).sum(axis=1) * valid
    if reduction == "mean":
        return losses.sum() / (weight[np.where(valid, target, 0)] * valid).sum()
    return reduce(losses, reduction)


# -- inputs --------------------------------------------------------------------------------
X, Y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
# differences kept 0.05 or more away from 0 and from beta = 1, the kinks of |d| and smooth L1
D = rng.uniform(0.05, 0.95, (4, 5)) * rng.choice([-1, 1], (4, 5))
D[::2] *= 3  # half beyond beta (|d| >= 1.15 > 1)
PROBS, BITS = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
LOGITS = rng.standard_normal((5, 4)) * 3
TARGET = np.array([3, 0, 1, 3, 2])
LOGITS3, TARGET3 = rng.standard_normal((2, 4, 3)) * 3, np.array([[0, 3, 1], [2, 2, 0]])
WEIGHT = rng.uniform(0.5, 2, 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_and_smooth_l1(reduction):
    for module, reference in [
            (nn.L1Loss(reduction), ref_l1),
            (nn.SmoothL1Loss(reduction), ref_smooth_l1),
            (nn.SmoothL1Loss(reduction, beta=0.5), lambda x, y: ref_smooth_l1(x, y, 0.5)),
            (nn.MSELoss(reduction), lambda x, y: (x - y) ** 2)]:
        check_both_modes(module, lambda x, y, r=reference: reduce(r(x, y), reduction),
                         X, X + D)
    # beta = 0 is the L1 loss (PyTorch's rule; d^2 / (2 beta) would divide by 0)
    check_both_modes(lambda x, y: F.smooth_l1_loss(x, y, reduction, beta=0.0),
                     lambda x, y: reduce(ref_l1(x, y), reduction), X, Y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    check_both_modes(nn.BCELoss(reduction=reduction),
                     lambda x, y: reduce(ref_bce(x, y), reduction), PROBS, BITS)
    weight = rng.uniform(0.5, 2, 4)  # broadcast along the rows
    check_both_modes(nn.BCELoss(weight, reduction),
                     lambda x, y: reduce(ref_bce(x, y) * weight, reduction), PROBS, BITS)


def test_binary_cross_entropy_clamps_its_logs_at_minus_100():
    x, y = np.array([0.0, 1.0, 0.0, 1.0, 1e-60]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    check_both_modes(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"), ref_bce,
                     x, y)
    np.testing.assert_array_equal(ref_bce(x, y), [100, 100, 0, 0, 100])
    t = ge.tensor(x, requires_grad=True)
    F.binary_cross_entropy(t, ge.tensor(y), reduction="sum").backward()
    # where a log is clamped its gradient is 0, not NaN; elsewhere the derivative of the
    # unclamped log (at x = 0, y = 0: d/dx -log(1 - x) = 1; PyTorch's closed form
    # (x - y) / max(x (1 - x), 1e-12) gives 0 there)
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 1.0, -1.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_module(reduction):
    x = np.concatenate([LOGITS[:3], [[-1000.0, 1000.0, -40.0, 40.0]]])  # finite at any size
    y = rng.uniform(0, 1, x.shape)
    check_both_modes(nn.BCEWithLogitsLoss(reduction=reduction),
                     lambda a, b: reduce(ref_bce_logits(a, b), reduction), x, y)
    pos_weight, weight = rng.uniform(0.5, 3, 4), rng.uniform(0.5, 2, x.shape)
    check_both_modes(nn.BCEWithLogitsLoss(weight, reduction, pos_weight),
                     lambda a, b: reduce(ref_bce_logits(a, b, pos_weight) * weight, reduction),
                     x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_cross_entropy_modules(reduction):
    log_p = ref_log_softmax(LOGITS)
    for weight, ignore in [(None, -100), (WEIGHT, 3)]:
        expected = ref_class_loss(log_p, TARGET, weight, ignore, reduction=reduction)
        nll, xent = nn.NLLLoss(weight, ignore, reduction), \
            nn.CrossEntropyLoss(weight, ignore, reduction)
        check_both_modes(lambda t, f=nll: f(t, TARGET), lambda t, e=expected: e, log_p)
        check_both_modes(lambda t, f=xent: f(t, TARGET), lambda t, e=expected: e, LOGITS)
    # classes on dim 1 of an (N, C, d) input
    check_both_modes(lambda t: nn.CrossEntropyLoss(reduction=reduction)(t, TARGET3),
                     lambda t: ref_class_loss(ref_log_softmax(t), TARGET3,
                                              reduction=reduction), LOGITS3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_cross_entropy_label_smoothing(reduction, weighted):
    weight = WEIGHT if weighted else None
    target = np.array([3, 0, -100, 3, 2])  # one ignored target: it counts for nothing
    loss = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=0.2)
    check_both_modes(lambda t: loss(t, target),
                     lambda t: ref_class_loss(ref_log_softmax(t), target, weight,
                                              smoothing=0.2, reduction=reduction), LOGITS)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probabilities_weight_and_smoothing(reduction):
    q = rng.uniform(0.1, 1, LOGITS.shape)
    q /= q.sum(axis=1, keepdims=True)

    def reference(t, p, smoothing=0.0, weight=1.0):
        p = (1 - smoothing) * p + smoothing / 4
        return reduce(-(weight * p * ref_log_softmax(t)).sum(axis=1), reduction)

    check_both_modes(nn.CrossEntropyLoss(reduction=reduction), reference, LOGITS, q)
    check_both_modes(nn.CrossEntropyLoss(WEIGHT, reduction=reduction, label_smoothing=0.3),
                     lambda t, p: reference(t, p, 0.3, WEIGHT), LOGITS, q)


def test_cross_entropy_of_huge_logits_is_finite():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    value = run_eager(lambda t: F.cross_entropy(t, np.array([1, 2]), reduction="none"), x)
    np.testing.assert_allclose(value, [2000.0, 1 + np.log1p(np.exp(-1))], rtol=RTOL)


# -- gradients -----------------------------------------------------------------------------
GRADIENT_CASES = {
    "l1": (nn.L1Loss(), [X, X + D]),
    "l1-sum": (nn.L1Loss("sum"), [X, X + D]),
    "smooth_l1": (nn.SmoothL1Loss(), [X, X + D]),
    "smooth_l1-beta": (nn.SmoothL1Loss("none", beta=1.5), [X, X + D * 1.5]),
    "bce": (nn.BCELoss(), [PROBS, BITS]),
    "bce-weight": (nn.BCELoss(rng.uniform(0.5, 2, 4), "sum"), [PROBS, BITS]),
    "bce_logits": (nn.BCEWithLogitsLoss(pos_weight=rng.uniform(0.5, 3, 4)), [LOGITS[:3], BITS]),
    "nll": (lambda t: nn.NLLLoss(WEIGHT)(t, TARGET), [ref_log_softmax(LOGITS)]),
    "cross_entropy": (lambda t: nn.CrossEntropyLoss()(t, TARGET), [LOGITS]),
    "cross_entropy-3d": (lambda t: nn.CrossEntropyLoss(reduction="none")(t, TARGET3), [LOGITS3]),
    "cross_entropy-smoothing": (lambda t: nn.CrossEntropyLoss(
        WEIGHT, ignore_index=0, label_smoothing=0.1)(t, TARGET), [LOGITS]),
    "cross_entropy-probabilities": (nn.CrossEntropyLoss(label_smoothing=0.1),
                                    [LOGITS, rng.uniform(0, 1, LOGITS.shape)]),
}


@pytest.mark.parametrize("mode", ["graph", "eager"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_against_finite_differences(case, mode):
    fn, inputs = GRADIENT_CASES[case]
    gc.test.check_gradients(fn, inputs, mode=mode, rtol=1e-6, atol=1e-8)


def test_a_loss_trains_a_model_in_a_graph_of_unknown_batch():
    x = gc.placeholder(gc.float64, (None, 4))
    y = gc.placeholder(gc.int64, (None,))
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(x * 2, y)
    assert loss.shape == ()
    with gc.Session(backend="numpy") as sess:
        value = sess.run(loss, {x: LOGITS, y: TARGET})
    np.testing.assert_allclose(value, ref_class_loss(ref_log_softmax(2 * LOGITS), TARGET,
                                                     smoothing=0.1), rtol=RTOL)


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [nn.L1Loss, nn.SmoothL1Loss, nn.BCELoss, nn.BCEWithLogitsLoss,
                                  nn.NLLLoss, nn.CrossEntropyLoss, nn.MSELoss])
def test_a_bad_reduction_is_refused_by_module_and_function(make):
    name = make.__name__
    with pytest.raises(ValueError, match=f"{name}: reduction must be 'mean', 'sum' or 'none', "
                                         "not 'max'"):
        make(reduction="max")


@pytest.mark.parametrize("function,args", [
    (F.l1_loss, (X, Y)), (F.smooth_l1_loss, (X, Y)), (F.binary_cross_entropy, (PROBS, BITS)),
    (F.nll_loss, (LOGITS, TARGET)), (F.cross_entropy, (LOGITS, TARGET))])
def test_a_bad_reduction_is_refused_by_the_function(function, args):
    with pytest.raises(ValueError, match=f"{function.__name__}: reduction must be 'mean', "
                                         "'sum' or 'none', not 'avg'"):
        function(*[ge.tensor(a) for a in args], reduction="avg")


def test_error_messages():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target size \(3, 1\) must be "
                                         r"the same as input size \(3,\)"):
        F.binary_cross_entropy(ge.tensor(np.full(3, 0.5)), ge.tensor(np.ones((3, 1))))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target size "
                                         r"\(None, 2\) must be the same as input size "
                                         r"\(None, 3\)"):
        nn.BCEWithLogitsLoss()(gc.placeholder(gc.float32, (None, 3)),
                               gc.placeholder(gc.float32, (None, 2)))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: all elements of input should "
                                         r"be between 0 and 1; input \(shape \(2,\), float64\) "
                                         r"holds values from -0.5 to 1.5"):
        nn.BCELoss()(ge.tensor(np.array([-0.5, 1.5])), ge.tensor(np.ones(2)))
    with pytest.raises(ValueError, match="holds values from nan to nan"):
        nn.BCELoss()(ge.tensor(np.array([0.5, np.nan])), ge.tensor(np.ones(2)))
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be non-negative, got -1"):
        nn.SmoothL1Loss(beta=-1)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative, got -0.5"):
        F.smooth_l1_loss(ge.tensor(X), ge.tensor(Y), beta=-0.5)
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must be between 0 "
                                         "and 1, got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing must be between 0 and "
                                         "1, got -0.1"):
        F.cross_entropy(ge.tensor(LOGITS), TARGET, label_smoothing=-0.1)
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices \\(an integer "
                                        "tensor\\), not float64"):
        nn.NLLLoss()(ge.tensor(LOGITS), ge.tensor(LOGITS[:, 0]))
    with pytest.raises(ValueError, match=r"cross_entropy: target must have input's shape "
                                         r"without the class dimension 1, \(5,\); got \(4,\)"):
        nn.CrossEntropyLoss()(ge.tensor(LOGITS), TARGET[:4])
    with pytest.raises(ValueError, match=r"cross_entropy: the number of classes \(logits' "
                                         r"dimension 1\) must be known"):
        nn.CrossEntropyLoss()(gc.placeholder(gc.float32, (4, None)),
                              gc.placeholder(gc.int64, (4,)))


def test_reprs_follow_pytorch():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.L1Loss("sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.BCEWithLogitsLoss()) == "BCEWithLogitsLoss()"


# soak: compiling these graphs' kernels with numba takes ~40 s on two cores
@pytest.mark.soak
def test_every_loss_runs_natively_on_numba_and_matches_the_numpy_backend(monkeypatch):
    """No op of the losses falls back to its numpy reference on numba, and the values and
    gradients agree with the numpy backend to 1e-12 (same float64 formulas; the kernels may
    associate sums differently)."""
    import warnings

    from graphc.runtime import backend as runtime_backend

    monkeypatch.setattr(runtime_backend, "_warned", set())
    x, p = gc.placeholder(gc.float64, (None, 4)), gc.placeholder(gc.float64, (None, 4))
    y, z = gc.placeholder(gc.int64, (None,)), gc.placeholder(gc.float64, (None, 4))
    outs = [nn.L1Loss()(x, z), nn.SmoothL1Loss(beta=0.5)(x, z), nn.BCELoss()(p, z),
            nn.BCEWithLogitsLoss(pos_weight=np.full(4, 2.0))(x, z),
            nn.CrossEntropyLoss(WEIGHT, label_smoothing=0.1)(x, y),
            nn.NLLLoss(reduction="none")(nn.LogSoftmax(1)(x), y)]
    outs += gc.gradients(sum(gc.reduce_sum(o) for o in outs), [x, p, z])
    feed = {x: LOGITS, p: rng.uniform(0.05, 0.95, (5, 4)), y: TARGET,
            z: rng.uniform(0, 1, (5, 4))}
    with gc.Session(backend="numpy") as sess:
        expected = sess.run(outs, feed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", runtime_backend.FallbackWarning)
        with gc.Session(backend="numba") as sess:
            got = sess.run(outs, feed)
    for value, reference in zip(got, expected, strict=True):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


def test_a_loss_module_made_with_eager_tensors_works_in_a_graph():
    """Settings given as eager tensors (PyTorch's way) are constants in a graph."""
    xent = nn.CrossEntropyLoss(ge.tensor(WEIGHT))
    bce = nn.BCEWithLogitsLoss(ge.tensor(np.full(4, 2.0)), pos_weight=ge.tensor(WEIGHT))
    bits = rng.uniform(0, 1, LOGITS.shape)
    for fn, expected in [
            (lambda t, b: xent(t, TARGET), ref_class_loss(ref_log_softmax(LOGITS), TARGET,
                                                          WEIGHT)),
            (bce, np.mean(2 * ref_bce_logits(LOGITS, bits, WEIGHT)))]:
        check_both_modes(fn, lambda t, b, e=expected: e, LOGITS, bits)
