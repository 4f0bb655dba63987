"""Convolution and pooling as TensorFlow 1 spells them (tf.nn.conv2d, max_pool, avg_pool,
tf.layers.conv2d, max_pooling2d, average_pooling2d) and as PyTorch does (F.conv2d,
F.max_pool2d, F.avg_pool2d, nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d), against the loops of
tests/ops/conv_reference.py."""

import math

import numpy as np
import pytest

import graphc as tf
import graphc.eager as torch
import graphc.nn.functional as F
from graphc import nn, optim
from tests.ops import conv_reference as cr

rng = np.random.default_rng(7)
EXACT = dict(rtol=1e-12, atol=1e-12)


def run(fetches, feeds=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feeds)


# -- TensorFlow 1 ---------------------------------------------------------------------------
def test_tf_nn_conv2d_takes_tensorflows_arguments():
    x, w = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    xp, wc = tf.placeholder(tf.float64, (None, 5, 6, 3)), tf.constant(w)
    outs = [tf.nn.conv2d(xp, wc, strides=[1, 2, 1, 1], padding="SAME"),
            tf.nn.conv2d(xp, filters=wc, strides=1, padding="VALID", dilations=[1, 2, 1, 1]),
            tf.nn.conv2d(xp, wc, [1, 1, 1, 1], [[0, 0], [1, 2], [0, 1], [0, 0]]),
            tf.nn.conv2d(tf.transpose(xp, (0, 3, 1, 2)), wc, [1, 1, 2, 2], "SAME",
                         data_format="NCHW", name="nchw")]
    assert outs[0].shape == (None, 3, 6, 4) and outs[3].name == "nchw:0"
    got = run(outs, {xp: x})
    np.testing.assert_allclose(got[0], cr.conv(x, w, (2, 1), padding="SAME"), **EXACT)
    np.testing.assert_allclose(got[1], cr.conv(x, w, dilations=(2, 1)), **EXACT)
    np.testing.assert_allclose(got[2], cr.conv(x, w, padding=((1, 2), (0, 1))), **EXACT)
    np.testing.assert_allclose(got[3], cr.nchw(cr.conv(x, w, (2, 2), padding="SAME")),
                               **EXACT)


