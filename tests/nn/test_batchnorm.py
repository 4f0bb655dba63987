"""Batch normalization: PyTorch's nn.BatchNorm1d / 2d and F.batch_norm (eagerly and in graphs),
Module buffers, TensorFlow's tf.nn.batch_normalization and tf.layers.batch_normalization with
its UPDATE_OPS, all against float64 numpy written here.

Tolerances: float64 results of the same formulas in another order agree to rounding, about
1e-16 relative an op; a normalization is a dozen ops and a running statistic a handful of
updates, so 1e-12 relative (1e-13 absolute for values near 0, such as a batch's mean) holds
with room. Gradients against central differences (h = 1e-6) agree to ~1e-8 (their rounding,
eps / h): 1e-6. float32 checks allow 1e-5 relative (a few dozen float32 roundings)."""

import numpy as np
import pytest

import graphc as gc
import graphc as tf
import graphc.eager as torch
from graphc import nn, optim
from graphc.nn import functional as F

RTOL, ATOL = 1e-12, 1e-13
rng = np.random.default_rng(11)


def reference(x, weight, bias, eps=1e-5):
    """PyTorch's training-mode batch norm in numpy: the output, the batch mean and its
    unbiased variance (what the running statistics move toward), per channel (dim 1)."""
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    n = x.size // x.shape[1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return xhat * weight.reshape(shape) + bias.reshape(shape), mean, var * n / (n - 1)


def evaluated(x, mean, var, weight, bias, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) \
        * weight.reshape(shape) + bias.reshape(shape)


def values(t):
    return t.detach().numpy()


# -- PyTorch: forward, running statistics ---------------------------------------------------
@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (5, 3, 4)),
                                          (nn.BatchNorm2d, (4, 3, 2, 5))],
                         ids=["1d-NC", "1d-NCL", "2d"])
def test_training_and_evaluation_match_numpy(layer, shape):
    bn = layer(3, dtype=torch.float64)
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(weight))
        bn.bias.copy_(torch.tensor(bias))
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal(shape) * 3 + 2
        want, batch_mean, batch_var = reference(x, weight, bias)
        np.testing.assert_allclose(values(bn(torch.tensor(x))), want, rtol=RTOL, atol=ATOL)
        mean, var = 0.9 * mean + 0.1 * batch_mean, 0.9 * var + 0.1 * batch_var
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=RTOL)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=RTOL)
    assert bn.num_batches_tracked.item() == 3 and bn.num_batches_tracked.dtype == torch.int64
    bn.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(values(bn(torch.tensor(x))),
                               evaluated(x, mean, var, weight, bias), rtol=RTOL, atol=ATOL)
    assert bn.num_batches_tracked.item() == 3  # (evaluation counts nothing)


def test_momentum_none_averages_every_batch_and_no_running_stats_always_uses_the_batch():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=torch.float64)
    batches = [rng.standard_normal((5, 2)) * (k + 1) for k in range(4)]
    for x in batches:
        bn(torch.tensor(x))
    stats = [reference(x, np.ones(2), np.zeros(2))[1:] for x in batches]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([m for m, _ in stats], 0),
                               rtol=RTOL)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([v for _, v in stats], 0),
                               rtol=RTOL)
    plain = nn.BatchNorm1d(2, affine=False, track_running_stats=False, dtype=torch.float64)
    assert list(plain.state_dict()) == [] and plain.running_mean is None
    x = batches[0]
    plain.eval()  # without running statistics evaluation normalizes with the batch's too
    np.testing.assert_allclose(values(plain(torch.tensor(x))),
                               reference(x, np.ones(2), np.zeros(2))[0], rtol=RTOL, atol=ATOL)


