"""graphc.eager's PyTorch functions and Tensor methods against numpy (float64 values to
1e-12 relative; exact for indices, shapes, dtypes and comparisons), gradients of the new
differentiable paths against central finite differences (graphc.testing.check_gradients:
float64, rtol 1e-6, atol 1e-8), type promotion, and error messages by their words."""

import math

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
POSITIVE = RNG.uniform(0.5, 2.0, (3, 4))


def close(t, expected):
    assert isinstance(t, torch.Tensor)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-12, atol=1e-12)


# -- elementwise functions -----------------------------------------------------------------
@pytest.mark.parametrize("name, reference, data", [
    ("sin", np.sin, A), ("cos", np.cos, A), ("tanh", np.tanh, A), ("exp", np.exp, A),
    ("log", np.log, POSITIVE), ("sqrt", np.sqrt, POSITIVE), ("abs", np.abs, A),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), A), ("relu", lambda x: np.maximum(x, 0), A),
    ("square", np.square, A)])
def test_unary_functions_and_methods_match_numpy(name, reference, data):
    x = torch.tensor(data)
    close(getattr(torch, name)(x), reference(data))
    close(getattr(x, name)(), reference(data))


def test_binary_functions_match_numpy():
    a, b = torch.tensor(A), torch.tensor(POSITIVE)
    close(torch.pow(b, a), POSITIVE ** A)
    close(torch.clamp(a, min=-0.5, max=0.5), np.clip(A, -0.5, 0.5))
    close(torch.where(a > 0, a, b), np.where(A > 0, A, POSITIVE))
    close(torch.matmul(a, b.t()), A @ POSITIVE.T)
    close(torch.mm(a, b.T), A @ POSITIVE.T)
    close(torch.add(a, b), A + POSITIVE)
    close(torch.sub(a, b), A - POSITIVE)
    close(torch.mul(a, b), A * POSITIVE)
    close(torch.div(a, b), A / POSITIVE)
    close(torch.neg(a), -A)
    with pytest.raises(RuntimeError, match=r"mm: input must be a matrix \(2-d\), got shape "
                                           r"\(4,\)"):
        torch.mm(torch.tensor(A[0]), b)


def test_joining_and_reshaping():
    a, b = torch.tensor(A), torch.tensor(POSITIVE)
    close(torch.cat([a, b]), np.concatenate([A, POSITIVE]))
    close(torch.cat((a, b), dim=1), np.concatenate([A, POSITIVE], axis=1))
    close(torch.stack([a, b], dim=-1), np.stack([A, POSITIVE], axis=-1))
    assert a.unsqueeze(0).shape == (1, 3, 4) and torch.unsqueeze(a, -1).shape == (3, 4, 1)
    ones = torch.zeros(1, 3, 1)
    assert ones.squeeze().shape == (3,) and ones.squeeze(0).shape == (3, 1)
    assert ones.squeeze(1) is ones  # a dim whose size is not 1 is left, as PyTorch does
    with pytest.raises(IndexError, match=r"squeeze: dim 3 is out of range for shape "
                                         r"\(1, 3, 1\)"):
        ones.squeeze(3)
    assert torch.zeros(2, 3, 4).flatten().shape == (24,)
    assert torch.flatten(torch.zeros(2, 3, 4), 1).shape == (2, 12)
    close(a.transpose(0, 1), A.T)
    close(torch.transpose(torch.tensor(A.reshape(3, 2, 2)), 0, 2), A.reshape(3, 2, 2)
          .transpose(2, 1, 0))
    assert torch.t(torch.zeros(3)).shape == (3,) and a.view_as(torch.zeros(4, 3)).shape == (4, 3)
    assert torch.numel(a) == 12 and torch.reshape(a, (2, 6)).shape == (2, 6)


# -- reductions ------------------------------------------------------------------------------
def test_max_and_min_in_their_three_spellings():
    x = torch.tensor(A)
    close(torch.max(x), A.max())
    close(x.min(), A.min())
    values, indices = torch.max(x, 1)
    close(values, A.max(axis=1))
    assert indices.dtype == torch.int64 and indices.tolist() == A.argmax(axis=1).tolist()
    out = x.min(dim=0, keepdim=True)
    assert out.values.shape == (1, 4) and out.indices.shape == (1, 4)
    assert out.indices.tolist() == [A.argmin(axis=0).tolist()]
    close(torch.max(x, torch.tensor(POSITIVE)), np.maximum(A, POSITIVE))
    close(torch.min(x, torch.tensor(POSITIVE)), np.minimum(A, POSITIVE))
    with pytest.raises(TypeError, match="max: dim must be an int, not str"):
        x.max("1")


