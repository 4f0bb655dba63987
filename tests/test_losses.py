"""gc.losses (TensorFlow 1's tf.losses) against numpy in float64: every loss function, weights
(scalar, per example, with zeros), every Reduction (TensorFlow's default
SUM_BY_NONZERO_WEIGHTS: the weighted sum over the count of nonzero weights, 0 when there are
none), label smoothing, the losses collection and get_total_loss, gradients, TensorFlow's
errors; gc.layers.dense's variables, values, reuse and errors."""

import numpy as np
import pytest

import graphc as gc

rng = np.random.default_rng(3)
PRED = rng.standard_normal((6, 4))
LABELS = rng.standard_normal((6, 4))
LOGITS = rng.standard_normal((6, 5)) * 3
CLASSES = np.array([0, 4, 2, 2, 1, 3])
WEIGHTS = np.array([[1.0], [0.0], [2.5], [0.0], [0.5], [1.0]])  # (6, 1): per example
RTOL = 1e-10


def run(t, feeds=None):
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        return sess.run(t, feeds)


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def reduced(losses, weights=1.0):
    """TensorFlow 1's SUM_BY_NONZERO_WEIGHTS in numpy."""
    w = np.broadcast_to(weights, losses.shape)
    count = np.count_nonzero(w)
    return 0.0 if count == 0 else float((losses * w).sum() / count)


