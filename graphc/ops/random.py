"""Random tensors, seeded as in TensorFlow 1: a graph seed plus an op seed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype, float32, float64, int64
from graphc.graph import Tensor, TensorType, get_default_graph
from graphc.ops import core
from graphc.ops.constant import _no_input_type
from graphc.ops.core import apply
from graphc.ops.elementwise import (abs, add, cast, less, log, maximum, minimum, multiply,
                                    negative, sqrt, subtract, where)
from graphc.ops.shape import identity, shape_argument
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
# forward: uniform draws on [0, 1) in x's run-time shape (x's values do not matter), e.g.
# dropout's mask for activations of shape (None, n); no gradient
RANDOM_UNIFORM_LIKE = register(OpDef(
    "random_uniform_like", lambda types, attrs: TensorType(attrs["dtype"], types[0].shape),
    effect="random",
    reference=lambda x, rng, dtype, seed: rng.random(np.shape(x)).astype(dtype.np)))


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
    dims, like = shape_argument(shape, opdef.name)
    if like is not None:
        raise TypeError(f"{opdef.name}: the shape must be known while building the graph; "
                        "for a draw in the shape x has at run time, gc.random_uniform_like(x) "
                        "draws uniform samples")
    dims = shapes.as_shape(dims)
    if not shapes.is_fully_defined(dims):
        raise ValueError(f"{opdef.name}: shape {shape} must be fully known")
    dt = as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"{opdef.name}: dtype must be floating point, got {dt.name}")
    return apply(opdef, name=name, shape=dims, dtype=dt, seed=_seeds(seed),
                 **{k: float(v) for k, v in params.items()})


def random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = float32,
                  seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a normal distribution, drawn anew on every run. mean and stddev are
    numbers or tensors (of the draw's dtype, broadcast against its shape)."""
    return _random_scaled(RANDOM_NORMAL, shape, dtype, seed, name, "mean", mean, "stddev",
                          stddev)