def test_argmax_and_argmin():
    x = torch.tensor(A)
    assert x.argmax().item() == A.argmax() and torch.argmin(x).item() == A.argmin()
    assert x.argmax(1).tolist() == A.argmax(1).tolist()
    assert torch.argmin(x, dim=0, keepdim=True).tolist() == [A.argmin(0).tolist()]
    assert x.argmax(keepdim=True).shape == (1, 1)


def test_sum_mean_and_their_dtypes():
    x = torch.tensor(A)
    close(x.sum(), A.sum())
    close(torch.sum(x, 1, keepdim=True), A.sum(1, keepdims=True))
    close(x.sum(dim=(0, 1)), A.sum())
    close(torch.mean(x, dim=0), A.mean(0))
    close(x.mean(1, keepdim=True), A.mean(1, keepdims=True))
    assert np.mean(x).item() == pytest.approx(A.mean(), rel=1e-12)  # numpy's spelling
    assert float(np.mean(torch.tensor([1, 2]))) == 1.5  # ... keeps numpy's meaning for ints
    flags = torch.tensor([True, False, True])
    assert flags.sum().dtype == torch.int64 and flags.sum().item() == 2
    small = torch.tensor([1, 2], dtype=torch.int32)
    assert small.sum().dtype == torch.int64  # integers sum as int64, as PyTorch's do
    assert torch.tensor([1, 2]).mean(dtype=torch.float64).item() == 1.5
    with pytest.raises(RuntimeError, match=r"mean\(\): input dtype should be a floating point "
                                           r"type, got int64 \(shape \(2,\)\); cast it with "
                                           r"\.float\(\)"):
        torch.tensor([1, 2]).mean()


def test_all_any_and_norm():
    x = torch.tensor(A)
    assert (x > -10).all().item() and not (x > 0).all().item() and (x > 0).any().item()
    assert torch.tensor([1, 0]).any().item() and not torch.all(torch.tensor([1, 0])).item()
    assert (x > 0).all(dim=1).tolist() == (A > 0).all(axis=1).tolist()
    close(x.norm(), np.linalg.norm(A))
    close(torch.norm(x, dim=1), np.linalg.norm(A, axis=1))
    close(x.norm(p=1), np.abs(A).sum())
    close(x.norm(p=math.inf), np.abs(A).max())
    with pytest.raises(ValueError, match="norm\\(\\): p=3 is not supported"):
        x.norm(p=3)
    with pytest.raises(RuntimeError, match="norm\\(\\): input dtype should be a floating"):
        torch.tensor([3, 4]).norm()


def test_softmax_and_log_softmax():
    x = torch.tensor(A)
    e = np.exp(A - A.max(1, keepdims=True))
    reference = e / e.sum(1, keepdims=True)
    close(torch.softmax(x, 1), reference)
    close(x.softmax(dim=1), reference)
    close(torch.log_softmax(x, dim=1), np.log(reference))
    close(x.log_softmax(-1), np.log(reference))


# -- gradients of the new paths --------------------------------------------------------------
@pytest.mark.parametrize("fn, inputs", [
    (lambda x: torch.max(x, 1).values, [A]),
    (lambda x: x.min(0, keepdim=True)[0], [A]),
    (lambda x, y: torch.max(x, y), [A, POSITIVE]),
    (lambda x: x.norm(), [A]),
    (lambda x: torch.norm(x, dim=0), [A]),
    (lambda x: torch.softmax(x, 1), [A]),
    (lambda x: x.log_softmax(0), [A]),
    (lambda x, y: torch.cat([x, y], 1), [A, POSITIVE]),
    (lambda x, y: torch.stack([x, y]), [A, POSITIVE]),
    (lambda x: x.unsqueeze(1).flatten(), [A]),
    (lambda x: x.transpose(0, 1).squeeze(), [A]),
    (lambda x: x.sum(1, keepdim=True) * x.mean(0), [A]),
    (lambda x: x.to(torch.float64).sin().cos(), [A]),
    (lambda x: x.pow(torch.tensor([1, 2, 3, 4])), [POSITIVE]),  # int64 exponent: promoted
])
def test_gradients_match_finite_differences(fn, inputs):
    gc.test.check_gradients(fn, inputs, mode="eager")


def test_casts_through_float32_keep_the_gradient():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (x.float() * 3).sum().backward()
    assert x.grad.dtype == torch.float64 and x.grad.tolist() == [3.0, 3.0]


