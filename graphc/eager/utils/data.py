"""torch.utils.data for eager tensors: map-style datasets, random_split, and a DataLoader
that batches them with PyTorch's default_collate rules.

Everything runs in the calling process. Shuffles and splits draw from graphc.eager's
generator (`ge.manual_seed` makes them reproducible), or from a numpy Generator passed as
`generator=` (graphc has no torch.Generator). Iterable-style datasets, samplers and worker
processes are not provided.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from graphc.dtypes import float64
from graphc.eager.creation import from_numpy, randperm, tensor
from graphc.eager.functions import stack
from graphc.eager.tensor import Tensor
from graphc.ops.index import getitem

T_co = TypeVar("T_co", covariant=True)

_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


# -- datasets --------------------------------------------------------------------------------
class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Example i is `(t[i] for t in tensors)`; every tensor holds one row per example."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes tensors; argument {i} is a "
                                f"{type(t).__name__} (torch.tensor or torch.from_numpy makes "
                                "one)")
            if not t.shape:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; each tensor needs a first "
                                 "dimension, one row per example")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError("Size mismatch between tensors: TensorDataset needs the same first "
                             f"dimension in every tensor, got sizes {', '.join(map(str, sizes))}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        n = len(self)
        if isinstance(index, int | np.integer) and not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a TensorDataset of {n} "
                             "examples")
        return tuple(getitem(t, index) for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset[T_co]):
    """The examples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """The examples of several datasets, one after another."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        sizes = (len(d) for d in self.datasets)  # type: ignore[arg-type]
        self.cumulative_sizes = list(itertools.accumulate(sizes))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {n} "
                             "examples")
        index %= n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _permutation(n: int, generator: np.random.Generator | None) -> list[int]:
    """A random order of 0 .. n-1 from `generator`, or from graphc.eager's generator."""
    if generator is None:
        return randperm(n).tolist()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be None or a numpy.random.Generator, not "
                        f"{type(generator).__name__}")
    return [int(i) for i in generator.permutation(n)]


def random_split(dataset: Dataset[T_co], lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset[T_co]]:
    """Disjoint random Subsets of the given lengths, which sum to len(dataset); or of the
    given fractions, which sum to 1 (floor(n * f) each, the remainder handed out one at a
    time from the first split on)."""
    n = len(dataset)  # type: ignore[arg-type]
    sizes = list(lengths)
    if math.isclose(sum(sizes), 1) and sum(sizes) <= 1:
        for i, fraction in enumerate(sizes):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts = [math.floor(n * f) for f in sizes]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
        sizes = list(counts)
    if any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0 for s in sizes):
        raise ValueError(f"random_split: lengths must be non-negative integers that sum to "
                         f"len(dataset) = {n}, or fractions that sum to 1; got {list(lengths)}")
    if sum(sizes) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input "
                         f"dataset: the lengths {sizes} sum to {sum(sizes)}, the dataset "
                         f"has {n} examples")
    order = _permutation(n, generator)
    ends = list(itertools.accumulate(int(s) for s in sizes))
    return [Subset(dataset, order[end - int(size):end]) for end, size in zip(ends, sizes)]


# -- collating -------------------------------------------------------------------------------
def _is_numeric_array(value: np.ndarray | np.generic) -> bool:
    return value.dtype.kind in "biuf"


def default_collate(batch: Sequence[Any]) -> Any:
    """One batch from a list of examples, as PyTorch's default_collate makes it: tensors and
    numpy arrays stacked along a new dim 0; Python floats to a float64 tensor, ints to int64
    (bools to bool); strings left as a list; dicts collated key by key, tuples and lists
    element by element (a list of the results; named tuples stay named tuples)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if not _is_numeric_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return stack([from_numpy(np.asarray(b)) for b in batch], 0)
    if isinstance(elem, np.generic) and not isinstance(elem, str | bytes):
        if not _is_numeric_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(list(batch), dtype=float64)
    if isinstance(elem, int):
        return tensor(list(batch))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One example as it is, but numpy arrays and numpy scalars made tensors (the
    DataLoader's default for batch_size=None); dicts, tuples and lists converted within."""
    if isinstance(data, np.ndarray) and _is_numeric_array(data):
        return from_numpy(data)
    if isinstance(data, np.generic) and _is_numeric_array(data):
        return tensor(data)
    if isinstance(data, str | bytes | Tensor):
        return data
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple | list):
        return [default_convert(d) for d in data]
    return data


# -- loading ---------------------------------------------------------------------------------
class DataLoader(Generic[T_co]):
    """Batches of a map-style dataset: iterating reads dataset[i] for each index, in order or
    (shuffle=True) in a new random order each epoch, and yields collate_fn(examples) for each
    batch_size of them (the last batch smaller unless drop_last). batch_size=None yields the
    examples one by one, unbatched.

    num_workers is accepted for PyTorch programs' sake, but loading always runs in the
    calling process (no worker processes are started); pin_memory has no effect.
    `generator`, a numpy Generator, draws the shuffles instead of graphc.eager's generator.
    """

    def __init__(self, dataset: Dataset[T_co], batch_size: int | None = 1,
                 shuffle: bool = False, *, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, generator: np.random.Generator | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int | np.integer) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle should be a boolean value, but got shuffle={shuffle!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"generator must be None or a numpy.random.Generator, not "
                            f"{type(generator).__name__}")
        name = type(dataset).__name__
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader reads dataset[i], and {name} has no __getitem__ "
                            "(iterable-style datasets are not supported)")
        if not hasattr(dataset, "__len__"):
            need = "shuffle=True draws a permutation of range(len(dataset))" if shuffle else \
                "DataLoader reads dataset[0] .. dataset[len(dataset) - 1]"
            raise TypeError(f"{name} has no __len__: {need}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self.collate_fn: Callable[[Any], Any] = collate_fn or (
            default_convert if batch_size is None else default_collate)

    def __len__(self) -> int:
        n = len(self.dataset)  # type: ignore[arg-type]
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)  # type: ignore[arg-type]
        order = _permutation(n, self.generator) if self.shuffle else list(range(n))
        if self.batch_size is None:
            for i in order:
                yield self.collate_fn(self.dataset[i])
            return
        stop = len(self) * self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield self.collate_fn([self.dataset[i] for i in order[start:start + self.batch_size]])


__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset",
           "default_collate", "default_convert", "random_split"]
