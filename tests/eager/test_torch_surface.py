"""graphc.eager as `torch`: dtype names, devices, torch.nn / torch.optim, creation functions,
the Tensor constructor's spellings, `.data`, and save/load. Values are compared with numpy
exactly (creation copies or rounds once, as numpy does)."""

import importlib
import pickle
import sys

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch


@pytest.fixture
def default_dtype():
    before = torch.get_default_dtype()
    yield
    torch.set_default_dtype(before)


# -- dtypes and devices ----------------------------------------------------------------------
def test_dtype_names_are_graphc_dtypes():
    assert torch.float is gc.float32 and torch.float32 is gc.float32
    assert torch.double is gc.float64 and torch.float64 is gc.float64
    assert torch.long is gc.int64 and torch.int64 is gc.int64
    assert torch.int is gc.int32 and torch.int32 is gc.int32 and torch.bool is gc.bool


def test_default_dtype_governs_floats_and_random_tensors(default_dtype):
    assert torch.get_default_dtype() == torch.float32
    torch.set_default_dtype(torch.float64)
    assert torch.tensor([1.5]).dtype == torch.float64
    assert torch.tensor([1]).dtype == torch.int64  # ints are unaffected
    for made in (torch.randn(2), torch.rand(2), torch.zeros(2), torch.ones(2),
                 torch.linspace(0, 1, 3), torch.arange(0.0, 1.0, 0.5), torch.full((2,), 1.0),
                 torch.Tensor([1.0]), torch.Tensor(2)):
        assert made.dtype == torch.float64
    with pytest.raises(TypeError, match="only floating-point types .* not int64"):
        torch.set_default_dtype(torch.int64)


def test_device_names_compare_and_route():
    cpu, cuda = torch.device("cpu"), torch.device("cuda:0")
    assert str(cuda) == "cuda:0" and repr(cuda) == "device(type='cuda', index=0)"
    assert cuda.type == "cuda" and cuda.index == 0 and repr(cpu) == "device(type='cpu')"
    assert cuda == "cuda" and cuda == torch.device("cuda", 0) and cpu == "cpu" and cpu != cuda
    assert torch.device(cuda) == cuda
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        torch.device("tpu")
    t = torch.zeros(2, device=cpu)
    assert t.device == "cpu" and t.device == cpu and t.to(cpu) is t
    assert isinstance(torch.cuda.is_available(), bool)
    assert torch.cuda.device_count() == int(torch.cuda.is_available())


# -- torch.nn, torch.optim -------------------------------------------------------------------
def test_nn_and_optim_are_graphcs_own_modules():
    import graphc.nn
    import graphc.nn.functional
    import graphc.optim

    assert torch.nn is graphc.nn and torch.optim is graphc.optim
    nn = importlib.import_module("graphc.eager.nn")
    functional = importlib.import_module("graphc.eager.nn.functional")
    assert nn is graphc.nn and functional is graphc.nn.functional
    assert importlib.import_module("graphc.eager.optim") is graphc.optim
    assert importlib.import_module("graphc.eager.optim.sgd") is sys.modules["graphc.optim.sgd"]
    # the real modules keep their own identity
    assert graphc.nn.__spec__.name == "graphc.nn"
    assert graphc.nn.functional.__spec__.name == "graphc.nn.functional"
    assert not hasattr(graphc.nn.functional, "__path__")
    assert isinstance(torch.nn.Parameter(torch.zeros(1)), torch.Tensor)
    with pytest.raises(AttributeError, match="has no attribute 'vision'"):
        torch.vision  # noqa: B018


# -- creation ------------------------------------------------------------------------------
def test_ranges_match_numpy():
    x = torch.linspace(-np.pi, np.pi, 7)
    assert x.dtype == torch.float32
    np.testing.assert_array_equal(x.numpy(), np.linspace(-np.pi, np.pi, 7).astype(np.float32))
    assert torch.linspace(0, 1, 5, dtype=torch.float64).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert torch.arange(5).dtype == torch.int64 and torch.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert torch.arange(1, 7, 2).tolist() == [1, 3, 5]
    halves = torch.arange(0, 2, 0.5)
    assert halves.dtype == torch.float32 and halves.tolist() == [0, 0.5, 1, 1.5]
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        torch.arange(0, 1, 0)


def test_filled_and_like_tensors():
    assert torch.full((2, 3), 7).dtype == torch.int64
    assert torch.full((2,), 0.5).tolist() == [0.5, 0.5] and torch.full([1], True).dtype == gc.bool
    base = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    for like, value in ((torch.zeros_like(base), 0.0), (torch.ones_like(base), 1.0),
                        (torch.full_like(base, 3.0), 3.0)):
        assert like.shape == (1, 2) and like.dtype == torch.float64
        assert like.tolist() == [[value, value]] and not like.requires_grad
    assert torch.zeros_like(base, dtype=torch.int64).dtype == torch.int64
    assert torch.ones_like(base, requires_grad=True).requires_grad
    np.testing.assert_array_equal(torch.eye(2, 3).numpy(), np.eye(2, 3))
    assert torch.empty(2, 3).shape == (2, 3)
    torch.manual_seed(0)
    draws = torch.randint(0, 3, (100,))
    assert draws.dtype == torch.int64 and set(draws.tolist()) == {0, 1, 2}
    assert torch.randn_like(base).shape == (1, 2) and torch.rand_like(base).dtype == torch.float64
    order = torch.randperm(6)
    assert order.dtype == torch.int64 and sorted(order.tolist()) == list(range(6))
    assert torch.zeros(2, 3).shape == torch.Size([2, 3]) and torch.zeros(4).size(0) == 4


