"""Time one training step of the seed network: graphc vs hand-written numpy vs the BLAS floor.

Prints a table of medians (interleaved repetitions, so machine noise hits every column alike)
and ratios, the first-run (compile) time, and the peak memory numpy allocates per step.
Run: python benchmarks/seed_step.py [--backend numpy] [--repeats 200] [--large]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from timing import interleaved_medians

import graphc as gc
from graphc import demo

SIZES = {"seed": demo.SEED_DIMS, "large": (2048, 4096, 4096, 1024)}


def matmuls_only(x, y, w1, w2):
    """The five matrix products of a step and nothing else: the floor BLAS sets."""
    h = x @ w1
    g = h @ w2
    _ = h.T @ g, g @ w2.T, x.T @ h


def setup(dims, dtype, backend):
    n, d_in, hidden, d_out = dims
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.standard_normal((n, d_out)).astype(dtype)
    g = demo.two_layer_graph(dims, gc.as_dtype(dtype), 1e-6)
    sess = gc.Session(g["graph"], backend=backend)
    sess.run(g["init"])
    w1, w2 = sess.run([g["w1"], g["w2"]])
    feeds = {g["x"]: x, g["y"]: y}
    start = time.perf_counter()
    sess.run([g["loss"], g["train"]], feeds)
    first_run = time.perf_counter() - start
    steps: dict[str, Callable[[], object]] = {
        "graphc": lambda: sess.run([g["loss"], g["train"]], feeds),
        "numpy": lambda: demo.numpy_step(x, y, w1, w2, 1e-6),
        "blas floor": lambda: matmuls_only(x, y, w1, w2),
    }
    return steps, first_run


def peak_bytes(step: Callable[[], object]) -> int:
    step()
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def measure(size: str, dtype: str, backend: str | None, repeats: int) -> None:
    steps, first_run = setup(SIZES[size], dtype, backend)
    med = interleaved_medians(steps, repeats)
    peak = {name: peak_bytes(step) / 2**20 for name, step in steps.items()}
    print(f"\n{size} {SIZES[size]} {dtype}, backend {backend or 'default'}, "
          f"median of {repeats}; first run (compile) {first_run * 1e3:.1f} ms")
    print(f"{'':12} {'ms/step':>9} {'x floor':>8} {'x numpy':>8} {'peak MiB':>9}")
    for name in steps:
        print(f"{name:12} {med[name]:9.3f} {med[name] / med['blas floor']:8.2f} "
              f"{med[name] / med['numpy']:8.2f} {peak[name]:9.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default=None)
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--large", action="store_true", help="also the large size (slow)")
    args = p.parse_args()
    for dtype in ("float32", "float64"):
        measure("seed", dtype, args.backend, args.repeats)
    if args.large:
        measure("large", "float32", args.backend, max(3, args.repeats // 50))


if __name__ == "__main__":
    main()
