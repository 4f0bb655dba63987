"""Padding as PyTorch spells it (graphc/nn/padding.py): F.pad, with its pads listed from the
last dim backward, and the modules nn.ZeroPad*, nn.ConstantPad*, nn.ReflectionPad*,
nn.ReplicationPad*, nn.CircularPad*, eagerly and in graphs, against np.pad; gradients
against finite differences; PyTorch's errors."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
import graphc.nn.functional as F
from graphc import nn
from tests.nn.modes import check_both_modes, run_graph

rng = np.random.default_rng(5)
NUMPY = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
         "circular": "wrap"}


def numpy_pad(x, pads, mode, value=0.0):
    """np.pad of x by PyTorch's pads (the last dim's pair first)."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(pads) // 2):
        widths[x.ndim - 1 - k] = (pads[2 * k], pads[2 * k + 1])
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=NUMPY[mode])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_f_pad_lists_pads_from_the_last_dim_backward(mode):
    # (the other modes pad the last 1, 2 or 3 dims of an input with 1 or 2 dims more)
    for shape, pads in [((2, 3, 4), (1, 2)), ((2, 3, 3, 4), (2, 0, 1, 2)),
                        ((1, 2, 3, 3, 4), (1, 1, 0, 2, 2, 1))]:
        x = rng.standard_normal(shape)
        check_both_modes(lambda t, pads=pads: F.pad(t, pads, mode), numpy_pad(x, pads, mode), x)
    check_both_modes(lambda t: F.pad(t, [3, 1]), numpy_pad(x, (3, 1), "constant"), x)


def test_f_pad_constant_values_and_cropping():
    x = rng.standard_normal((2, 3, 4))
    check_both_modes(lambda t: F.pad(t, (1, 1, 2, 0), value=-3.5),
                     numpy_pad(x, (1, 1, 2, 0), "constant", -3.5), x)
    # a negative pad crops: (-1, 2) drops the first column and adds two; (0, -2) the last rows
    check_both_modes(lambda t: F.pad(t, (-1, 2, 0, -2), value=9.0),
                     np.pad(x[:, :1, 1:], ((0, 0), (0, 0), (0, 2)), constant_values=9.0), x)
    ints = torch.tensor(np.array([[1, 2], [3, 4]]))
    got = F.pad(ints, (1, 0), value=7)
    assert got.dtype == gc.int64
    np.testing.assert_array_equal(np.asarray(got), [[7, 1, 2], [7, 3, 4]])


def test_graph_tensors_of_unknown_size():
    x = rng.standard_normal((2, 3, 5))

    def padded(t):
        t = gc.placeholder_with_default(t, (None, 3, None))
        y = F.pad(t, (2, 1, 1, 1), "reflect")
        assert y.shape == (None, 5, None)
        return y
    got = run_graph(padded, x)
    np.testing.assert_allclose(got, numpy_pad(x, (2, 1, 1, 1), "reflect"), rtol=1e-12)


MODULES = [
    (nn.ZeroPad1d(2), "constant", (2, 2), "ZeroPad1d((2, 2))"),
    (nn.ZeroPad2d((1, 0, 2, 1)), "constant", (1, 0, 2, 1), "ZeroPad2d((1, 0, 2, 1))"),
    (nn.ZeroPad3d(1), "constant", (1,) * 6, "ZeroPad3d((1, 1, 1, 1, 1, 1))"),
    (nn.ConstantPad1d((0, 3), 2.5), "constant", (0, 3),
     "ConstantPad1d(padding=(0, 3), value=2.5)"),
    (nn.ConstantPad2d(1, -1.0), "constant", (1, 1, 1, 1),
     "ConstantPad2d(padding=(1, 1, 1, 1), value=-1.0)"),
    (nn.ConstantPad3d((1, 0, 0, 1, 1, 0), 0.5), "constant", (1, 0, 0, 1, 1, 0), None),
    (nn.ReflectionPad1d((2, 1)), "reflect", (2, 1), "ReflectionPad1d((2, 1))"),
    (nn.ReflectionPad2d(1), "reflect", (1, 1, 1, 1), "ReflectionPad2d((1, 1, 1, 1))"),
    (nn.ReflectionPad3d((1, 0, 1, 1, 0, 1)), "reflect", (1, 0, 1, 1, 0, 1), None),
    (nn.ReplicationPad1d(3), "replicate", (3, 3), "ReplicationPad1d((3, 3))"),
    (nn.ReplicationPad2d((0, 2, 1, 0)), "replicate", (0, 2, 1, 0), None),
    (nn.ReplicationPad3d(1), "replicate", (1,) * 6, None),
    (nn.CircularPad1d((2, 3)), "circular", (2, 3), "CircularPad1d((2, 3))"),
    (nn.CircularPad2d(1), "circular", (1, 1, 1, 1), None),
    (nn.CircularPad3d((0, 1, 1, 0, 1, 1)), "circular", (0, 1, 1, 0, 1, 1), None),
]


