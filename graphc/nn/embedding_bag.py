"""PyTorch's nn.EmbeddingBag and F.embedding_bag: the sum, mean or max of bags of embedding
rows, without the (bags, tokens, dim) lookup a model would otherwise write.

Composed of graphc's ops (a gather of the rows, a mask, a reduction over each bag), so the
gradients reach the weight and per_sample_weights through those ops' rules. Bags given by
offsets into a 1-D input are laid out as a (bags, longest bag) table of positions, worked
out from the offsets' values: eager tensors, or offsets known while a graph is built. A 2-D
input (each row a bag) works on graph tensors as on eager ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager import creation
from graphc.eager.defaults import get_default_dtype
from graphc.graph import Tensor as GraphTensor
from graphc.nn import tf_functions as _tf
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter
from graphc.ops import core
from graphc.ops.array import expand_dims, gather
from graphc.ops.elementwise import cast, divide, greater, maximum, multiply, not_equal, where
from graphc.ops.reduce import reduce_max, reduce_mean, reduce_sum

__all__ = ["EmbeddingBag", "embedding_bag"]

_MODES = ("sum", "mean", "max")


def embedding_bag(input: Any, weight: Any, offsets: Any = None,  # noqa: A002 - PyTorch's
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Any:
    """The sum, mean or max of each bag of rows of weight (num_embeddings, embedding_dim):
    shape (bags, embedding_dim).

    A 2-D input (B, N) is B bags of N indices each (offsets must be None). A 1-D input holds
    the bags one after another, and offsets (1-D) where each starts: bag i is
    input[offsets[i]:offsets[i + 1]], the last running to the end of input; with
    include_last_offset=True offsets has one more entry, the end of the last bag. An empty
    bag gives zeros. per_sample_weights (input's shape, mode='sum' only) scales each row
    before the sum. Indices equal to padding_idx are left out of their bag (and out of a
    mean's count). max_norm, scale_grad_by_freq=True and sparse=True are not supported."""
    if max_norm is not None:
        raise NotImplementedError("embedding_bag: max_norm is not supported (graphc does not "
                                  "renormalize the weight's rows in place)")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq=True is not supported")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True is not supported: graphc's "
                                  "gradients are dense (sparse=False gives the same values)")
    dtype = _tf._dtype(input)
    if dtype.is_floating or dtype.is_bool:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {dtype.name} instead")
    shape, weight_shape = _known_shape(input, "input"), _known_shape(weight, "weight")
    if per_sample_weights is not None and \
            tuple(_tf._shape(per_sample_weights) or ()) != tuple(shape):
        raise ValueError(f"embedding_bag: If per_sample_weights "
                         f"({_size(_tf._shape(per_sample_weights))}) is not None, then it "
                         f"must have the same shape as the input ({_size(shape)})")
    if len(weight_shape) != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{len(weight_shape)}")
    if len(shape) == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
    elif len(shape) == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if len(_tf._shape(offsets) or ()) != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{len(shape)}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if padding_idx is not None:
        rows = weight_shape[0]
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding_bag: padding_idx must be within the number of "
                             f"embeddings ({rows}), got {padding_idx}")
        padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx

    # (bags, tokens) indices, which of them count (None: all), and their weights
    indices, weights, valid = input, per_sample_weights, None
    if len(shape) == 1:
        positions, valid_rows = _bag_table(offsets, shape[0], include_last_offset)
        if positions.shape[1] == 0:  # no indices at all: every bag is empty
            return reduce_sum(gather(weight, _constant(positions, weight)), 1)
        indices = gather(input, _constant(positions, input))
        if weights is not None:
            weights = gather(weights, _constant(positions, weights))
        valid = _constant(valid_rows, weight)
    elif shape[1] == 0:
        return reduce_sum(gather(weight, indices), 1)  # (zeros, as PyTorch's empty bags)
    if padding_idx is not None:
        kept = not_equal(indices, padding_idx)
        valid = kept if valid is None else where(valid, kept, False)
    vectors = gather(weight, indices)  # (bags, tokens, embedding_dim)
    if mode == "max":
        if valid is None:
            return reduce_max(vectors, 1)
        largest = reduce_max(where(expand_dims(valid, -1), vectors, -np.inf), 1)
        return where(_any(valid), largest, 0)  # (an empty bag: zeros)
    if valid is None and weights is None:
        return (reduce_sum if mode == "sum" else reduce_mean)(vectors, 1)
    scale = None if valid is None else cast(valid, as_dtype(vectors.dtype))
    if weights is not None:
        scale = weights if scale is None else multiply(scale, weights)
    total = reduce_sum(multiply(vectors, expand_dims(scale, -1)), 1)
    if mode == "sum":
        return total
    count = reduce_sum(scale, 1, keepdims=True)  # (a mean has no per_sample_weights)
    return divide(total, maximum(count, 1))


