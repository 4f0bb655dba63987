"""Time one training step of the seed network: graphc's numba and numpy backends vs
hand-written numpy vs the BLAS floor; then the first run (compile) in fresh processes.

Prints tables of medians (interleaved repetitions, so machine noise hits every column
alike): a training loop's steady state (blocks of consecutive steps) and one step per turn
(see timing.py); ratios, the peak memory numpy allocates per step (tracemalloc, which does not see
numba's allocations) and the blocks numba's runtime allocates per step (its own counters;
each array argument of a native call counts one). graphc's numba step is timed through
Session.run and through a Session.make_callable function.
Run: python benchmarks/seed_step.py [--repeats 200] [--block 6] [--large] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable

import numpy as np
from timing import interleaved_medians

import graphc as gc
from graphc import demo

SIZES = {"seed": demo.SEED_DIMS, "large": (2048, 4096, 4096, 1024)}
# the seed's step size diverges at the large size (inf and NaN would time other code paths)
LEARNING_RATE = {"seed": 1e-6, "large": 1e-12}
# steady-state steps are timed as machine code: compile before timing, never interpret
os.environ["GRAPHC_COMPILE"] = "wait"


def matmuls_only(x, y, w1, w2):
    """The five matrix products of a step and nothing else: the floor BLAS sets."""
    h = x @ w1
    g = h @ w2
    _ = h.T @ g, g @ w2.T, x.T @ h


def graphc_step(dims, dtype, backend, x, y, lr, callable_=False):
    """A timed step, by Session.run or (callable_) by Session.make_callable; its first run
    (outside the timings) waits for the machine code."""
    g = demo.two_layer_graph(dims, gc.as_dtype(dtype), lr)
    sess = gc.Session(g["graph"], backend=backend)
    sess.run(g["init"])
    feeds = {g["x"]: x, g["y"]: y}
    sess.run([g["loss"], g["train"]], feeds)  # compile outside the timings
    if callable_:
        step = sess.make_callable([g["loss"], g["train"]], [g["x"], g["y"]])
        return lambda: step(x, y)
    return lambda: sess.run([g["loss"], g["train"]], feeds)


def seed_data(dims, dtype):
    """x, y, w1, w2 of the step's shapes: standard normal, the same in every benchmark."""
    n, d_in, hidden, d_out = dims
    rng = np.random.default_rng(0)
    return tuple(rng.standard_normal(shape).astype(dtype)
                 for shape in ((n, d_in), (n, d_out), (d_in, hidden), (hidden, d_out)))


def setup(dims, dtype, lr):
    x, y, w1, w2 = seed_data(dims, dtype)
    steps: dict[str, Callable[[], object]] = {
        "graphc numba": graphc_step(dims, dtype, "numba", x, y, lr),
        "  callable": graphc_step(dims, dtype, "numba", x, y, lr, callable_=True),
        "graphc numpy": graphc_step(dims, dtype, "numpy", x, y, lr),
        "numpy": lambda: demo.numpy_step(x, y, w1, w2, lr),
        "blas floor": lambda: matmuls_only(x, y, w1, w2),
    }
    return steps


def peak_bytes(step: Callable[[], object]) -> int:
    step()
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def native_blocks(step: Callable[[], object]) -> int:
    """The blocks numba's runtime allocates in one step."""
    from numba.core.runtime import _nrt_python, rtsys

    step()
    _nrt_python.memsys_enable_stats()
    before = rtsys.get_allocation_stats().alloc
    step()
    count = rtsys.get_allocation_stats().alloc - before
    _nrt_python.memsys_disable_stats()
    return count


def measure(size: str, dtype: str, repeats: int, block: int) -> None:
    steps = setup(SIZES[size], dtype, LEARNING_RATE[size])
    steady = interleaved_medians(steps, max(1, repeats // (block - 1)), block)
    turns = interleaved_medians(steps, repeats)
    peak = {name: peak_bytes(step) / 2**20 for name, step in steps.items()}
    blocks = {name: native_blocks(step) for name, step in steps.items()}
    print(f"\n{size} {SIZES[size]} {dtype}, median ms of ~{repeats} steps in blocks of {block} "
          "consecutive steps (the first of each not counted), the blocks interleaved; "
          "'turns': one step per turn")
    print(f"{'':13} {'ms/step':>9} {'x floor':>8} {'x numpy':>8} {'turns: x floor':>15} "
          f"{'x numpy':>8} {'peak MiB':>9} {'nrt allocs':>10}")
    for name in steps:
        print(f"{name:13} {steady[name]:9.3f} {steady[name] / steady['blas floor']:8.2f} "
              f"{steady[name] / steady['numpy']:8.2f} "
              f"{turns[name] / turns['blas floor']:15.2f} {turns[name] / turns['numpy']:8.2f} "
              f"{peak[name]:9.2f} {blocks[name]:10d}")


FIRST_RUN = """
import time
start = time.perf_counter()
import graphc as gc
from graphc import demo
import numpy as np
g = demo.two_layer_graph(demo.SEED_DIMS, gc.{dtype}, 1e-6)
sess = gc.Session(g["graph"], backend="numba")
sess.run(g["init"])
x = np.ones((64, 1000), "{dtype}"); y = np.ones((64, 10), "{dtype}")
ready = time.perf_counter()
step = lambda: sess.run([g["loss"], g["train"]], {{g["x"]: x, g["y"]: y}})
step()
done = time.perf_counter()
steps = 1
while not demo.runs_natively(sess):
    step()
    steps += 1
native = time.perf_counter()
print(ready - start, done - ready, native - ready, steps)
"""


def first_runs(dtype: str) -> None:
    """The first training steps in fresh processes: empty caches (graphc's generated code
    and numba's compiled kernels), then warm caches, then warm caches with a new graph.
    The first run's time, and the time (and steps) until the step runs as machine code."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, GRAPHC_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache,
                   GRAPHC_COMPILE="background")  # the default

        def run(script: str) -> tuple[float, float, float, int]:
            out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            return float(out[0]), float(out[1]), float(out[2]), int(out[3])

        script = FIRST_RUN.format(dtype=dtype)
        rows = [("empty cache", run(script)), ("warm cache", run(script)),
                ("warm kernels, new graph",
                 run(script.replace("1e-6)", "2e-6)")))]  # another constant: new glue
    print(f"\nfirst seed steps (compile), {dtype}, fresh process each; steps run on the "
          "numpy references until the machine code is ready")
    print(f"{'':24} {'import+build s':>15} {'first run s':>12} {'native after s':>15} "
          f"{'steps':>6}")
    for name, (setup_s, first_s, native_s, steps) in rows:
        print(f"{name:24} {setup_s:15.3f} {first_s:12.3f} {native_s:15.3f} {steps:6d}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--block", type=int, default=6,
                   help="consecutive steps per turn in the steady-state measure")
    p.add_argument("--large", action="store_true", help="also the large size (slow)")
    p.add_argument("--no-compile", action="store_true", help="skip the first-run timings")
    args = p.parse_args()
    for dtype in ("float32", "float64"):
        measure("seed", dtype, args.repeats, args.block)
    if args.large:
        measure("large", "float32", max(3, args.repeats // 40), 2)
    if not args.no_compile:
        for dtype in ("float32", "float64"):
            first_runs(dtype)


if __name__ == "__main__":
    main()
