"""The PyTorch losses on careless inputs, as PyTorch answers them: class indices out of
range, a float target of the wrong shape, class weights of the wrong length, a target that
broadcasts against the input; and nn.Parameter's dtype rule."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc import nn
from graphc.nn import functional as F

LOGITS = np.random.default_rng(5).standard_normal((4, 3))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("target, bad", [([0, 1, 2, 3], 3), ([0, -1, 2, 1], -1),
                                         ([0, 1, 7, -100], 7)])
def test_class_indices_out_of_range_raise_as_pytorch(loss, target, bad):
    """PyTorch: 'Target 3 is out of bounds.' (graphc used to count them as ignored)."""
    with pytest.raises(IndexError, match=f"{loss.__name__}: Target {bad} is out of bounds: "
                                         r"class indices must be in 0\.\.2 \(or "
                                         r"ignore_index, -100\)"):
        loss(ge.tensor(LOGITS), ge.tensor(target))


def test_ignore_index_is_the_only_index_outside_the_classes():
    x = ge.tensor(LOGITS, dtype=ge.float64)
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    got = F.cross_entropy(x, ge.tensor([0, 5, 2, 1]), ignore_index=5).item()
    assert abs(got - -(log_p[0, 0] + log_p[2, 2] + log_p[3, 1]) / 3) < 1e-12
    with pytest.raises(IndexError, match="Target -100 is out of bounds"):
        F.cross_entropy(x, ge.tensor([0, -100, 2, 1]), ignore_index=5)
    nn.CrossEntropyLoss(ignore_index=-1)(x, ge.tensor([0, -1, 2, 1]))


def test_graphs_do_not_check_indices_at_run_time():
    """A graph's targets are known only when fed: there an index out of range counts for
    nothing (documented), and building the loss does not fail."""
    g = gc.Graph()
    with g.as_default():
        x = gc.placeholder(gc.float64, (None, 3))
        t = gc.placeholder(gc.int64, (None,))
        loss = F.cross_entropy(x, t, reduction="sum")
        with gc.Session() as sess:
            got = sess.run(loss, {x: LOGITS, t: [0, 1, 2, 9]})
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    assert abs(got - -(log_p[0, 0] + log_p[1, 1] + log_p[2, 2])) < 1e-12


def test_a_float_target_of_another_shape_is_refused_clearly():
    with pytest.raises(ValueError, match=r"cross_entropy: a floating-point target holds class "
                                         r"probabilities and must have input's shape \(4, 3\), "
                                         r"got \(4,\); class indices must be an integer "
                                         r"tensor \(target.long\(\)\)"):
        F.cross_entropy(ge.tensor(LOGITS), ge.tensor([0.0, 1.0, 2.0, 1.0]))


@pytest.mark.parametrize("target", [[0, 1, 2, 1], np.full((4, 3), 1 / 3)])
def test_class_weights_of_the_wrong_length_are_refused(target):
    with pytest.raises(ValueError, match=r"weight should be defined either for all 3 classes "
                                         r"or no classes, but got weight of shape \(2,\)"):
        F.cross_entropy(ge.tensor(LOGITS), ge.tensor(target), weight=ge.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="for all 3 classes"):
        nn.NLLLoss(weight=[1.0, 2.0, 3.0, 4.0])(ge.tensor(LOGITS), ge.tensor([0, 1, 2, 1]))


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(),
                                  nn.SmoothL1Loss(beta=0.0)])
def test_a_target_that_broadcasts_warns_as_pytorch(loss):
    """(N, 1) predictions against (N,) targets broadcast to (N, N): PyTorch warns."""
    with pytest.warns(UserWarning, match=r"Using a target size \(4,\) that is different to "
                                         r"the input size \(4, 1\)\. This will likely lead "
                                         "to incorrect results due to broadcasting"):
        loss(ge.zeros(4, 1), ge.ones(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(ge.zeros(4, 1), ge.ones(4, 1))
        loss(ge.zeros(4), 1.0)


def test_a_parameter_must_be_floating_point_to_require_grad():
    with pytest.raises(RuntimeError, match="only floating-point tensors can require "
                                           "gradients, not int64"):
        nn.Parameter(ge.tensor([1, 2]))
    assert nn.Parameter(ge.tensor([1, 2]), requires_grad=False).dtype == ge.int64


def test_the_deprecated_size_average_and_reduce_map_to_reduction_with_pytorchs_warning():
    from graphc.nn import functional as F
    x, y = ge.randn(4, 3), ge.tensor([0, 1, 2, 1])
    cases = [(dict(size_average=False), "sum"), (dict(reduce=False), "none"),
             (dict(size_average=True), "mean"), (dict(size_average=False, reduce=False), "none")]
    for legacy, reduction in cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = F.cross_entropy(x, y, **legacy)
            module = nn.NLLLoss(**legacy)(F.log_softmax(x, 1), y)
        assert [str(w.message) for w in caught] == [
            f"size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead."] * 2
        assert caught[0].filename == __file__
        np.testing.assert_array_equal(got.numpy(), F.cross_entropy(x, y, reduction=reduction)
                                      .numpy())
        np.testing.assert_array_equal(module.numpy(), got.numpy())