def test_set_grad_enabled_as_call_and_as_context():
    w = torch.ones(1, requires_grad=True)
    try:
        torch.set_grad_enabled(False)
        assert not (w * 2).requires_grad and not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad


def test_from_numpy_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = torch.from_numpy(a)
    assert t.dtype == torch.float64 and t.shape == (2, 3)
    a[0, 0] = 9
    assert t[0, 0].item() == 9
    t[1, 2] = -1
    assert a[1, 2] == -1
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError, match="dtype complex128 is not supported"):
        torch.from_numpy(np.zeros(2, complex))


def test_tensor_constructor_spellings():
    t = torch.Tensor([-4.0])
    assert t.dtype == torch.float32 and t.tolist() == [-4.0]
    assert torch.Tensor([1, 2]).dtype == torch.float32  # always the default float dtype
    blank = torch.Tensor(2, 3)
    assert blank.shape == (2, 3) and blank.dtype == torch.float32
    assert torch.Tensor().shape == (0,)
    assert torch.Tensor((1.5, 2.5)).double().dtype == torch.float64
    assert torch.FloatTensor([1, 2]).dtype == torch.float32
    assert torch.LongTensor([1, 2]).tolist() == [1, 2] and torch.LongTensor(3).shape == (3,)
    assert torch.DoubleTensor(2, 2).dtype == torch.float64
    assert torch.BoolTensor([1, 0]).tolist() == [True, False]
    assert torch.IntTensor([3]).dtype == torch.int32
    with pytest.raises(TypeError, match="data must be a sequence .* not float"):
        torch.Tensor(2.5)
    with pytest.raises(TypeError, match=r"give either sizes or data, not list data and sizes"):
        torch.Tensor([1.0], 2)
    assert torch.is_tensor(t) and not torch.is_tensor(np.zeros(1))


# -- .data -------------------------------------------------------------------------------------
def test_data_is_an_unrecorded_tensor_sharing_storage():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, torch.Tensor) and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), w.detach().numpy())
    d[0] = 5.0  # visible through w, and not recorded
    assert w.tolist() == [5.0, 2.0]
    assert w.data.norm().item() == pytest.approx(np.hypot(5.0, 2.0))
    w.data = torch.tensor([7.0, 8.0, 9.0])  # replaces the values, shape and all
    assert w.tolist() == [7.0, 8.0, 9.0] and w.requires_grad
    source = torch.zeros(3)
    w.data = source
    source[1] = 4.0  # shares the assigned tensor's storage, as PyTorch does
    assert w.tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(TypeError, match="data: assigned value must be a tensor, not list"):
        w.data = [1.0]


def test_updates_through_data_as_pytorch_tutorials_write_them():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data -= 0.25 * w.grad.data  # in place, unrecorded
    assert w.tolist() == [0.5, 1.0] and w.requires_grad and w.is_leaf
    w.grad.data.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


def test_parameter_data_assignment_keeps_native_storage():
    p = torch.nn.Parameter(torch.zeros(2, 3))
    view = np.arange(6.0).reshape(3, 2).T  # Fortran-ordered
    p.data = torch.from_numpy(view)
    assert p.array.flags.c_contiguous and p.array is not view
    np.testing.assert_array_equal(p.array, view)


# -- save and load ---------------------------------------------------------------------------
def test_save_load_round_trips_tensors_and_state_dicts(tmp_path):
    model = torch.nn.Linear(3, 2)
    path = tmp_path / "model.ckpt"
    torch.save(model.state_dict(), str(path))
    assert path.exists() and not (tmp_path / "model.ckpt.npz").exists()
    loaded = torch.load(path)
    assert list(loaded) == ["weight", "bias"]
    for key, value in model.state_dict().items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())
    other = torch.nn.Linear(3, 2)
    other.load_state_dict(loaded)
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())

    counts = torch.tensor([[1, 2], [3, 4]])
    torch.save(counts, tmp_path / "counts.pt")
    back = torch.load(tmp_path / "counts.pt", map_location="cpu")
    assert isinstance(back, torch.Tensor) and back.dtype == torch.int64
    assert back.tolist() == [[1, 2], [3, 4]]


def test_save_and_load_refuse_what_they_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="save: the object is a set; graphc saves a tensor, a "
                                        "dict of str -> tensor"):
        torch.save({torch.zeros(1)}, tmp_path / "x")
    with pytest.raises(TypeError, match=r"save: the object\['model'\] is a Linear"):
        torch.save({"model": torch.nn.Linear(2, 2), "epoch": 3}, tmp_path / "x")
    with pytest.raises(TypeError, match="a saved dict's keys must be strings or ints"):
        torch.save({1.5: torch.zeros(1)}, tmp_path / "x")
    pickled = tmp_path / "torch.pt"
    pickled.write_bytes(pickle.dumps({"weight": [1.0]}))
    with pytest.raises(RuntimeError, match="is not a file graphc.eager.save wrote.*never "
                                           "unpickles"):
        torch.load(pickled)
    np.save(tmp_path / "plain.npy", np.zeros(2))
    with pytest.raises(RuntimeError, match="a numpy file, but not one graphc.eager.save"):
        torch.load(tmp_path / "plain.npy")