def test_functional_batch_norm_updates_the_running_statistics_it_is_given():
    x = rng.standard_normal((6, 3))
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = F.batch_norm(torch.tensor(x), mean, var, training=True, momentum=0.25)
    want, batch_mean, batch_var = reference(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(values(out), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(mean.numpy(), 0.25 * batch_mean, rtol=RTOL)
    np.testing.assert_allclose(var.numpy(), 0.75 + 0.25 * batch_var, rtol=RTOL)
    evaluation = F.batch_norm(torch.tensor(x), mean, var)  # training=False
    np.testing.assert_allclose(values(evaluation), evaluated(x, mean.numpy(), var.numpy(),
                                                             np.ones(3), np.zeros(3)), rtol=RTOL)


def test_pytorchs_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(torch.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements"):
        nn.BatchNorm1d(3)(torch.zeros(2, 4))
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(torch.zeros(2, 3), None, None)
    assert repr(nn.BatchNorm2d(4, momentum=None)) == \
        "BatchNorm2d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"


# -- gradients ----------------------------------------------------------------------------
def test_gradients_match_finite_differences_and_the_closed_form():
    """dL/dx = weight / (sigma n) (n g - sum g - xhat sum(g xhat)), dL/dweight = sum(g xhat),
    dL/dbias = sum(g), sums per channel over N and L, for L = sum(y * g)."""
    x, g = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    bn = nn.BatchNorm1d(3, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(weight))
        bn.bias.copy_(torch.tensor(bias))
    xt = torch.tensor(x, requires_grad=True)
    (bn(xt) * torch.tensor(g)).sum().backward()
    axes, n = (0, 2), 8
    mean, sigma = x.mean(axis=axes), np.sqrt(x.var(axis=axes) + 1e-5)
    xhat = (x - mean[:, None]) / sigma[:, None]
    dx = weight[:, None] / (sigma[:, None] * n) * (
        n * g - g.sum(axis=axes)[:, None] - xhat * (g * xhat).sum(axis=axes)[:, None])
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad.numpy(), (g * xhat).sum(axis=axes), rtol=1e-10)
    np.testing.assert_allclose(bn.bias.grad.numpy(), g.sum(axis=axes), rtol=1e-10)
    for mode in ("graph", "eager"):
        gc.test.check_gradients(
            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
            [x, weight, bias], mode=mode)


# -- buffers ------------------------------------------------------------------------------
def model():
    return nn.Sequential(nn.Linear(2, 3, dtype=torch.float64),
                         nn.BatchNorm1d(3, dtype=torch.float64))


def test_buffers_are_state_but_never_parameters_nor_stepped():
    net = model()
    assert [n for n, _ in net.named_buffers()] == [
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                      "1.running_mean", "1.running_var",
                                      "1.num_batches_tracked"]
    buffers = {id(b) for b in net.buffers()}
    assert not buffers & {id(p) for p in net.parameters()}
    opt = optim.Adam(net.parameters(), lr=0.1, weight_decay=0.5)
    for _ in range(2):
        opt.zero_grad()
        net(torch.tensor(rng.standard_normal((5, 2)))).pow(2).sum().backward()
        before = {n: b.numpy().copy() for n, b in net.named_buffers()}
        opt.step()
        for n, b in net.named_buffers():
            np.testing.assert_array_equal(b.numpy(), before[n])
    assert not buffers & {id(p) for p in opt.params}


def test_state_dict_round_trip_and_non_persistent_buffers():
    a, b = model(), model()
    a(torch.tensor(rng.standard_normal((5, 2))))
    state = a.state_dict()
    assert state["1.num_batches_tracked"].dtype == torch.int64
    b.load_state_dict({k: v.numpy().astype(np.float64) for k, v in state.items()})
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
        assert x.dtype == y.dtype, name
    a(torch.tensor(rng.standard_normal((5, 2))))  # a state dict is a copy
    np.testing.assert_array_equal(state["1.running_mean"].numpy(),
                                  b[1].running_mean.numpy())
    missing = {k: v for k, v in state.items() if k != "1.running_var"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "1.running_var"'):
        b.load_state_dict(missing)
    m = nn.Module()
    m.register_buffer("mask", torch.ones(2), persistent=False)
    m.register_buffer("seen", torch.zeros(1))
    assert [n for n, _ in m.named_buffers()] == ["mask", "seen"]
    assert list(m.state_dict()) == ["seen"]
    m.seen = torch.ones(3)
    assert m.state_dict()["seen"].shape == (3,)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", torch.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'list' object to buffer 'x'"):
        m.register_buffer("x", [1.0])
    with pytest.raises(TypeError, match=r"cannot assign 'int' as buffer 'seen'"):
        m.seen = 3


def test_to_converts_float_buffers_and_refuses_a_bound_one():
    bn = nn.BatchNorm1d(3).double()
    assert bn.running_mean.dtype == torch.float64 and bn.running_var.dtype == torch.float64
    assert bn.num_batches_tracked.dtype == torch.int64
    plain = nn.BatchNorm1d(3, affine=False, dtype=torch.float64)
    plain.eval()(gc.placeholder(gc.float64, (None, 3)))
    with pytest.raises(RuntimeError, match="cannot convert buffer 'running_mean' from float64"):
        plain.float()
    assert plain.running_mean.dtype == torch.float64


# -- PyTorch's modules in graphs --------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
def test_a_graph_trains_like_eager_mode_and_updates_the_buffers(momentum):
    """A training step run in a Session moves the buffers (bound Variables) as an eager
    step does; a None batch and channels (N, C, H, W) count the values at run time."""
    def make():
        torch.manual_seed(0)
        return nn.Sequential(nn.BatchNorm2d(2, momentum=momentum, dtype=torch.float64),
                             nn.Flatten(), nn.Linear(18, 1, dtype=torch.float64))
    graph_net, eager_net = make(), make()
    x = gc.placeholder(gc.float64, (None, 2, 3, 3))
    loss = gc.reduce_mean(gc.square(graph_net(x)))
    step = optim.SGD(graph_net.parameters(), lr=0.1).minimize(loss)
    evaluation = graph_net.eval()(x)
    graph_net.train()
    assert not {v.node.name for v in gc.trainable_variables()} & {
        "Sequential/BatchNorm2d/running_mean", "Sequential/BatchNorm2d/num_batches_tracked"}
    eager_opt = optim.SGD(eager_net.parameters(), lr=0.1)
    data = [rng.standard_normal((4, 2, 3, 3)) * 2 + 1 for _ in range(3)]
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        for batch in data:
            sess.run(step, {x: batch})
            eager_opt.zero_grad()
            eager_net(torch.tensor(batch)).pow(2).mean().backward()
            eager_opt.step()
        got = sess.run(evaluation, {x: data[0]})
    for (name, a), (_, b) in zip(graph_net.state_dict().items(),
                                 eager_net.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
    assert graph_net[0].num_batches_tracked.item() == 3
    eager_net.eval()
    np.testing.assert_allclose(got, values(eager_net(torch.tensor(data[0]))), rtol=RTOL)


def test_a_training_step_on_numba_matches_numpy():
    """BatchNorm1d and GELU (erf in a fused loop) in a graph: the numba backend's step
    moves the same running statistics and weights as the numpy backend's (to rounding:
    BLAS and the fused loops add in another order)."""
    results = []
    for backend in ("numba", "numpy"):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(4, 5, dtype=torch.float64),
                            nn.BatchNorm1d(5, dtype=torch.float64), nn.GELU(),
                            nn.Linear(5, 1, dtype=torch.float64))
        x = gc.placeholder(gc.float64, (None, 4))
        loss = gc.reduce_mean(gc.square(net(x)))
        step = optim.SGD(net.parameters(), lr=0.1).minimize(loss)
        with gc.Session(backend=backend) as sess:
            sess.run(gc.global_variables_initializer())
            for k in range(2):
                sess.run(step, {x: np.random.default_rng(k).standard_normal((8, 4))})
        results.append(net.state_dict())
    for name in results[0]:
        np.testing.assert_allclose(results[0][name].numpy(), results[1][name].numpy(),
                                   rtol=1e-12, atol=1e-14, err_msg=name)


# -- TensorFlow ---------------------------------------------------------------------------
def run(fetches, feeds=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feeds)


def test_nn_batch_normalization_is_the_formula():
    x, m, v = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    o, s = rng.standard_normal(3), rng.standard_normal(3)
    got = run([tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
               tf.nn.batch_normalization(x, m, v, None, None, 1e-3)])
    np.testing.assert_allclose(got[0], (x - m) / np.sqrt(v + 1e-3) * s + o, rtol=RTOL)
    np.testing.assert_allclose(got[1], (x - m) / np.sqrt(v + 1e-3), rtol=RTOL)


def test_layers_batch_normalization_names_its_variables_as_tensorflow():
    x = tf.placeholder(tf.float64, [None, 3])
    tf.layers.batch_normalization(x)
    tf.layers.batch_normalization(x, training=True, center=False)
    tf.layers.batch_normalization(x, name="bn", scale=False)
    assert [v.name for v in tf.global_variables()] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0",
        "batch_normalization_1/gamma:0", "batch_normalization_1/moving_mean:0",
        "batch_normalization_1/moving_variance:0", "bn/beta:0", "bn/moving_mean:0",
        "bn/moving_variance:0"]
    assert [v.name for v in tf.trainable_variables()] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization_1/gamma:0", "bn/beta:0"]
    # training=False (the default) adds no update; training=True two
    assert [u.name for u in tf.get_collection(tf.GraphKeys.UPDATE_OPS)] == [
        "batch_normalization_1/AssignMovingAvg:0", "batch_normalization_1/AssignMovingAvg_1:0"]
    shared = tf.layers.batch_normalization(x, name="bn", scale=False, reuse=True)
    assert len(tf.global_variables()) == 10 and shared.shape == (None, 3)
    with pytest.raises(NotImplementedError, match="renorm is not supported"):
        tf.layers.batch_normalization(x, renorm=True)


def test_update_ops_move_the_averages_when_a_training_placeholder_says_so():
    """A two-feature layer on a placeholder, trained by gradient descent with the
    UPDATE_OPS idiom for N steps: the moving averages follow TensorFlow's
    moving - (moving - batch) * (1 - momentum) with the batch's biased variance; the
    output is the batch's normalization; with training False the moving statistics
    normalize and stay."""
    x = tf.placeholder(tf.float64, [None, 2])
    training = tf.placeholder(tf.bool, ())
    h = tf.layers.batch_normalization(x, training=training, momentum=0.9)
    loss = tf.reduce_mean(tf.square(h - [1.0, -2.0]))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    gamma, beta, moving_mean, moving_var = tf.global_variables()
    mean, var = np.zeros(2), np.ones(2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            batch = rng.standard_normal((6, 2)) * [1.0, 3.0] + [2.0, -1.0]
            out, g, b, _ = sess.run([h, gamma, beta, train], {x: batch, training: True})
            np.testing.assert_allclose(
                out, (batch - batch.mean(0)) / np.sqrt(batch.var(0) + 1e-3) * g + b,
                rtol=RTOL, atol=ATOL)
            mean = mean - (mean - batch.mean(0)) * (1 - 0.9)
            var = var - (var - batch.var(0)) * (1 - 0.9)
        np.testing.assert_allclose(sess.run(moving_mean), mean, rtol=RTOL)
        np.testing.assert_allclose(sess.run(moving_var), var, rtol=RTOL)
        assert not np.allclose(sess.run(gamma), 1.0)  # (trained)
        batch = rng.standard_normal((3, 2))
        out, g, b, _ = sess.run([h, gamma, beta, train], {x: batch, training: False})
        np.testing.assert_allclose(out, (batch - mean) / np.sqrt(var + 1e-3) * g + b,
                                   rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(sess.run([moving_mean, moving_var]), [mean, var],
                                   rtol=RTOL)


@pytest.mark.parametrize("dtype, axis, fused, bessel", [
    (tf.float32, -1, None, True), (tf.float32, 1, True, True), (tf.float64, -1, None, False),
    (tf.float32, -1, False, False)], ids=["fused-NHWC", "fused-NCHW", "float64", "unfused"])
def test_four_dimensional_inputs_take_the_fused_kernels_variance(dtype, axis, fused, bessel):
    """TensorFlow 1 runs rank-4 float32 inputs, channels last or first, through its fused
    kernel, whose variance for the moving average has Bessel's correction and whose epsilon
    is at least 1.001e-5; other inputs take tf.nn.moments' biased variance. The values
    vary by about 1e-2, so an epsilon of 0 and one of 1.001e-5 differ by 5%."""
    x = (rng.standard_normal((2, 3, 2, 3)) * 0.01).astype(dtype.np)
    out = tf.layers.batch_normalization(tf.constant(x), axis=axis, momentum=0.5, epsilon=0.0,
                                        training=True, fused=fused)
    moving_var = tf.global_variables()[3]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, _ = sess.run([out, tf.get_collection(tf.GraphKeys.UPDATE_OPS)])
        moved = sess.run(moving_var)
    axes = tuple(a for a in range(4) if a != axis % 4)
    x64, n = x.astype(np.float64), x.size // 3
    var = x64.var(axis=axes)
    eps = 1.001e-5 if bessel else 0.0
    shape = [3 if a == axis % 4 else 1 for a in range(4)]
    want = (x64 - x64.mean(axis=axes).reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    rtol = 1e-5 if dtype == tf.float32 else RTOL
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    batch_var = var * n / (n - 1) if bessel else var
    np.testing.assert_allclose(moved, 1 - (1 - batch_var) * 0.5, rtol=rtol)


def test_layer_norm_in_a_graph_reads_its_parameters_through_their_variables():
    layer = nn.LayerNorm(3, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
    x = rng.standard_normal((4, 3))
    p = gc.placeholder(gc.float64, (None, 3))
    with gc.Session() as sess:
        got = sess.run(layer(p), {p: x})
    np.testing.assert_allclose(got, values(layer(torch.tensor(x))), rtol=RTOL)


def test_integer_input_is_refused_by_name():
    with pytest.raises(TypeError, match="batch_norm: input must be floating point.*int64"):
        nn.BatchNorm1d(2)(torch.tensor([[1, 10], [2, 20], [4, 40]]))


def test_an_empty_batch_leaves_the_running_statistics_alone():
    bn = nn.BatchNorm2d(3)
    out = bn(torch.zeros(0, 3, 4, 4))
    assert tuple(out.shape) == (0, 3, 4, 4)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))


def test_a_graph_batch_of_one_stops_the_run_and_commits_nothing():
    """PyTorch refuses one value a channel in training (its unbiased variance is 0/0); a
    graph learns the batch size only when it runs, so the run stops there."""
    bn = nn.BatchNorm1d(3)
    x = gc.placeholder(gc.float32, (None, 3))
    y = bn(x)
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        sess.run(y, {x: np.arange(6, dtype=np.float32).reshape(2, 3)})
        before = [bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()]
        with pytest.raises(gc.InvalidArgumentError, match="more than 1 value per channel"):
            sess.run(y, {x: np.ones((1, 3), np.float32)})
    np.testing.assert_array_equal(bn.running_mean.numpy(), before[0])
    np.testing.assert_array_equal(bn.running_var.numpy(), before[1])
    assert int(bn.num_batches_tracked.item()) == 1