ELEMENTWISE = {
    "mean_squared_error": (gc.losses.mean_squared_error, lambda p, z: (p - z) ** 2),
    "absolute_difference": (gc.losses.absolute_difference, lambda p, z: np.abs(p - z)),
    "huber_loss": (gc.losses.huber_loss, lambda p, z: np.where(
        np.abs(p - z) <= 1.0, 0.5 * (p - z) ** 2, np.abs(p - z) - 0.5)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("weights", [1.0, 0.25, WEIGHTS], ids=["one", "scalar", "per-example"])
def test_regression_losses(name, weights):
    function, reference = ELEMENTWISE[name]
    loss = function(LABELS, gc.constant(PRED), weights=weights)
    assert loss.dtype == gc.float64 and loss.shape == ()
    np.testing.assert_allclose(run(loss), reduced(reference(PRED, LABELS), weights),
                               rtol=RTOL)


def test_huber_loss_with_delta_and_log_loss():
    np.testing.assert_allclose(
        run(gc.losses.huber_loss(LABELS, gc.constant(PRED), delta=0.3)),
        reduced(np.where(np.abs(PRED - LABELS) <= 0.3, 0.5 * (PRED - LABELS) ** 2,
                         0.3 * np.abs(PRED - LABELS) - 0.5 * 0.3 ** 2)), rtol=RTOL)
    p, z = 1 / (1 + np.exp(-PRED)), (LABELS > 0).astype(np.float64)
    expected = -z * np.log(p + 1e-7) - (1 - z) * np.log(1 - p + 1e-7)
    np.testing.assert_allclose(run(gc.losses.log_loss(z, gc.constant(p))), reduced(expected),
                               rtol=RTOL)


def test_hinge_and_sigmoid_cross_entropy():
    z = (LABELS > 0).astype(np.float64)
    np.testing.assert_allclose(run(gc.losses.hinge_loss(z, gc.constant(PRED))),
                               reduced(np.maximum(0, 1 - (2 * z - 1) * PRED)), rtol=RTOL)
    for smoothing in (0, 0.2):
        zs = z * (1 - smoothing) + 0.5 * smoothing
        expected = np.maximum(PRED, 0) - PRED * zs + np.log1p(np.exp(-np.abs(PRED)))
        loss = gc.losses.sigmoid_cross_entropy(z, gc.constant(PRED), weights=WEIGHTS,
                                               label_smoothing=smoothing)
        np.testing.assert_allclose(run(loss), reduced(expected, WEIGHTS), rtol=RTOL)


@pytest.mark.parametrize("smoothing", [0, 0.1])
def test_softmax_cross_entropy(smoothing):
    onehot = np.eye(5)[CLASSES]
    smoothed = onehot * (1 - smoothing) + smoothing / 5
    per_example = -(smoothed * log_softmax(LOGITS)).sum(axis=1)
    weights = WEIGHTS[:, 0]
    loss = gc.losses.softmax_cross_entropy(onehot, gc.constant(LOGITS), weights=weights,
                                           label_smoothing=smoothing)
    np.testing.assert_allclose(run(loss), reduced(per_example, weights), rtol=RTOL)


def test_sparse_softmax_cross_entropy_labels_as_vector_or_column():
    per_example = -log_softmax(LOGITS)[np.arange(6), CLASSES]
    logits = gc.placeholder(gc.float64, (None, 5))
    for labels in (CLASSES, CLASSES[:, None], gc.constant(CLASSES.astype(np.int64))):
        loss = gc.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        np.testing.assert_allclose(run(loss, {logits: LOGITS}), per_example.mean(), rtol=RTOL)
    # weights [batch, 1] (a tensor, an array or a list) are squeezed to the labels' shape,
    # as TensorFlow does
    for weights in (gc.constant(WEIGHTS), WEIGHTS, WEIGHTS.tolist()):
        loss = gc.losses.sparse_softmax_cross_entropy(CLASSES, logits, weights=weights)
        np.testing.assert_allclose(run(loss, {logits: LOGITS}),
                                   reduced(per_example, WEIGHTS[:, 0]), rtol=RTOL)


def test_every_reduction():
    R = gc.losses.Reduction
    losses = (PRED - LABELS) ** 2
    w = np.broadcast_to(WEIGHTS, losses.shape)
    expected = {R.NONE: losses * w, R.SUM: (losses * w).sum(),
                R.MEAN: (losses * w).sum() / w.sum(),
                R.SUM_OVER_BATCH_SIZE: (losses * w).sum() / losses.size,
                R.SUM_BY_NONZERO_WEIGHTS: (losses * w).sum() / np.count_nonzero(w)}
    for reduction, value in expected.items():
        loss = gc.losses.mean_squared_error(LABELS, gc.constant(PRED), weights=WEIGHTS,
                                            reduction=reduction)
        np.testing.assert_allclose(run(loss), value, rtol=RTOL)
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS
    with pytest.raises(ValueError, match="Invalid Reduction Key bogus."):
        gc.losses.mean_squared_error(LABELS, PRED, reduction="bogus")


def test_zero_weights_give_zero_not_nan():
    w = gc.placeholder(gc.float64, (6, 1))
    loss = gc.losses.absolute_difference(LABELS, gc.constant(PRED), weights=w)
    assert run(loss, {w: np.zeros((6, 1))}) == 0.0
    assert run(gc.losses.absolute_difference(LABELS, gc.constant(PRED), weights=0.0)) == 0.0
    mean = gc.losses.absolute_difference(LABELS, gc.constant(PRED), weights=w,
                                         reduction=gc.losses.Reduction.MEAN)
    assert run(mean, {w: np.zeros((6, 1))}) == 0.0


def test_unknown_batch_counts_at_run_time():
    p = gc.placeholder(gc.float64, (None, 4))
    loss = gc.losses.mean_squared_error(gc.constant(LABELS[:3]), p)
    np.testing.assert_allclose(run(loss, {p: PRED[:3]}), ((PRED[:3] - LABELS[:3]) ** 2).mean(),
                               rtol=RTOL)


def test_gradient_of_the_default_reduction():
    w = gc.Variable(PRED)
    loss = gc.losses.mean_squared_error(LABELS, w, weights=WEIGHTS)
    (grad,) = gc.gradients(loss, [w])
    wb = np.broadcast_to(WEIGHTS, PRED.shape)
    np.testing.assert_allclose(run(grad), 2 * (PRED - LABELS) * wb / np.count_nonzero(wb),
                               rtol=RTOL)


def test_float32_stays_float32():
    loss = gc.losses.sparse_softmax_cross_entropy(CLASSES, gc.constant(LOGITS, gc.float32))
    assert loss.dtype == gc.float32
    np.testing.assert_allclose(run(loss), (-log_softmax(LOGITS)[np.arange(6), CLASSES]).mean(),
                               rtol=1e-6)


def test_the_losses_collection_and_total_loss():
    a = gc.losses.mean_squared_error(LABELS, gc.constant(PRED))
    with gc.name_scope("extra"):
        b = gc.losses.absolute_difference(LABELS, gc.constant(PRED), loss_collection=None)
    assert gc.losses.get_losses() == [a]
    assert a.op.name == "mean_squared_error/value"
    gc.losses.add_loss(b)
    assert gc.losses.get_losses(scope="extra") == [b]
    total = gc.losses.get_total_loss()
    assert total.op.name == "total_loss"
    np.testing.assert_allclose(run(total), ((PRED - LABELS) ** 2).mean()
                               + np.abs(PRED - LABELS).mean(), rtol=RTOL)
    assert run(gc.losses.get_regularization_loss()) == 0.0


def test_get_total_loss_without_losses():
    with pytest.raises(ValueError, match="get_total_loss: no losses have been added"):
        gc.losses.get_total_loss()


def test_errors_name_the_function_and_shapes():
    with pytest.raises(ValueError, match=r"mean_squared_error: labels and predictions must "
                                         r"have the same shape; labels have shape \(6, 4\) "
                                         r"and predictions \(4, 6\)"):
        gc.losses.mean_squared_error(LABELS, gc.constant(PRED.T))
    with pytest.raises(ValueError, match=r"weights can not be broadcast to values. "
                                         r"values.rank=2. weights.rank=1. "
                                         r"values.shape=\(6, 4\). weights.shape=\(6,\)."):
        gc.losses.mean_squared_error(LABELS, gc.constant(PRED), weights=np.ones(6))
    with pytest.raises(TypeError, match="absolute_difference: predictions must be floating "
                                        "point, got int32"):
        gc.losses.absolute_difference([1, 2], gc.constant([1, 2]))
    with pytest.raises(ValueError, match="sparse_softmax_cross_entropy_with_logits: labels "
                                         "must have the shape of logits without the last"):
        gc.losses.sparse_softmax_cross_entropy(np.zeros((6, 2), np.int32), LOGITS)


# -- gc.layers.dense ----------------------------------------------------------------------------
def test_dense_makes_tensorflows_variables_and_computes_x_w_plus_b():
    x = gc.placeholder(gc.float64, (None, 4))
    h = gc.layers.dense(x, 3, activation=gc.nn.relu)
    out = gc.layers.dense(h, 2, use_bias=False, kernel_initializer=gc.ones_initializer(),
                          name="logits")
    names = [v.op.name for v in gc.trainable_variables()]
    assert names == ["dense/kernel", "dense/bias", "logits/kernel"]
    assert h.shape == (None, 3) and out.shape == (None, 2)
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        kernel, bias = sess.run(gc.trainable_variables()[:2])
        assert not bias.any()
        limit = np.sqrt(6 / (4 + 3))  # glorot_uniform
        assert np.all(np.abs(kernel) <= limit) and kernel.std() > 0
        got_h, got = sess.run([h, out], {x: PRED})
    np.testing.assert_allclose(got_h, np.maximum(PRED @ kernel + bias, 0), rtol=RTOL)
    np.testing.assert_allclose(got, got_h @ np.ones((3, 2)), rtol=RTOL)


def test_dense_names_layers_uniquely_and_reuses_by_name():
    x = gc.placeholder(gc.float32, (2, 3))
    gc.layers.dense(x, 4)
    gc.layers.dense(x, 4)
    gc.layers.dense(x, 4, name="shared")
    again = gc.layers.dense(x, 4, name="shared", reuse=True)
    names = [v.op.name for v in gc.global_variables()]
    assert names == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
                     "shared/kernel", "shared/bias"]
    assert again.op.name.startswith("shared")
    with pytest.raises(ValueError, match="Variable shared/kernel already exists"):
        gc.layers.dense(x, 4, name="shared")


def test_dense_on_rank_3_inputs_multiplies_the_last_axis():
    x = gc.placeholder(gc.float64, (None, 5, 4))
    y = gc.layers.dense(x, 2, kernel_initializer=gc.constant_initializer(0.5))
    assert y.shape == (None, 5, 2)
    data = rng.standard_normal((3, 5, 4))
    np.testing.assert_allclose(run(y, {x: data}), data @ np.full((4, 2), 0.5), rtol=RTOL)


def test_dense_errors():
    with pytest.raises(ValueError, match=r"dense: the last dimension of the inputs should be "
                                         r"defined .* shape \(2, None\)"):
        gc.layers.dense(gc.placeholder(gc.float32, (2, None)), 3)
    with pytest.raises(TypeError, match="dense: inputs must be floating point, got int32"):
        gc.layers.dense(gc.placeholder(gc.int32, (2, 3)), 3)
    with pytest.raises(ValueError, match="dense: units must be a positive integer, got 0"):
        gc.layers.dense(gc.placeholder(gc.float32, (2, 3)), 0)