def _any(valid: Any) -> Any:
    """(bags, 1): whether each bag counts any index."""
    return greater(reduce_sum(cast(valid, as_dtype("int32")), 1, keepdims=True), 0)


def _constant(value: np.ndarray, like: Any) -> Any:
    """value as an eager tensor on like's device when like is one; else as is (a constant
    in the graph being built)."""
    if core.is_eager(like):
        return creation.tensor(value, dtype=as_dtype(value.dtype), device=like.device)
    return value


def _known_shape(x: Any, what: str) -> tuple[int, ...]:
    shape = _tf._shape(x)
    if shape is None:
        raise ValueError(f"embedding_bag: the rank of {what} must be known")
    return tuple(shape)


def _size(shape: Any) -> str:
    return f"torch.Size({list(shape or ())})"


def _bag_table(offsets: Any, length: int | None, include_last_offset: bool
               ) -> tuple[np.ndarray, np.ndarray]:
    """For a 1-D input of `length` indices cut into bags at `offsets`: a (bags, longest bag)
    table of positions in input (0 where a bag is shorter) and which of them are in the
    bag."""
    if isinstance(offsets, GraphTensor):
        raise ValueError("embedding_bag: offsets must be known while the graph is built (an "
                         "eager tensor, a list or a numpy array), not the graph tensor "
                         f"'{offsets.name}'; a 2-D input of bags of one length needs none")
    if length is None:
        raise ValueError("embedding_bag: a 1-D input's length must be known while the graph "
                         "is built")
    starts = np.asarray(offsets)
    if starts.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: offsets must be integers (Long or Int), got "
                           f"{starts.dtype}")
    starts = starts.astype(np.int64)
    if include_last_offset:
        if starts.size == 0:
            raise ValueError("embedding_bag: include_last_offset=True needs at least one "
                             "offset")
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = np.append(starts[1:], length)
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got "
                           f"{starts[0]}")
    if np.any(ends < starts) or (ends.size and ends.max() > length):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing and at most the "
                           f"input's length {length}, got {np.asarray(offsets).tolist()}")
    sizes = ends - starts
    longest = int(sizes.max()) if sizes.size and length else 0
    steps = np.arange(longest)
    valid = steps < sizes[:, None]
    positions = np.where(valid, starts[:, None] + steps, 0)
    return positions, valid


class EmbeddingBag(Module):
    """A table of num_embeddings vectors of embedding_dim: forward(input, offsets=None,
    per_sample_weights=None) gives each bag's sum, mean or max of them (F.embedding_bag).
    The weight starts standard normal (PyTorch's), its padding_idx row at zero."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if max_norm is not None:
            raise NotImplementedError("EmbeddingBag: max_norm is not supported (graphc does "
                                      "not renormalize the weight's rows in place)")
        if scale_grad_by_freq:
            raise NotImplementedError("EmbeddingBag: scale_grad_by_freq=True is not supported")
        if sparse:
            raise NotImplementedError("EmbeddingBag: sparse=True is not supported: graphc's "
                                      "gradients are dense (sparse=False gives the same "
                                      "values)")
        if mode not in _MODES:
            raise ValueError("mode has to be one of sum, mean or max")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx + num_embeddings if padding_idx < 0 else padding_idx
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        if _weight is None:
            dt = (get_default_dtype() if dtype is None else as_dtype(dtype)).np
            values = creation._rng.standard_normal((num_embeddings, embedding_dim)).astype(dt)
            if padding_idx is not None:
                values[padding_idx] = 0
            self.weight = Parameter(values)
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight)
        if device is not None:
            self.to(device)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose weight is a copy of `embeddings` (2-D), frozen (no
        gradient) unless freeze=False."""
        shape = tuple(_tf._shape(embeddings) or ())
        if len(shape) != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  _weight=embeddings, include_last_offset=include_last_offset,
                  padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input: Any, offsets: Any = None,  # noqa: A002 - PyTorch's name
                per_sample_weights: Any = None) -> Any:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

