"""Random tensors, seeded as in TensorFlow 1: a graph seed plus an op seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype, float32
from graphc.graph import Tensor, get_default_graph
from graphc.ops.constant import _no_input_type
from graphc.ops.core import apply
from graphc.registry import OpDef, register

_DEFAULT_GRAPH_SEED = 87654321

RANDOM_NORMAL = register(OpDef(
    "random_normal", _no_input_type, effect="random",
    reference=lambda rng, shape, dtype, mean, stddev, seed:
        rng.normal(mean, stddev, shape).astype(dtype.np)))
RANDOM_UNIFORM = register(OpDef(
    "random_uniform", _no_input_type, effect="random",
    reference=lambda rng, shape, dtype, minval, maxval, seed:
        rng.uniform(minval, maxval, shape).astype(dtype.np)))


def set_random_seed(seed: int | None) -> None:
    """Set the default graph's seed: random ops created afterwards become reproducible."""
    get_default_graph().seed = seed


def _seeds(op_seed: int | None) -> tuple[int, int] | None:
    """(graph seed, op seed) as TensorFlow derives them; None means fresh entropy each session."""
    graph = get_default_graph()
    if graph.seed is None and op_seed is None:
        return None
    if graph.seed is None:
        return (_DEFAULT_GRAPH_SEED, int(op_seed))  # type: ignore[arg-type]
    return (graph.seed, int(op_seed) if op_seed is not None else len(graph.nodes))


def _random(opdef: OpDef, shape: Any, dtype: Any, seed: int | None, name: str | None,
            **params: float) -> Tensor:
    dims = shapes.as_shape(shape)
    if not shapes.is_fully_defined(dims):
        raise ValueError(f"{opdef.name}: shape {shape} must be fully known")
    dt = as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"{opdef.name}: dtype must be floating point, got {dt.name}")
    return apply(opdef, name=name, shape=dims, dtype=dt, seed=_seeds(seed),
                 **{k: float(v) for k, v in params.items()})


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = float32,
                  seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a normal distribution, drawn anew on every run."""
    return _random(RANDOM_NORMAL, shape, dtype, seed, name, mean=mean, stddev=stddev)


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = float32,
                   seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a uniform distribution on [minval, maxval), drawn anew on every run."""
    return _random(RANDOM_UNIFORM, shape, dtype, seed, name, minval=minval, maxval=maxval)


def make_rng(seed: tuple[int, int] | None) -> np.random.Generator:
    """The generator a session keeps for one random op."""
    return np.random.default_rng(None if seed is None else list(seed))
