"""Transposed convolution as TensorFlow 1 spells it (tf.nn.conv2d_transpose,
tf.layers.conv2d_transpose) and as PyTorch does (F.conv_transpose2d, nn.ConvTranspose2d),
eagerly and in graphs on the numpy and numba backends, against a scatter-add loop written
here from the definition and against central finite differences, in float64."""

import math

import numpy as np
import pytest

import graphc as tf
import graphc.eager as torch
import graphc.nn.functional as F
from graphc import nn, optim
from tests.nn.modes import RTOL, run_eager, run_graph

rng = np.random.default_rng(11)
CLOSE = dict(rtol=RTOL, atol=1e-12)


# -- the reference: every input pixel adds its channels times the weight's taps ------------
def scatter(x, w, size, strides=(1, 1), dilations=(1, 1), before=(0, 0)):
    """x (N, C, H, W) and w (C, O, kH, kW) into (N, O, *size): input pixel (i, j) adds
    x[:, :, i, j] @ w[:, :, a, b] at row i * stride + a * dilation - before[0] (and so for
    columns), where that lies in the output."""
    n, _, h, wd = x.shape
    _, o, kh, kw = w.shape
    y = np.zeros((n, o, *size))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for b in range(kw):
                    r = i * strides[0] + a * dilations[0] - before[0]
                    c = j * strides[1] + b * dilations[1] - before[1]
                    if 0 <= r < size[0] and 0 <= c < size[1]:
                        y[:, :, r, c] += x[:, :, i, j] @ w[:, :, a, b]
    return y


def torch_reference(x, w, stride, padding, output_padding, dilation):
    """PyTorch's output size rule, then the scatter with the padding cut from the top."""
    size = [(x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i]
            * (w.shape[2 + i] - 1) + output_padding[i] + 1 for i in range(2)]
    return scatter(x, w, size, stride, dilation, padding)


def tf_same_before(size, k, stride, dilation=1):
    """The top (left) pad of TensorFlow's SAME convolution of a `size` input."""
    span = dilation * (k - 1) + 1
    return max((math.ceil(size / stride) - 1) * stride + span - size, 0) // 2


def nhwc(a):
    return a.transpose(0, 2, 3, 1)


def nchw(a):
    return a.transpose(0, 3, 1, 2)


def hwoi(w):
    """PyTorch's (in, out, kH, kW) weight as TensorFlow's [kH, kW, out, in] filter."""
    return w.transpose(2, 3, 1, 0)


def numeric_grads(f, arrays, probe):
    """Central differences of sum(f(*arrays) * probe) with respect to each array."""
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            values = []
            for step in (1e-4, -1e-4):
                moved = [b.copy() for b in arrays]
                moved[k][idx] += step
                values.append(np.sum(f(*moved) * probe))
            g[idx] = (values[0] - values[1]) / 2e-4
        grads.append(g)
    return grads