def test_tf_nn_pooling_and_bias_add_on_images():
    x = rng.standard_normal((2, 5, 6, 3))
    xp = tf.placeholder(tf.float64, (None, 5, 6, 3))
    b = tf.constant([1.0, 2.0, 3.0], tf.float64)
    outs = [tf.nn.max_pool(xp, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME"),
            tf.nn.avg_pool(xp, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
            tf.nn.max_pool2d(xp, 2, 1, "VALID"),
            tf.nn.avg_pool(tf.transpose(xp, (0, 3, 1, 2)), [1, 1, 2, 3], [1, 1, 2, 3], "VALID",
                           data_format="NCHW"),
            tf.nn.bias_add(xp, b),
            tf.nn.bias_add(tf.transpose(xp, (0, 3, 1, 2)), b, data_format="NCHW")]
    got = run(outs, {xp: x})
    np.testing.assert_allclose(got[0], cr.max_pool(x, (2, 2), (2, 2), "SAME"), **EXACT)
    np.testing.assert_allclose(got[1], cr.avg_pool(x, (3, 3), (2, 2), "SAME"), **EXACT)
    np.testing.assert_allclose(got[2], cr.max_pool(x, (2, 2), (1, 1)), **EXACT)
    np.testing.assert_allclose(got[3], cr.nchw(cr.avg_pool(x, (2, 3), (2, 3))), **EXACT)
    np.testing.assert_allclose(got[4], x + [1.0, 2.0, 3.0], **EXACT)
    np.testing.assert_allclose(got[5], cr.nchw(x + [1.0, 2.0, 3.0]), **EXACT)


@pytest.mark.parametrize("build,words", [
    (lambda x, w: tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME"), "moves along the batch"),
    (lambda x, w: tf.nn.conv2d(x, w, [1, 1, 1], "SAME"), "list of 1, 2 or 4 ints"),
    (lambda x, w: tf.nn.conv2d(x, w, 1, "FULL"), "padding must be 'SAME' or 'VALID'"),
    (lambda x, w: tf.nn.conv2d(x, w, 1, [[1, 1], [1, 1], [0, 0], [0, 0]]),
     "pads the batch or channel dimension"),
    (lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", filters=w), "give the filter once"),
    (lambda x, w: tf.nn.max_pool(x, [1, 2, 2, 2], [1, 2, 2, 1], "SAME"),
     "moves along the batch or channel"),
    (lambda x, w: tf.nn.max_pool(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
     "padding must be 'SAME' or 'VALID'"),
], ids=["batch-stride", "three-strides", "padding", "batch-pad", "filter-twice",
        "depth-pool", "pool-pads"])
def test_tf_nn_refuses_what_it_does_not_do(build, words):
    with pytest.raises(ValueError, match=words):
        build(tf.placeholder(tf.float32, (None, 4, 4, 2)), tf.ones((2, 2, 2, 3)))


def test_tf_layers_conv2d_makes_tensorflows_variables():
    x = tf.placeholder(tf.float32, (None, 6, 6, 2))
    y = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    z = tf.layers.conv2d(y, 3, (2, 3), strides=2, use_bias=False)
    again = tf.layers.conv2d(x, 4, 3, padding="same", name="conv2d", reuse=True)
    names = [(v.name, v.shape) for v in tf.global_variables()]
    assert names == [("conv2d/kernel:0", (3, 3, 2, 4)), ("conv2d/bias:0", (4,)),
                     ("conv2d_1/kernel:0", (2, 3, 4, 3))]
    assert y.shape == (None, 6, 6, 4) and z.shape == (None, 3, 2, 3)
    pooled = [tf.layers.max_pooling2d(y, 2, 2), tf.layers.average_pooling2d(y, 3, 2, "same")]
    assert [p.shape for p in pooled] == [(None, 3, 3, 4), (None, 3, 3, 4)]
    value = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel, bias, k1 = sess.run(tf.global_variables())
        got_y, got_z, got_again, *got_pooled = sess.run([y, z, again, *pooled], {x: value})
    limit = math.sqrt(6 / (3 * 3 * 2 + 3 * 3 * 4))  # glorot_uniform of an HWIO kernel
    assert 0.8 * limit < np.abs(kernel).max() <= limit and not bias.any()
    expected_y = np.maximum(cr.conv(value, kernel, padding="SAME"), 0)
    np.testing.assert_allclose(got_y, expected_y, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.maximum(got_again, 0), got_y)  # (no activation given)
    np.testing.assert_allclose(got_z, cr.conv(expected_y, k1, (2, 2)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_pooled[0], cr.max_pool(got_y, (2, 2), (2, 2)), rtol=1e-6)
    np.testing.assert_allclose(got_pooled[1], cr.avg_pool(got_y, (3, 3), (2, 2), "SAME"),
                               rtol=1e-5, atol=1e-6)


def test_tf_layers_channels_first_keeps_the_hwio_kernel():
    x = tf.placeholder(tf.float64, (None, 2, 5, 5))
    y = tf.layers.conv2d(x, 3, 2, data_format="channels_first",
                         bias_initializer=tf.constant_initializer(0.5))
    p = tf.layers.max_pooling2d(y, 2, 2, data_format="channels_first")
    value = rng.standard_normal((1, 2, 5, 5))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel = sess.run(tf.global_variables()[0])
        got_y, got_p = sess.run([y, p], {x: value})
    assert kernel.shape == (2, 2, 2, 3)
    expected = cr.conv(cr.nhwc(value), kernel) + 0.5
    np.testing.assert_allclose(got_y, cr.nchw(expected), **EXACT)
    np.testing.assert_allclose(got_p, cr.nchw(cr.max_pool(expected, (2, 2), (2, 2))), **EXACT)
    with pytest.raises(NotImplementedError, match="activity_regularizer is not supported"):
        tf.layers.conv2d(x, 3, 2, activity_regularizer=lambda w: w)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        tf.layers.max_pooling2d(x, 2, 2, padding="full")


# -- PyTorch --------------------------------------------------------------------------------
def test_conv2d_module_shapes_init_and_state_dict():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 16, 5)
    assert conv.weight.shape == (16, 3, 5, 5) and conv.bias.shape == (16,)
    assert conv.weight.dtype == tf.float32 and conv.weight.requires_grad
    bound = 1 / math.sqrt(3 * 5 * 5)  # kaiming_uniform_(a=sqrt(5)) and the bias's bound
    assert 0.95 * bound < np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert repr(conv) == "Conv2d(3, 16, kernel_size=(5, 5), stride=(1, 1))"
    other = nn.Conv2d(1, 2, (3, 2), stride=2, padding=1, dilation=(2, 1), bias=False,
                      dtype=tf.float64)
    assert other.bias is None and list(other.state_dict()) == ["weight"]
    assert other.weight.dtype == tf.float64
    assert repr(other) == ("Conv2d(1, 2, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), "
                           "dilation=(2, 1), bias=False)")
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, "
                                     "dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=0)"


def test_f_conv2d_and_pooling_compute_the_loops_with_gradients():
    x = rng.standard_normal((2, 3, 6, 5))
    w, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    xt = torch.tensor(x, requires_grad=True)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    y = F.conv2d(xt, wt, bt, stride=(2, 1), padding=1, dilation=(1, 2))
    expected = cr.conv(cr.nhwc(x), cr.hwio(w), (2, 1), (1, 2), ((1, 1), (1, 1))) + b
    np.testing.assert_allclose(y.detach().numpy(), cr.nchw(expected), **EXACT)
    pooled = [F.max_pool2d(y, 2), F.max_pool2d(y, (2, 2), 1, padding=1),
              F.avg_pool2d(y, 2, padding=1), F.avg_pool2d(y, (3, 2), 1, 1,
                                                          count_include_pad=False)]
    nhwc = expected
    wanted = [cr.max_pool(nhwc, (2, 2), (2, 2)),
              cr.max_pool(nhwc, (2, 2), (1, 1), ((1, 1), (1, 1))),
              cr.avg_pool(nhwc, (2, 2), (2, 2), ((1, 1), (1, 1)), count_include_pad=True),
              cr.avg_pool(nhwc, (3, 2), (1, 1), ((1, 1), (1, 1)))]
    for got, e in zip(pooled, wanted):
        np.testing.assert_allclose(got.detach().numpy(), cr.nchw(e), **EXACT)
    sum(p.sum() for p in pooled).backward()
    assert xt.grad.shape == x.shape and wt.grad.shape == w.shape
    np.testing.assert_allclose(bt.grad.detach().numpy(), cr.nhwc(
        _pool_grads_total(nhwc)).sum(axis=(0, 1, 2)), **EXACT)


def _pool_grads_total(nhwc):
    """d(sum of the four pools above)/dy, from the loops (NCHW)."""
    ones = [np.ones(cr.max_pool(nhwc, (2, 2), (2, 2)).shape),
            np.ones(cr.max_pool(nhwc, (2, 2), (1, 1), ((1, 1), (1, 1))).shape)]
    total = cr.max_pool_grad(nhwc, ones[0], (2, 2), (2, 2))
    total += cr.max_pool_grad(nhwc, ones[1], (2, 2), (1, 1), ((1, 1), (1, 1)))
    shape = cr.avg_pool(nhwc, (2, 2), (2, 2), ((1, 1), (1, 1))).shape
    total += cr.avg_pool_grad(np.ones(shape), nhwc.shape, (2, 2), (2, 2), ((1, 1), (1, 1)),
                              True)
    shape = cr.avg_pool(nhwc, (3, 2), (1, 1), ((1, 1), (1, 1))).shape
    total += cr.avg_pool_grad(np.ones(shape), nhwc.shape, (3, 2), (1, 1), ((1, 1), (1, 1)))
    return cr.nchw(total)


def test_padding_strings_and_unbatched_images():
    x, w = rng.standard_normal((2, 5, 6)), rng.standard_normal((3, 2, 2, 3))
    same = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same", dilation=(1, 2))
    assert same.shape == (3, 5, 6)  # one (C, H, W) image in, one out
    # totals d * (k - 1) = (1, 4): the odd row of padding goes at the bottom, as PyTorch's
    expected = cr.conv(cr.nhwc(x[None]), cr.hwio(w), dilations=(1, 2),
                       padding=((0, 1), (2, 2)))
    np.testing.assert_allclose(same.detach().numpy(), cr.nchw(expected)[0], **EXACT)
    valid = F.conv2d(torch.tensor(x[None]), torch.tensor(w), padding="valid")
    assert valid.shape == (1, 3, 4, 4)
    assert F.max_pool2d(torch.tensor(x), 2).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(torch.tensor(x), torch.tensor(w), stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to conv2d, but got input of size: \[5, 6\]"):
        F.conv2d(torch.tensor(x[0]), torch.tensor(w))


@pytest.mark.parametrize("call,error,words", [
    (lambda x: F.conv2d(x, torch.ones(4, 1, 2, 2), groups=2), NotImplementedError,
     "groups=2 is not supported"),
    (lambda x: nn.Conv2d(2, 4, 3, groups=2), NotImplementedError, "groups=2 is not supported"),
    (lambda x: nn.Conv2d(2, 4, 3, padding_mode="reflect"), NotImplementedError,
     "padding_mode='reflect' is not supported"),
    (lambda x: nn.Conv2d(2, 4, 3, padding_mode="mirror"), ValueError,
     "padding_mode must be one of"),
    (lambda x: F.max_pool2d(x, 2, dilation=2), NotImplementedError, "dilation=2"),
    (lambda x: F.max_pool2d(x, 2, ceil_mode=True), NotImplementedError, "ceil_mode=True"),
    (lambda x: nn.MaxPool2d(2, return_indices=True)(x), NotImplementedError, "return_indices"),
    (lambda x: F.avg_pool2d(x, 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda x: F.conv2d(x, torch.ones(4, 3, 2, 2)), ValueError,
     "input has 2 channels but the filter expects 3"),
    (lambda x: F.conv2d(x, torch.ones(4, 2, 5, 2)), ValueError,
     r"the filter \(5x2\) is larger than the padded input"),
], ids=["groups", "groups-module", "padding-mode", "bad-padding-mode", "dilation", "ceil",
        "indices", "pad", "channels", "kernel"])
def test_pytorch_refusals_say_why(call, error, words):
    with pytest.raises(error, match=words):
        call(torch.ones(1, 2, 4, 4))


class Net(nn.Module):
    """The 60-minute blitz's Net, on 12x12 images."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, dtype=tf.float64)
        self.conv2 = nn.Conv2d(3, 4, 3, padding=1, dtype=tf.float64)
        self.fc = nn.Linear(4 * 2 * 2, 2, dtype=tf.float64)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = nn.AvgPool2d(2)(F.relu(self.conv2(x)))
        return self.fc(x.view(-1, 4 * 2 * 2))


def test_the_blitz_tensor_methods_are_there():
    x = torch.randn(2, 4, 2, 2)
    assert x.size()[1:] == (4, 2, 2) and x.view(-1, 16).shape == (2, 16)
    assert torch.flatten(x, 1).shape == (2, 16)


def test_one_module_trains_the_same_eagerly_and_in_a_graph():
    torch.manual_seed(3)
    eager, static = Net(), Net()
    static.load_state_dict(eager.state_dict())
    x, y = rng.standard_normal((4, 1, 12, 12)), rng.standard_normal((4, 2))
    opt = optim.SGD(eager.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(eager(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
    xp, yp = tf.placeholder(tf.float64, (None, 1, 12, 12)), tf.placeholder(tf.float64, (None, 2))
    out = static(xp)
    train = optim.SGD(static.parameters(), lr=0.1).minimize(F.mse_loss(out, yp))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())  # (the optimizer's; not the parameters)
        for _ in range(3):
            sess.run(train, {xp: x, yp: y})
    for (name, a), b in zip(eager.state_dict().items(), static.state_dict().values()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=name)
