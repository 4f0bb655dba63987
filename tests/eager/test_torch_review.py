"""graphc.eager against PyTorch's documented semantics where a hostile or careless program
finds the corners: true division of integers, in-place updates that would widen, the
gradient of max(x, dim) and of a zero norm, save/load of crafted files. Values in float64
against numpy or hand formulas; gradients against central finite differences."""

import zipfile

import numpy as np
import pytest

import graphc.eager as torch


@pytest.fixture
def float64_default():
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


# -- true division ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: torch.tensor([1, 2, 7]) / 2,
    lambda: torch.tensor([1, 2, 7]) / torch.tensor([2, 2, 2]),
    lambda: 7 / torch.tensor([1, 2, 7]),
    lambda: torch.tensor([1, 2, 7], dtype=torch.int32) / torch.tensor(2),
    lambda: torch.tensor([True, False]) / 2,
    lambda: torch.div(torch.tensor([1, 2, 7]), 2),
])
def test_true_division_of_integers_is_the_default_float_dtype(make, float64_default):
    """torch.div: integer (and bool) inputs are promoted to the default scalar type."""
    assert make().dtype == torch.float64
    torch.set_default_dtype(torch.float32)
    assert make().dtype == torch.float32


def test_true_division_of_integers_values():
    np.testing.assert_array_equal((torch.tensor([1, 2, 7]) / 2).numpy(),
                                  np.array([0.5, 1.0, 3.5], np.float32))


@pytest.mark.parametrize("update, words", [
    (lambda t: t.__itruediv__(2), "/=: the result type float32 can't be cast to the dtype "
                                  "of the tensor updated in place, int64"),
    (lambda t: t.__itruediv__(torch.tensor([2, 2])), "/=: the result type float32"),
])
def test_in_place_true_division_of_integers_raises_as_pytorch(update, words):
    t = torch.tensor([4, 6])
    with pytest.raises(RuntimeError, match=words):
        update(t)
    assert t.tolist() == [4, 6]


def test_adding_an_int_to_a_bool_tensor_in_place_raises():
    t = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match=r"\+=: the result type int64 can't be cast to the "
                                           "dtype of the tensor updated in place, bool"):
        t += 1
    assert t.tolist() == [True, False]


# -- max(x, dim) and norm: gradients ---------------------------------------------------------
def test_max_along_dim_sends_the_gradient_to_the_index_alone():
    """PyTorch's max/min(dim) backward scatters into `indices` (ties included), unlike the
    full reduction max(x), which shares it among ties."""
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=torch.float64,
                     requires_grad=True)
    values, indices = torch.max(x, 1)
    (values * torch.tensor([1.0, 10.0], dtype=torch.float64)).sum().backward()
    assert indices.tolist() == [1, 0]
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [10, 0, 0]])
    x.grad = None
    values, indices = x.min(dim=-1, keepdim=True)
    values.sum().backward()
    assert values.shape == (2, 1) and indices.tolist() == [[0], [2]]
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [0, 0, 1]])


def test_max_along_dim_values_when_recorded_match_numpy():
    a = np.array([[1.0, np.nan, 3.0], [-np.inf, -np.inf, np.inf], [-0.5, -2.0, -0.25]])
    x = torch.tensor(a, requires_grad=True)
    for fn, ref in ((torch.max, np.max), (torch.min, np.min)):
        values, indices = fn(x, 1)
        np.testing.assert_array_equal(values.detach().numpy(), ref(a, 1))
        assert indices.tolist() == list((np.argmax if fn is torch.max else np.argmin)(a, 1))


def test_max_along_dim_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5))
    weights = rng.standard_normal(5)
    x = torch.tensor(a, requires_grad=True)
    (torch.max(x, 0).values * torch.tensor(weights)).sum().backward()

    def f(v):
        return (v.max(0) * weights).sum()
    h, numeric = 1e-6, np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = h
        numeric[i] = (f(a + d) - f(a - d)) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_max_takes_a_numpy_integer_dim():
    x = torch.tensor([[1.0, 5.0], [7.0, 2.0]])
    values, indices = torch.max(x, np.int64(1))
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]


def test_norm_at_zero_has_a_zero_gradient():
    """PyTorch's norm backward is 0 where the norm is 0 (sqrt's inf times 0 would be NaN)."""
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.norm(w).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0, 0.0])
    w = torch.tensor([[0.0, 0.0], [3.0, -4.0]], dtype=torch.float64, requires_grad=True)
    n = w.norm(dim=1)
    np.testing.assert_array_equal(n.detach().numpy(), [0.0, 5.0])
    n.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [[0, 0], [0.6, -0.8]], rtol=1e-12)
    assert np.isnan(torch.norm(torch.tensor([np.nan, 1.0])).item())