# -- PyTorch ---------------------------------------------------------------------------------
CONFIGS = {  # stride, padding, output_padding, dilation
    "plain": ((1, 1), (0, 0), (0, 0), (1, 1)),
    "strided-padded": ((2, 1), (1, 0), (1, 0), (1, 1)),
    "output-padding-over-padding": ((3, 2), (1, 0), (2, 1), (1, 1)),
    "dilated": ((2, 2), (1, 2), (0, 1), (2, 3)),
    "output-padding-below-dilation": ((1, 1), (1, 0), (1, 0), (2, 1)),
}


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
def test_f_conv_transpose2d_is_the_scatter_with_exact_gradients(config):
    stride, padding, output_padding, dilation = CONFIGS[config]
    x, w, b = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((3, 2, 3, 2)), \
        rng.standard_normal(2)
    expected = torch_reference(x, w, stride, padding, output_padding, dilation) + \
        b[:, None, None]
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv_transpose2d(xt, wt, bt, stride, padding, output_padding, 1, dilation)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.detach().numpy(), expected, **CLOSE)
    probe = rng.standard_normal(expected.shape)
    (y * torch.tensor(probe)).sum().backward()
    numeric = numeric_grads(lambda x, w: torch_reference(x, w, stride, padding,
                                                         output_padding, dilation), [x, w],
                            probe)
    np.testing.assert_allclose(xt.grad.numpy(), numeric[0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(wt.grad.numpy(), numeric[1], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(bt.grad.numpy(), probe.sum(axis=(0, 2, 3)), **CLOSE)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_graph_values_and_gradients_match_eager(backend):
    x, w, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 2, 3)), \
        rng.standard_normal(2)
    probe = rng.standard_normal((2, 2, 9, 12))

    def fn(x, w, b, probe):
        y = F.conv_transpose2d(x, w, b, stride=2, padding=(0, 1), output_padding=1,
                               dilation=(1, 2))
        loss = (y * probe).sum()
        return [y, *tf.gradients(loss, [x, w, b])] if isinstance(x, tf.Tensor) else y

    got = run_graph(fn, x, w, b, probe, backend=backend)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = fn(xt, wt, bt, torch.tensor(probe))
    (y * torch.tensor(probe)).sum().backward()
    expected = torch_reference(x, w, (2, 2), (0, 1), (1, 1), (1, 2)) + b[:, None, None]
    np.testing.assert_allclose(got[0], expected, **CLOSE)
    for value, want in zip(got[1:], (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(value, want.numpy(), **CLOSE)


def test_unbatched_images_and_a_batch_unknown_when_the_graph_is_built():
    x, w = rng.standard_normal((3, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    value = run_eager(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), x, w)
    assert value.shape == (2, 7, 7)
    np.testing.assert_allclose(value, torch_reference(x[None], w, (2, 2), (1, 1), (0, 0),
                                                      (1, 1))[0], **CLOSE)
    xp = tf.placeholder(tf.float64, (None, 3, 4, 4))
    y = F.conv_transpose2d(xp, tf.constant(w), stride=2, padding=1)
    assert y.shape == (None, 2, 7, 7)
    with tf.Session() as sess:
        got = sess.run(y, {xp: np.stack([x, 2 * x, x])})
    np.testing.assert_allclose(got[1], 2 * value, **CLOSE)


def test_conv_transpose2d_module_init_repr_and_output_size():
    torch.manual_seed(0)
    up = nn.ConvTranspose2d(16, 4, 3)
    assert up.weight.shape == (16, 4, 3, 3) and up.bias.shape == (4,)
    assert up.weight.dtype == tf.float32 and up.weight.requires_grad
    bound = 1 / math.sqrt(4 * 3 * 3)  # fan_in from the weight's dim 1: out_channels * kH * kW
    assert 0.95 * bound < np.abs(up.weight.detach().numpy()).max() <= bound
    assert np.abs(up.bias.detach().numpy()).max() <= bound
    assert list(up.state_dict()) == ["weight", "bias"]
    assert repr(up) == "ConvTranspose2d(16, 4, kernel_size=(3, 3), stride=(1, 1))"
    other = nn.ConvTranspose2d(2, 3, (3, 2), stride=2, padding=1, output_padding=(1, 0),
                               bias=False, dilation=(1, 2), dtype=tf.float64)
    assert other.bias is None and other.weight.dtype == tf.float64
    assert repr(other) == ("ConvTranspose2d(2, 3, kernel_size=(3, 2), stride=(2, 2), "
                           "padding=(1, 1), dilation=(1, 2), output_padding=(1, 0), "
                           "bias=False)")
    x = torch.tensor(rng.standard_normal((1, 2, 3, 3)))
    # (3-1)*2 - 2 + 1*(3-1) + 1 + 1 high, (3-1)*2 - 2 + 2*(2-1) + 1 wide
    assert other(x).shape == (1, 3, 6, 5)
    w = other.weight.detach().numpy()
    for size, extra in (((5, 6), (0, 1)), ((1, 3, 6, 6), (1, 1))):
        got = other(x, output_size=size)
        np.testing.assert_allclose(got.detach().numpy(), torch_reference(
            x.numpy(), w, (2, 2), (1, 1), extra, (1, 2)), **CLOSE)
    with pytest.raises(ValueError, match=r"requested an output size of \[7, 5\], but valid "
                                         r"sizes range from \[5, 5\] to \[6, 6\]"):
        other(x, output_size=(7, 5))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(1, 3, 3, stride=2, padding=1, dtype=tf.float64)
        self.up = nn.ConvTranspose2d(3, 1, 3, stride=2, padding=1, output_padding=1,
                                     dtype=tf.float64)

    def forward(self, x):
        return self.up(F.relu(self.down(x)))


def test_an_autoencoder_trains_the_same_eagerly_and_in_a_graph():
    torch.manual_seed(5)
    eager, static = AutoEncoder(), AutoEncoder()
    static.load_state_dict(eager.state_dict())
    x = rng.standard_normal((3, 1, 6, 6))
    opt = optim.SGD(eager.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(eager(torch.tensor(x)), torch.tensor(x)).backward()
        opt.step()
    xp = tf.placeholder(tf.float64, (None, 1, 6, 6))
    out = static(xp)
    assert out.shape == (None, 1, 6, 6)
    train = optim.SGD(static.parameters(), lr=0.05).minimize(F.mse_loss(out, xp))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {xp: x})
    for (name, a), b in zip(eager.state_dict().items(), static.state_dict().values()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=name)


@pytest.mark.parametrize("call,error,words", [
    (lambda x: F.conv_transpose2d(x, torch.ones(2, 1, 2, 2), groups=2), NotImplementedError,
     "groups=2 is not supported"),
    (lambda x: nn.ConvTranspose2d(2, 4, 3, groups=2), NotImplementedError,
     "groups=2 is not supported"),
    (lambda x: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda x: F.conv_transpose2d(x, torch.ones(2, 1, 2, 2), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation"),
    (lambda x: F.conv_transpose2d(x, torch.ones(2, 1, 2, 2), output_padding=1, dilation=3),
     NotImplementedError, "output_padding=1 of at least stride \\+ padding is not supported"),
    (lambda x: F.conv_transpose2d(x, torch.ones(2, 1, 2, 2), padding=3), RuntimeError,
     r"Calculated output size per channel: \(-1 x -1\). Output size is too small"),
    (lambda x: F.conv_transpose2d(x, torch.ones(3, 1, 2, 2)), ValueError,
     "input has 2 channels but the filter expects 3"),
    (lambda x: F.conv_transpose2d(x[0, 0], torch.ones(2, 1, 2, 2)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv_transpose2d"),
], ids=["groups", "groups-module", "padding-mode", "output-padding", "output-padding-dilation",
        "too-small", "channels", "rank"])
def test_pytorch_refusals_say_why(call, error, words):
    with pytest.raises(error, match=words):
        call(torch.ones(1, 2, 4, 4))


# -- TensorFlow 1 ----------------------------------------------------------------------------
def test_tf_nn_conv2d_transpose_in_both_layouts_with_a_run_time_batch():
    x, w = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((3, 2, 3, 2))  # (in, out..)
    xp = tf.placeholder(tf.float64, (None, 4, 3, 3))  # NHWC
    batch = tf.shape(xp)[0]
    outs = [tf.nn.conv2d_transpose(xp, tf.constant(hwoi(w)), tf.stack([batch, 8, 6, 2]),
                                   [1, 2, 2, 1], "SAME"),
            tf.nn.conv2d_transpose(xp, hwoi(w), [batch, 9, 7, 2], strides=2, padding="VALID"),
            tf.nn.conv2d_transpose(tf.transpose(xp, (0, 3, 1, 2)), tf.constant(hwoi(w)),
                                   tf.constant([2, 2, 7, 6]), [1, 1, 2, 2], "SAME",
                                   data_format="NCHW", name="up"),
            tf.nn.conv2d_transpose(input=xp, filters=hwoi(w), output_shape=[2, 10, 5, 2],
                                   strides=[1, 1], padding="VALID", dilations=[1, 3, 2, 1])]
    assert [o.shape for o in outs[:3]] == [(None, 8, 6, 2), (None, 9, 7, 2), (None, 2, 7, 6)]
    assert outs[2].name == "up:0"
    with tf.Session() as sess:
        got = sess.run(outs, {xp: nhwc(x)})
    before = [tf_same_before(8, 3, 2), tf_same_before(6, 2, 2)]
    np.testing.assert_allclose(got[0], nhwc(scatter(x, w, (8, 6), (2, 2), before=before)),
                               **CLOSE)
    np.testing.assert_allclose(got[1], nhwc(scatter(x, w, (9, 7), (2, 2))), **CLOSE)
    before = [tf_same_before(7, 3, 2), tf_same_before(6, 2, 2)]
    np.testing.assert_allclose(got[2], scatter(x, w, (7, 6), (2, 2), before=before), **CLOSE)
    np.testing.assert_allclose(got[3], nhwc(scatter(x, w, (10, 5), dilations=(3, 2))), **CLOSE)


def test_tf_gradients_of_conv2d_transpose_match_finite_differences():
    x, w = rng.standard_normal((1, 3, 2, 2)), rng.standard_normal((2, 3, 3, 2))  # NHWC, HWOI
    probe = rng.standard_normal((1, 5, 4, 3))
    xp, wp = tf.placeholder(tf.float64, x.shape), tf.placeholder(tf.float64, w.shape)
    y = tf.nn.conv2d_transpose(xp, wp, [1, 5, 4, 3], [1, 2, 2, 1], "SAME")
    grads = tf.gradients(tf.reduce_sum(y * probe), [xp, wp])
    with tf.Session() as sess:
        got = sess.run(grads, {xp: x, wp: w})

    def reference(x, w):  # [kH, kW, out, in] back to (in, out, kH, kW)
        before = [tf_same_before(5, 2, 2), tf_same_before(4, 3, 2)]
        return nhwc(scatter(nchw(x), w.transpose(3, 2, 0, 1), (5, 4), (2, 2),
                            before=before))
    numeric = numeric_grads(reference, [x, w], probe)
    for value, want in zip(got, numeric):
        np.testing.assert_allclose(value, want, rtol=1e-7, atol=1e-8)


def test_tf_layers_conv2d_transpose_makes_tensorflows_variables_and_sizes():
    x = tf.placeholder(tf.float64, (None, 3, 4, 2))
    same = tf.layers.conv2d_transpose(x, 4, 3, strides=2, padding="same",
                                      activation=tf.nn.relu)
    valid = tf.layers.conv2d_transpose(x, 3, (1, 3), strides=(2, 2), use_bias=False)
    first = tf.layers.conv2d_transpose(tf.transpose(x, (0, 3, 1, 2)), 2, 2, strides=3,
                                       data_format="channels_first",
                                       bias_initializer=tf.constant_initializer(0.5))
    names = [(v.name, v.shape) for v in tf.global_variables()]
    assert names == [("conv2d_transpose/kernel:0", (3, 3, 4, 2)),
                     ("conv2d_transpose/bias:0", (4,)),
                     ("conv2d_transpose_1/kernel:0", (1, 3, 3, 2)),
                     ("conv2d_transpose_2/kernel:0", (2, 2, 2, 2)),
                     ("conv2d_transpose_2/bias:0", (2,))]
    # same: size * stride; valid: size * stride + max(kernel - stride, 0)
    assert same.shape == (None, 6, 8, 4) and valid.shape == (None, 6, 9, 3)
    assert first.shape == (None, 2, 9, 12)
    value = rng.standard_normal((2, 3, 4, 2))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k0, b0, k1, k2, b2 = sess.run(tf.global_variables())
        got = sess.run([same, valid, first], {x: value})
    limit = math.sqrt(6 / (3 * 3 * 4 + 3 * 3 * 2))  # glorot_uniform of the kernel's fans
    assert 0.8 * limit < np.abs(k0).max() <= limit and not b0.any()
    image = nchw(value)
    before = [tf_same_before(6, 3, 2), tf_same_before(8, 3, 2)]
    expected = scatter(image, k0.transpose(3, 2, 0, 1), (6, 8), (2, 2), before=before)
    np.testing.assert_allclose(got[0], nhwc(np.maximum(expected, 0)), **CLOSE)
    np.testing.assert_allclose(got[1], nhwc(scatter(image, k1.transpose(3, 2, 0, 1), (6, 9),
                                                    (2, 2))), **CLOSE)
    np.testing.assert_allclose(got[2], scatter(image, k2.transpose(3, 2, 0, 1), (9, 12),
                                               (3, 3)) + 0.5, **CLOSE)


@pytest.mark.parametrize("build,error,words", [
    (lambda x, w: tf.nn.conv2d_transpose(x, w, tf.stack([3, tf.shape(x)[1] * 2, 8, 2]),
                                         [1, 2, 2, 1]), ValueError,
     r"the output's height \(output_shape\[1\]\) must be an int known while building"),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 8, 8, 5], [1, 2, 2, 1]), ValueError,
     "output_shape \\[3, 8, 8, 5\\] asks for 5 channels, but the filter of shape"),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 8, 8], [1, 2, 2, 1]), ValueError,
     "output_shape must hold 4 sizes"),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 9, 8, 2], [1, 2, 2, 1], "VALID"),
     ValueError, "an output of 9x8 does not fit the input's 4x4: the convolution it "
                 "transposes .* takes 9x8 to 4x3"),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [3, 8, 8, 2], [2, 2, 2, 1]), ValueError,
     "moves along the batch"),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [4, 8, 8, 2], [1, 2, 2, 1]), ValueError,
     "has a batch of 4, but the input's batch is 3"),
    (lambda x, w: tf.nn.conv2d_transpose(x, tf.ones((3, 3, 2, 5)), [3, 8, 8, 2], 2),
     ValueError, "input has 3 channels but the filter expects 5"),
    (lambda x, w: tf.layers.conv2d_transpose(tf.placeholder(tf.float32, (None, None, 4, 3)),
                                             2, 3), ValueError,
     "the height and width of the inputs should be defined"),
], ids=["run-time-height", "channels", "rank", "does-not-fit", "batch-stride", "batch",
        "in-channels", "layer-size"])
def test_tf_refusals_say_why(build, error, words):
    with pytest.raises(error, match=words):
        build(tf.placeholder(tf.float32, (3, 4, 4, 3)), tf.ones((3, 3, 2, 3)))
