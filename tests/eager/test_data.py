"""graphc.eager.utils.data as `torch.utils.data`: datasets, random_split, default_collate and
the DataLoader, checked value by value against numpy slices of the same data."""

import collections
import importlib
import sys

import numpy as np
import pytest

import graphc.eager as torch
import graphc.eager.utils.data as data
from graphc.eager.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                                     default_collate, random_split)

N = 10
X = np.arange(N * 3, dtype=np.float32).reshape(N, 3)
Y = np.arange(N, dtype=np.int64) * 7


@pytest.fixture
def dataset() -> TensorDataset:
    return TensorDataset(torch.from_numpy(X.copy()), torch.from_numpy(Y.copy()))


def example_ids(batches) -> list[int]:
    """The example index of every row of the batches' labels (Y is 7 * index)."""
    return [int(v) // 7 for _, yb in batches for v in yb.tolist()]


class Squares(Dataset):
    """A beginner's own map-style dataset: example i is (i, i * i)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[int, int]:
        return i, i * i


# -- names ----------------------------------------------------------------------------------
def test_torch_utils_data_names_and_module():
    assert torch.utils.data is data
    assert torch.utils.data.DataLoader is DataLoader
    assert importlib.import_module("graphc.eager.utils.data") is sys.modules[data.__name__]
    for name in ("Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader",
                 "random_split", "default_collate"):
        assert hasattr(data, name), name


# -- datasets -------------------------------------------------------------------------------
def test_tensor_dataset_items_are_rows(dataset):
    assert len(dataset) == N
    for i in (0, 4, N - 1, -1):
        x, y = dataset[i]
        np.testing.assert_array_equal(x.numpy(), X[i])
        assert y.item() == Y[i] and y.dtype == torch.int64
    assert len(list(dataset)) == N  # the sequence protocol stops at IndexError


def test_tensor_dataset_checks_its_tensors():
    with pytest.raises(ValueError, match=r"Size mismatch.*first dimension.*sizes 10, 9"):
        TensorDataset(torch.zeros(10, 2), torch.zeros(9))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="takes tensors; argument 1 is a ndarray"):
        TensorDataset(torch.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="tensor 0 is 0-d"):
        TensorDataset(torch.tensor(1.0))
    with pytest.raises(IndexError, match="index 10 is out of range.*10 examples"):
        TensorDataset(torch.zeros(10))[10]


def test_dataset_base_class_and_concat(dataset):
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]
    both = dataset + Squares(4)
    assert isinstance(both, ConcatDataset) and len(both) == N + 4
    np.testing.assert_array_equal(both[N - 1][0].numpy(), X[N - 1])
    assert both[N] == (0, 0) and both[N + 3] == (3, 9) and both[-1] == (3, 9)
    assert both[-(N + 4)][1].item() == Y[0]
    with pytest.raises(IndexError, match="out of range"):
        both[N + 4]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_subset_reads_its_indices_in_order(dataset):
    sub = Subset(dataset, [7, 2, 5])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub[0][0].numpy(), X[7])
    assert [sub[i][1].item() for i in range(3)] == [Y[7], Y[2], Y[5]]


# -- random_split ---------------------------------------------------------------------------
def test_random_split_sizes_are_disjoint_and_cover(dataset):
    torch.manual_seed(3)
    parts = random_split(dataset, [6, 3, 1])
    assert [len(p) for p in parts] == [6, 3, 1]
    indices = [i for p in parts for i in p.indices]
    assert sorted(indices) == list(range(N))
    for p in parts:
        for j, i in enumerate(p.indices):
            np.testing.assert_array_equal(p[j][0].numpy(), X[i])


def test_random_split_is_reproducible_under_manual_seed(dataset):
    torch.manual_seed(11)
    first = [p.indices for p in random_split(dataset, [5, 5])]
    torch.manual_seed(11)
    again = [p.indices for p in random_split(dataset, [5, 5])]
    assert first == again
    gen = [p.indices for p in random_split(dataset, [5, 5], np.random.default_rng(1))]
    assert gen == [p.indices for p in random_split(dataset, [5, 5], np.random.default_rng(1))]


def test_random_split_fractions(dataset):
    # floor(10 * f) = 3, 3, 3; the remainder 1 goes to the first split
    assert [len(p) for p in random_split(dataset, [1 / 3, 1 / 3, 1 / 3])] == [4, 3, 3]
    assert [len(p) for p in random_split(dataset, [0.8, 0.2])] == [8, 2]
    with pytest.warns(UserWarning, match="index 1 is 0"):
        assert [len(p) for p in random_split(Squares(2), [0.99, 0.01])] == [2, 0]


def test_random_split_rejects_bad_lengths(dataset):
    with pytest.raises(ValueError, match=r"lengths \[4, 5\] sum to 9, the dataset has 10"):
        random_split(dataset, [4, 5])
    with pytest.raises(ValueError, match="integers that sum to len"):
        random_split(dataset, [0.5, 0.2])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(dataset, [0.5, 1.5, -1.0])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(dataset, [5, 5], generator=42)


# -- default_collate ------------------------------------------------------------------------
def test_collate_stacks_tensors_along_a_new_dim():
    batch = default_collate([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])])
    assert batch.shape == (2, 2) and batch.dtype == torch.float32
    np.testing.assert_array_equal(batch.numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="one shape"):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_collate_numbers_as_pytorch_does():
    floats = default_collate([0.5, 1.5, 2.5])
    assert floats.dtype == torch.float64  # default_collate's float64, whatever the default
    np.testing.assert_array_equal(floats.numpy(), [0.5, 1.5, 2.5])
    ints = default_collate([1, 2, 3])
    assert ints.dtype == torch.int64 and ints.tolist() == [1, 2, 3]
    bools = default_collate([True, False])
    assert bools.dtype == torch.bool and bools.tolist() == [True, False]
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_numpy_arrays_and_scalars_keep_their_dtype():
    rows = [np.array([1, 2], np.int32), np.array([3, 4], np.int32)]
    batch = default_collate(rows)
    assert batch.dtype == torch.int32 and batch.numpy().tolist() == [[1, 2], [3, 4]]
    scalars = default_collate([np.float32(0.25), np.float32(0.5)])
    assert scalars.dtype == torch.float32 and scalars.tolist() == [0.25, 0.5]
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_tuples_lists_dicts_and_named_tuples():
    out = default_collate([(np.zeros(2), 1), (np.ones(2), 2)])
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0].numpy(), [[0, 0], [1, 1]])
    assert out[1].tolist() == [1, 2]
    batch = default_collate([{"x": 1.0, "tag": "a", "pair": [1, 2]},
                             {"x": 2.0, "tag": "b", "pair": [3, 4]}])
    assert batch["x"].tolist() == [1.0, 2.0] and batch["tag"] == ["a", "b"]
    assert [p.tolist() for p in batch["pair"]] == [[1, 3], [2, 4]]
    Point = collections.namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="batch must contain tensors.*found <class 'NoneType'>"):
        default_collate([None, None])


# -- DataLoader -----------------------------------------------------------------------------
def test_batches_are_numpy_slices(dataset):
    batches = list(DataLoader(dataset, batch_size=4))
    assert len(batches) == 3
    for b, (xb, yb) in enumerate(batches):
        np.testing.assert_array_equal(xb.numpy(), X[4 * b:4 * b + 4])
        np.testing.assert_array_equal(yb.numpy(), Y[4 * b:4 * b + 4])
        assert xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert [len(yb) for _, yb in batches] == [4, 4, 2]


@pytest.mark.parametrize("batch_size, drop_last, want", [
    (4, False, [4, 4, 2]), (4, True, [4, 4]), (5, True, [5, 5]), (5, False, [5, 5]),
    (1, False, [1] * N), (12, False, [N]), (12, True, []),
])
def test_len_and_drop_last(dataset, batch_size, drop_last, want):
    loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(want)
    assert [len(yb) for _, yb in loader] == want
    shuffled = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=drop_last)
    assert [len(yb) for _, yb in shuffled] == want


def test_shuffle_covers_every_example_once_per_epoch(dataset):
    loader = DataLoader(dataset, batch_size=3, shuffle=True)
    epochs = [example_ids(loader) for _ in range(4)]
    for order in epochs:
        assert sorted(order) == list(range(N))
    assert len({tuple(order) for order in epochs}) > 1  # a new order each epoch
    for xb, yb in loader:  # the rows stay together
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy() // 7])


def test_shuffle_is_reproducible_under_manual_seed(dataset):
    loader = DataLoader(dataset, batch_size=4, shuffle=True)
    torch.manual_seed(5)
    first = [example_ids(loader) for _ in range(3)]
    torch.manual_seed(5)
    assert [example_ids(loader) for _ in range(3)] == first
    torch.manual_seed(5)
    want = np.random.default_rng(5).permutation(N).tolist()
    assert example_ids(loader) == want  # graphc.eager's generator, as randperm draws


def test_shuffle_with_a_numpy_generator(dataset):
    loader = DataLoader(dataset, batch_size=4, shuffle=True, generator=np.random.default_rng(2))
    assert example_ids(loader) == np.random.default_rng(2).permutation(N).tolist()


def test_own_dataset_and_batch_size_none():
    loader = DataLoader(Squares(5), batch_size=2)
    batches = [(i.tolist(), sq.tolist()) for i, sq in loader]
    assert batches == [([0, 1], [0, 1]), ([2, 3], [4, 9]), ([4], [16])]
    unbatched = DataLoader(Squares(3), batch_size=None)
    assert len(unbatched) == 3 and list(unbatched) == [[0, 0], [1, 1], [2, 4]]
    arrays = DataLoader([np.array([1.5, 2.5])], batch_size=None)
    (only,) = list(arrays)
    assert isinstance(only, torch.Tensor) and only.dtype == torch.float64


def test_custom_collate_fn_and_num_workers_run_in_process(dataset):
    loader = DataLoader(dataset, batch_size=4, num_workers=2,
                        collate_fn=lambda items: [int(y) for _, y in items])
    assert list(loader) == [Y[0:4].tolist(), Y[4:8].tolist(), Y[8:].tolist()]
    assert loader.num_workers == 2 and loader.dataset is dataset


def test_dataloader_rejects_bad_arguments(dataset):
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=f"positive integer value, but got batch_size={bad}"):
            DataLoader(dataset, batch_size=bad)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(dataset, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(dataset, num_workers=-1)
    with pytest.raises(TypeError, match="shuffle should be a boolean value"):
        DataLoader(dataset, shuffle="yes")

    class NoLen(Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="NoLen has no __len__: shuffle=True draws a permutation"):
        DataLoader(NoLen(), shuffle=True)
    with pytest.raises(TypeError, match="NoLen has no __len__"):
        DataLoader(NoLen())
    with pytest.raises(TypeError, match="has no __getitem__"):
        DataLoader(iter(range(3)))
