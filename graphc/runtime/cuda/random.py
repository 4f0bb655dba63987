"""Random tensors drawn on the device, with numba's xoroshiro128+ generators: one
generator state per thread, made once per random op and session from the op's seed, so a
seeded graph draws the same numbers every time it runs from the start. The numbers differ
from the CPU backends' (numpy's PCG64 streams), as TensorFlow's do between devices."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numba import cuda

from graphc.runtime.cuda import device
from graphc.runtime.cuda.table import Call, kernel


@cache
def _random_kernel(kind: str, dtype: np.dtype) -> Any:
    from numba.cuda import random as curandom

    draw = getattr(curandom, f"xoroshiro128p_{kind}_{dtype.name}")

    @cuda.jit
    def sample(states, out, shift, scale):
        t = cuda.grid(1)
        for i in range(t, out.size, cuda.gridsize(1)):
            out[i] = shift + scale * draw(states, t)

    return sample


def _states(call: Call, threads: int) -> Any:
    """The generator states of this op in this session, made on its first run."""
    if call.key not in call.random_states:
        from numba.cuda.random import create_xoroshiro128p_states

        seed = call.attrs["seed"]
        value = int(np.random.SeedSequence(None if seed is None else list(seed))
                    .generate_state(1, np.uint64)[0])
        call.random_states[call.key] = create_xoroshiro128p_states(threads, seed=value)
    return call.random_states[call.key]


def _launch(call: Call, kind: str, shift: float, scale: float) -> list[Any]:
    out = call.out()
    blocks = device.blocks_for(out.size)
    states = _states(call, blocks * device.THREADS)
    _random_kernel(kind, np.dtype(out.dtype))[blocks, device.THREADS](
        states, device.flat(out), shift, scale)
    return [out]


@kernel("random_normal")
def _normal(call: Call) -> list[Any]:
    return _launch(call, "normal", call.attrs["mean"], call.attrs["stddev"])


@kernel("random_uniform")
def _uniform(call: Call) -> list[Any]:
    low, high = call.attrs["minval"], call.attrs["maxval"]
    return _launch(call, "uniform", low, high - low)


@kernel("random_uniform_like")
def _uniform_like(call: Call) -> list[Any]:  # (the output has the input's shape)
    return _launch(call, "uniform", 0.0, 1.0)