def random_uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = float32,
                   seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a uniform distribution on [minval, maxval) (maxval 1 unless given), drawn
    anew on every run. minval and maxval are numbers or tensors (of the draw's dtype,
    broadcast against its shape). For an integer dtype, as in TensorFlow, they are ints
    (maxval must be given) and the samples are the ints from minval to maxval - 1."""
    if as_dtype(dtype).is_integer:
        return _random_integers(shape, minval, maxval, as_dtype(dtype), seed, name)
    return _random_scaled(RANDOM_UNIFORM, shape, dtype, seed, name, "minval", minval,
                          "maxval", 1.0 if maxval is None else maxval)


def _random_integers(shape: Any, minval: Any, maxval: Any, dtype: Any, seed: int | None,
                     name: str | None) -> Tensor:
    """Uniform ints in [minval, maxval): a float64 draw u on [0, 1), scaled to the count of
    ints and truncated in int64 (u * count < count), plus minval, then the dtype. A float64
    draw carries 53 random bits, so the count is at most 2**53."""
    if maxval is None:
        raise ValueError(f"random_uniform: maxval must be given for an integer dtype "
                         f"({dtype.name})")
    bounds = []
    for label, value in (("minval", minval), ("maxval", maxval)):
        if _is_tensor(value) or not float(value).is_integer():
            raise TypeError(f"random_uniform: an integer draw takes whole numbers for minval "
                            f"and maxval, and {label} is {value!r}")
        bounds.append(int(value))
    low, high = bounds
    info = np.iinfo(dtype.np)
    if not low < high or low < info.min or high - 1 > info.max:
        raise ValueError(f"random_uniform: the ints from minval {low} to maxval {high} (not "
                         f"included) must be at least one, within {dtype.name}'s range")
    if high - low > 2**53:
        raise ValueError(f"random_uniform: graphc draws ints from at most 2**53 values (53 "
                         f"random bits); minval {low} to maxval {high} holds {high - low}")
    unit = _random(RANDOM_UNIFORM, shape, float64, seed, None, minval=0.0, maxval=1.0)
    offset = cast(multiply(unit, float(high - low)), int64)
    return cast(add(offset, np.int64(low)), dtype, name=name)


def random_uniform_like(x: Any, dtype: Any = None, seed: int | None = None,
                        name: str | None = None) -> Tensor:
    """Samples of a uniform distribution on [0, 1), in x's shape as it is at run time
    (x's dims may be None), drawn anew on every run; dtype is x's unless given."""
    dt = as_dtype(dtype if dtype is not None else x.dtype)
    if not dt.is_floating:
        raise TypeError(f"random_uniform_like: dtype must be floating point, got {dt.name}")
    return apply(RANDOM_UNIFORM_LIKE, x, name=name, dtype=dt, seed=_seeds(seed))


def make_rng(seed: tuple[int, int] | None) -> np.random.Generator:
    """The generator a session keeps for one random op."""
    return np.random.default_rng(None if seed is None else list(seed))


# -- parameters as tensors, and truncated_normal ------------------------------------------------
def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or core.is_eager(value)


def _random_scaled(opdef: OpDef, shape: Any, dtype: Any, seed: int | None, name: str | None,
                   low_name: str, low: Any, high_name: str, high: Any) -> Tensor:
    """A draw whose parameters may be tensors. Numbers are attributes of the random op,
    which draws with them; tensors scale a standard draw by ops, as TensorFlow does:
    mean + z * stddev for a normal, minval + u * (maxval - minval) for a uniform."""
    if not (_is_tensor(low) or _is_tensor(high)):
        return _random(opdef, shape, dtype, seed, name, **{low_name: low, high_name: high})
    dt = as_dtype(dtype)
    for label, value in ((low_name, low), (high_name, high)):
        if _is_tensor(value) and as_dtype(value.dtype) != dt:
            raise TypeError(f"{opdef.name}: {label} is {as_dtype(value.dtype).name}, but the "
                            f"draw is {dt.name}; cast it or give dtype={value.dtype.name}")
    standard = _random(opdef, shape, dt, seed, None, **{low_name: 0.0, high_name: 1.0})
    if opdef is RANDOM_UNIFORM:
        return add(low, multiply(standard, subtract(high, low)), name=name)
    return add(multiply(standard, high), low, name=name)


# Wichura's algorithm AS 241 (PPND16): the standard normal quantile to about 1e-16, as
# rational functions in r = 0.180625 - q^2 near the centre (|q| <= 0.425, q = p - 1/2) and
# in r = sqrt(-log(min(p, 1 - p))) - 1.6 towards the tails (r <= 5, i.e. p >= 1e-11).
_CENTRE = ([3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
            13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
            33430.575583588128105, 2509.0809287301226727],
           [1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
            21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
            5226.495278852854561])
_TAIL = ([1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
          3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177,
          0.0227238449892691845833, 7.7454501427834140764e-4],
         [1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
          0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4,
          1.05075007164441684324e-9])


def _polynomial(coefficients: list[float], r: Any) -> Any:
    """c0 + c1 r + c2 r^2 + ..., by Horner's rule."""
    total: Any = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        total = add(multiply(total, r), c)
    return total


def _normal_quantile(p: Any) -> Any:
    """The standard normal quantile of p, 1e-11 <= p <= 1 - 1e-11 (elementwise ops)."""
    q = subtract(p, 0.5)
    r = subtract(0.180625, multiply(q, q))
    centre = multiply(q, _polynomial(_CENTRE[0], r)) / _polynomial(_CENTRE[1], r)
    s = subtract(sqrt(negative(log(minimum(p, subtract(1.0, p))))), 1.6)
    tail = _polynomial(_TAIL[0], s) / _polynomial(_TAIL[1], s)
    return where(less(abs(q), 0.425), centre, where(less(q, 0.0), negative(tail), tail))


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = float32,
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples of a normal distribution truncated to within two standard deviations of
    the mean (TensorFlow's: a draw beyond them is drawn again), drawn anew on every run.
    mean and stddev are numbers or tensors, as in random_normal.

    Drawn exactly, without redrawing: a uniform draw u on [Phi(-2), Phi(2)) (one
    random_uniform op, float64) is mapped through the normal quantile Phi^-1 (AS 241, to
    ~1e-16; elementwise ops, which compile natively), then scaled."""
    dt = as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"truncated_normal: dtype must be floating point, got {dt.name}")
    for label, value in (("mean", mean), ("stddev", stddev)):
        if _is_tensor(value) and as_dtype(value.dtype) != dt:
            raise TypeError(f"truncated_normal: {label} is {as_dtype(value.dtype).name}, but "
                            f"the draw is {dt.name}; cast it or give dtype={value.dtype.name}")
    u = _random(RANDOM_UNIFORM, shape, float64, seed, None, minval=_normal_cdf(-2.0),
                maxval=_normal_cdf(2.0))
    z = minimum(maximum(_normal_quantile(u), -2.0), 2.0)  # (rounding stays within)
    z = cast(z, dt) if dt != float64 else z
    if not _is_tensor(mean) and not _is_tensor(stddev):
        mean, stddev = float(mean), float(stddev)
        if mean == 0.0 and stddev == 1.0:
            return z if name is None else identity(z, name=name)
    return add(multiply(z, stddev), mean, name=name)