# -- methods: casts, comparisons, formatting ---------------------------------------------------
def test_casts_return_the_tensor_itself_when_nothing_changes():
    x = torch.tensor([1.7, -2.2])
    assert x.float() is x and x.to(torch.float32) is x and x.type(torch.float) is x
    assert x.double().dtype == torch.float64 and x.long().tolist() == [1, -2]
    assert x.int().dtype == torch.int32 and x.bool().tolist() == [True, True]
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == torch.float64
    both = x.to("cpu", torch.float64)
    assert both.dtype == torch.float64 and both.device == "cpu"
    assert x.to(torch.zeros(1, dtype=torch.int64)).dtype == torch.int64
    with pytest.raises(TypeError, match=r"to\(\): unexpected keyword arguments \['memory'\]"):
        x.to(memory=1)


def test_comparison_methods():
    a, b = torch.tensor([1, 2, 3]), torch.tensor([3, 2, 1])
    assert a.eq(b).tolist() == [False, True, False] and a.ne(b).tolist() == [True, False, True]
    assert a.lt(b).tolist() == [True, False, False] and a.le(b).tolist() == [True, True, False]
    assert a.gt(b).tolist() == [False, False, True] and a.ge(b).tolist() == [False, True, True]
    assert a.eq(a).all().item() and a.eq(2).any().item()


def test_format():
    loss = torch.tensor(0.12345)
    assert f"{loss:.2f}" == "0.12" and f"{loss:+.1e}" == "+1.2e-01"
    assert f"{torch.tensor(3)}" == "3"  # a 0-d tensor formats as its value, as in PyTorch
    row = torch.tensor([1.0, 2.0])
    assert f"{row}" == repr(row) == "tensor([1., 2.])"
    with pytest.raises(TypeError, match=r"unsupported format string '.2f' passed to "
                                        r"Tensor.__format__: only a 0-d tensor"):
        f"{row:.2f}"  # noqa: B018
    assert int(torch.tensor(7)) == 7 and [10, 20, 30][torch.tensor(1)] == 20
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1][torch.tensor(0.0)]  # noqa: B018


def test_new_tensor_family():
    x = torch.tensor([1.0], dtype=torch.float64)
    assert x.new_tensor([2, 3]).dtype == torch.float64
    assert x.new_zeros(2, 2).tolist() == [[0, 0], [0, 0]] and x.new_ones((1,)).tolist() == [1]
    assert x.new_full((2,), 5).tolist() == [5.0, 5.0] and x.new_zeros(1).dtype == torch.float64


# -- type promotion ----------------------------------------------------------------------------
def test_promotion_across_kinds_follows_pytorch():
    f32 = torch.tensor([1.5, 2.5])
    ints = torch.tensor([1, 2])
    assert (f32 * ints).dtype == torch.float32 and (ints + f32).tolist() == [2.5, 4.5]
    assert f32.pow(ints).tolist() == [1.5, 6.25]
    assert (ints * 2.5).dtype == torch.float32 and (ints * 2.5).tolist() == [2.5, 5.0]
    assert (ints + 1).dtype == torch.int64
    assert (torch.tensor([True, False]) + ints).dtype == torch.int64
    # a 0-d tensor decides only where its kind is higher
    assert (f32 * torch.tensor(2.0, dtype=torch.float64)).dtype == torch.float32
    assert (ints * torch.tensor(0.5, dtype=torch.float64)).dtype == torch.float64
    assert torch.where(ints > 1, ints, f32).tolist() == [1.5, 2.0]
    assert (f32 > ints).tolist() == [True, True]
    with pytest.raises(TypeError, match=r"different dtypes: float32\(2,\) and float64\(2,\)"):
        f32 + torch.tensor([1.0, 2.0], dtype=torch.float64)  # one kind: no silent widening


def test_in_place_updates_never_narrow_a_promoted_result():
    counts = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"\+=: the result type float32 can't be cast to "
                                           r"the dtype of the tensor updated in place, int64"):
        counts += 0.5
    assert counts.tolist() == [1, 2]
    values = torch.tensor([1.0, 2.0])
    values += torch.tensor([1, 2])  # float32 += int64 stays float32
    assert values.dtype == torch.float32 and values.tolist() == [2.0, 4.0]


def test_promotion_follows_the_default_dtype_after_it_changes():
    """The promotion of an op signature is remembered, but never across default dtypes."""
    import graphc.eager as torch

    ints = torch.tensor([1, 2, 7])
    assert (ints / 2).dtype == torch.float32 and (ints * 2.5).dtype == torch.float32
    torch.set_default_dtype(torch.float64)
    try:
        half, scaled = ints / 2, ints * 2.5
        assert half.dtype == torch.float64 and scaled.dtype == torch.float64
        np.testing.assert_array_equal(half.numpy(), [0.5, 1.0, 3.5])
    finally:
        torch.set_default_dtype(torch.float32)
    assert (ints / 2).dtype == torch.float32