# -- save and load ---------------------------------------------------------------------------
def test_save_keeps_keys_that_are_numpy_savez_parameter_names(tmp_path):
    state = {"file": torch.ones(2), "allow_pickle": torch.zeros(1), "args": torch.ones(1)}
    torch.save(state, tmp_path / "s.pt")
    back = torch.load(tmp_path / "s.pt")
    assert list(back) == ["file", "allow_pickle", "args"]
    assert back["allow_pickle"].tolist() == [0.0] and back["file"].tolist() == [1.0, 1.0]
    with np.load(tmp_path / "s.pt") as plain:  # still numpy's npz format
        assert sorted(plain.files) == ["__graphc_eager__", "allow_pickle", "args", "file"]


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled",))


@pytest.mark.parametrize("entries, words", [
    (dict(__graphc_eager__=np.array("tensor")), "must be 'dict', or 'tensor' with the one "
                                                "entry 'tensor'"),
    (dict(__graphc_eager__=np.array("bogus"), a=np.ones(2)), "its '__graphc_eager__' entry"),
    (dict(__graphc_eager__=np.array(5), a=np.ones(2)), "its '__graphc_eager__' entry"),
    (dict(__graphc_eager__=np.array("dict"), a=np.ones(2, complex)),
     "the entry 'a' of .* holds complex128 data, not a tensor's numbers"),
    (dict(__graphc_eager__=np.array("dict"), a=np.array(["x"])), "holds <U1 data"),
    (dict(__graphc_eager__=np.array("dict"), a=np.array([_Evil()], object)),
     "damaged or not a file graphc.eager.save wrote.*never unpickles"),
])
def test_load_refuses_crafted_files_clearly(tmp_path, entries, words, capsys):
    path = tmp_path / "crafted.npz"
    np.savez(path, **entries)
    with pytest.raises(RuntimeError, match=words):
        torch.load(path)
    assert "unpickled" not in capsys.readouterr().out


def test_load_refuses_truncated_and_foreign_zip_files(tmp_path):
    torch.save(torch.ones(3), tmp_path / "ok.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "ok.pt").read_bytes()[:60])
    with pytest.raises(RuntimeError, match="is not a file graphc.eager.save wrote"):
        torch.load(tmp_path / "cut.pt")
    with zipfile.ZipFile(tmp_path / "foreign.pt", "w") as archive:
        archive.writestr("__graphc_eager__.npy", (tmp_path / "ok.pt").read_bytes()[:0])
        archive.writestr("notes.txt", b"hello")
    with pytest.raises(RuntimeError, match="not a file graphc.eager.save wrote"):
        torch.load(tmp_path / "foreign.pt")


def test_load_reads_big_endian_arrays_in_native_order(tmp_path):
    np.savez(tmp_path / "be.npz", __graphc_eager__=np.array("dict"),
             w=np.array([1.5, -2.0], ">f8"))
    w = torch.load(tmp_path / "be.npz")["w"]
    assert w.dtype == torch.float64 and (w + 1).tolist() == [2.5, -1.0]


def test_data_of_a_tensor_that_requires_grad_must_stay_floating_point():
    """PyTorch: 'data set to a tensor that requires gradients must be floating point' (an
    int64 parameter would silently get no gradient)."""
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients "
                                           "must be floating point, not int64"):
        w.data = torch.tensor([1, 2, 3])
    assert w.dtype == torch.float32
    w.data = torch.ones(2, 2, dtype=torch.float64)  # another shape and float dtype: PyTorch's
    assert w.shape == (2, 2) and w.dtype == torch.float64
    counts = torch.zeros(2, dtype=torch.int64)
    counts.data = torch.tensor([True, False])
    assert counts.dtype == torch.bool


@pytest.mark.xfail(strict=True, reason="the maximum/minimum op's gradient follows "
                   "TensorFlow's rule (all of g to the first input on ties); PyTorch's "
                   "torch.max(a, b) and torch.maximum split it, g/2 to each; changing it "
                   "touches the op shared with graphs")
def test_elementwise_max_splits_the_gradient_on_ties_as_pytorch():
    a = torch.tensor([3.0, 1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.max(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0])
