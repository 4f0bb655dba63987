"""Where a native segment's time goes, kernel by kernel, inside the training step.

Timing a kernel alone misleads: inside the step, a loop that reads what a two-thread gemm
just wrote takes 2-3x its time alone, since half of those cache lines sit in the other core's
cache. So this script times each line of the generated segment where it runs: it takes the
segment numba compiled for the optimizer benchmark's model (benchmarks/optimizers.py:
784-128-10 MLP, batch 64, float32), recompiles its source with a clock read
(clock_gettime, through libc) after every line, runs it in the real Session on the
benchmark's cycled batches, and prints the median microseconds of each line.
Linux only (libc's clock_gettime). The clock reads add ~0.1 us per line.
Run: python benchmarks/segment_profile.py [optimizer ...] [--steps 600]
     (optimizers: the step names in benchmarks/optimizers.py, ALL; default all)
"""

from __future__ import annotations

import argparse
import ctypes
import inspect
import os
from typing import Any

os.environ["GRAPHC_COMPILE"] = "wait"  # time machine code, never the numpy references

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402
from optimizers import ALL, GraphcStep, cycling, dataset, initial_weights  # noqa: E402

_libc = ctypes.CDLL(None)
_clock_gettime = _libc.clock_gettime
_clock_gettime.argtypes = [ctypes.c_int, ctypes.c_int64]
_clock_gettime.restype = ctypes.c_int
_MONOTONIC = 1  # CLOCK_MONOTONIC on Linux


@njit(nogil=True)
def _tick(address: int, k: int) -> None:
    """Clock reading k, as (seconds, nanoseconds) int64s at address + 16 k."""
    _clock_gettime(_MONOTONIC, address + 16 * k)


def instrumented(function: Any) -> tuple[Any, list[str], np.ndarray]:
    """The segment `function` (a numba dispatcher of generated source) with a clock read
    before its first line and after each `tN = ...` line; each line's label; the array the
    readings land in. (A global array would be a constant to numba: its address is passed
    as an integer.)"""
    source = inspect.getsource(function.py_func).splitlines()
    lines: list[str] = []
    labels: list[str] = []
    for line in source:
        if line.startswith("@"):
            continue
        lines.append(line)
        if line.startswith("def ") or (line.strip().startswith("t") and " = " in line):
            lines.append(f"    _tick(_READINGS, {len(labels)})")
            labels.append(line.split("#")[-1].strip() if "#" in line else "start")
    readings = np.zeros((len(labels), 2), np.int64)
    names = dict(function.py_func.__globals__, _tick=_tick, _READINGS=readings.ctypes.data)
    exec("\n".join(lines), names)
    return njit(nogil=True)(names[function.py_func.__name__]), labels[1:], readings


def profile(name: str, steps: int) -> None:
    ours = GraphcStep(name, initial_weights())
    data = dataset()
    ours.step(*data[0])  # compile
    (segment,) = ours.executable().segments
    native = segment.function
    function, labels, readings = instrumented(native)
    spans = []

    def timed(*args: Any) -> Any:
        result = function(*args)
        clock = readings[:, 0] * 10**9 + readings[:, 1]
        spans.append(np.diff(clock))
        return result

    segment.function = timed
    try:
        step = cycling(ours.step, data)
        for _ in range(steps):
            step()
    finally:
        segment.function = native
    us = np.median(np.array(spans[steps // 10:]), axis=0) / 1e3  # after a warm-up
    print(f"\n{name}: {us.sum():.1f} us in the native segment (median per line)")
    for label, t in zip(labels, us):
        print(f"  {t:8.1f}  {label}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("optimizers", nargs="*", default=ALL)
    p.add_argument("--steps", type=int, default=600)
    args = p.parse_args()
    for name in args.optimizers:
        if name not in ALL:
            p.error(f"no optimizer named {name!r}; there are {', '.join(ALL)}")
        profile(name, args.steps)


if __name__ == "__main__":
    main()