@pytest.mark.parametrize("module, mode, pads, text", MODULES,
                         ids=[type(m[0]).__name__ for m in MODULES])
def test_padding_modules_in_both_modes(module, mode, pads, text):
    assert module.padding == pads
    if text is not None:
        assert repr(module) == text
    x = rng.standard_normal((1, 2, 2, 3, 4) if "3d" in type(module).__name__ else (2, 3, 4))
    value = getattr(module, "value", 0.0) if mode == "constant" else 0.0
    check_both_modes(module, numpy_pad(x, pads, mode, value), x)
    assert list(module.parameters()) == []


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("how", ["graph", "eager"])
def test_gradients_match_finite_differences(mode, how):
    pads = {"constant": (1, 2, 0, 1), "reflect": (2, 1, 1, 2), "replicate": (3, 1, 1, 2),
            "circular": (3, 2, 3, 0)}[mode]
    report = gc.test.check_gradients(lambda t: F.pad(t, pads, mode, value=None),
                                     [rng.standard_normal((1, 3, 3))], mode=how)
    assert report.checked == 9


def test_module_gradient_eagerly_adds_the_copies_back():
    x = torch.tensor(np.zeros((1, 1, 3)), requires_grad=True)
    y = nn.ReplicationPad1d((2, 1))(x)  # positions 0 0 | 0 1 2 | 2
    (y * torch.tensor(np.arange(1.0, 7.0))).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[[1 + 2 + 3, 4, 5 + 6]]])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_conv_net_with_reflection_padding_on_both_backends(backend):
    x = rng.standard_normal((2, 1, 5, 5))
    pad, conv = nn.ReflectionPad2d(1), nn.Conv2d(1, 2, 3, dtype=gc.float64)
    xp = gc.placeholder(gc.float64, (None, 1, 5, 5))
    loss = (conv(pad(xp)) ** 2).sum()
    (dx,) = gc.gradients(loss, [xp])
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        got_loss, got_dx = sess.run([loss, dx], {xp: x})
    eager = torch.tensor(x, requires_grad=True)
    want = (conv(pad(eager)) ** 2).sum()
    want.backward()
    np.testing.assert_allclose(got_loss, want.item(), rtol=1e-10)
    np.testing.assert_allclose(got_dx, np.asarray(eager.grad), rtol=1e-10, atol=1e-12)


# -- errors ------------------------------------------------------------------------------------
def test_pytorchs_errors():
    x = torch.tensor(rng.standard_normal((2, 3)))
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to "
                                           "two times the input dimension but got padding "
                                           "length 6 and input of dimension 2"):
        F.pad(x, (1,) * 6)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode edge"):
        F.pad(x, (1, 1), "edge")
    with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value '
                                           "argument"):
        F.pad(x, (1, 1), "reflect", value=1.0)
    with pytest.raises(RuntimeError, match="Only 2D, 3D, 4D, 5D padding with non-constant "
                                           "padding are supported for now"):
        F.pad(x, (1, 1, 1, 1), "replicate")
    with pytest.raises(TypeError, match="must be tuple of ints, but found element of type "
                                        "float at pos 1"):
        F.pad(x, (1, 1.0))
    with pytest.raises(RuntimeError, match="The input size 3, plus negative padding -2 and -2 "
                                           "resulted in a negative output size"):
        F.pad(x, (-2, -2))


def test_pads_that_do_not_fit_the_mode():
    x = gc.placeholder(gc.float32, (None, 2, 3))
    with pytest.raises(ValueError, match=r"mode 'reflect' pads dimension 2 \(size 3\) of "
                                         r"shape \(None, 2, 3\) by \(1, 3\): each pad must "
                                         "be less than the dimension size"):
        F.pad(x, (1, 3), "reflect")
    with pytest.raises(ValueError, match=r"mode 'circular' pads dimension 1 \(size 2\) .* "
                                         "no greater than the dimension size .*wrap around "
                                         "more than once"):
        nn.CircularPad2d((0, 0, 3, 0))(x)
    with pytest.raises(ValueError, match=r"pad: negative pads \(cropping\) are not supported"
                                         r": paddings \[\[0, 0\], \[0, 0\], \[-1, 1\]\]"):
        F.pad(x, (-1, 1), "replicate")
    with pytest.raises(ValueError, match="mode 'replicate' pads dimension 1 .*a dimension of "
                                         "size 0 has no element to repeat"):
        F.pad(torch.tensor(np.zeros((1, 0, 2))), (0, 0, 1, 1), "replicate")
