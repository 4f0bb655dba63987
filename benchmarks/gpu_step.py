"""Time the cuda backend: the seed training step and a large one on the GPU vs the numba
CPU backend (whole Session.run calls, fetching the loss), and graphc's matmul kernel alone
vs cuBLAS (through CuPy or PyTorch, where either is installed) with achieved TFLOP/s.

GPU times of single kernels come from CUDA events around the launches; step times are
wall-clock medians of interleaved repetitions (a fetch ends each step, so the GPU's work
is included). Needs a GPU; --smoke runs tiny sizes in numba's simulator, to check the
script itself (its figures mean nothing).
Run: python benchmarks/gpu_step.py [--repeats 50] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np
from timing import interleaved_medians

import graphc as gc
from graphc import demo

SIZES = {"seed": demo.SEED_DIMS, "large": (2048, 4096, 4096, 1024)}
SMOKE_SIZES = {"seed": (4, 6, 5, 3), "large": (8, 12, 10, 6)}
LEARNING_RATE = {"seed": 1e-6, "large": 1e-12}


def session_step(dims, dtype, device, backend, lr):
    g = demo.two_layer_graph(dims, gc.as_dtype(dtype), lr)
    sess = gc.Session(g["graph"], device=device, backend=backend)
    sess.run(g["init"])
    rng = np.random.default_rng(0)
    feeds = {g["x"]: rng.standard_normal((dims[0], dims[1])).astype(dtype),
             g["y"]: rng.standard_normal((dims[0], dims[3])).astype(dtype)}
    sess.run([g["loss"], g["train"]], feeds)  # compile and fill the buffer pool first
    return lambda: sess.run([g["loss"], g["train"]], feeds)


def gpu_ms(launch, repeats):
    """Median GPU milliseconds of launch(), timed with CUDA events."""
    from numba import cuda

    times = []
    for _ in range(repeats):
        start, end = cuda.event(), cuda.event()
        start.record()
        launch()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def matmul_table(n, dtype, repeats):
    from graphc.graph import TensorType
    from graphc.runtime.cuda import device
    from graphc.runtime.cuda.linalg import launch_matmul
    from graphc.runtime.cuda.table import Call

    rng = np.random.default_rng(0)
    a, b = (device.to_device(rng.standard_normal((n, n)).astype(dtype)) for _ in range(2))
    call = Call([a, b], {"transpose_a": False, "transpose_b": False},
                [TensorType(gc.as_dtype(dtype), (n, n))])
    rows = {"graphc tiled kernel": gpu_ms(lambda: launch_matmul(call, "none"), repeats)}
    blas = cublas_matmul(np.asarray(a.copy_to_host()), np.asarray(b.copy_to_host()))
    if blas is not None:
        name, run = blas
        rows[name] = gpu_ms(run, repeats)
    flops = 2 * n ** 3
    print(f"\nmatmul {n}x{n}x{n} {np.dtype(dtype).name} (GPU time, CUDA events)")
    print(f"{'kernel':<24}{'ms':>10}{'TFLOP/s':>10}")
    for name, ms in rows.items():
        print(f"{name:<24}{ms:>10.3f}{flops / ms / 1e9:>10.2f}")
    if len(rows) == 1:
        print("(no CuPy or PyTorch with CUDA here: no cuBLAS column)")


def cublas_matmul(a, b):
    """(name, run) for cuBLAS through CuPy or PyTorch, or None if neither has a GPU."""
    try:
        import cupy

        ca, cb = cupy.asarray(a), cupy.asarray(b)
        return "cuBLAS (CuPy)", lambda: cupy.matmul(ca, cb)
    except Exception:
        pass
    try:
        import torch

        if torch.cuda.is_available():
            ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
            return "cuBLAS (PyTorch)", lambda: ta @ tb
    except Exception:
        pass
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes in numba's CUDA simulator (checks the script only)")
    args = parser.parse_args()
    if args.smoke:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    sizes = SMOKE_SIZES if args.smoke else SIZES
    repeats = 3 if args.smoke else args.repeats

    from numba import cuda

    print("device:", "numba CUDA simulator" if args.smoke else cuda.get_current_device().name)
    print(f"\n{'size':<7}{'dtype':<9}{'cuda ms':>10}{'numba cpu ms':>14}{'cpu / cuda':>12}")
    for size, dims in sizes.items():
        for dtype in (np.float32, np.float64):
            if size == "large" and dtype == np.float64:
                continue
            steps = {"cuda": session_step(dims, dtype, "cuda", None, LEARNING_RATE[size]),
                     "cpu": session_step(dims, dtype, "cpu", "numba", LEARNING_RATE[size])}
            ms = interleaved_medians(steps, repeats if size == "seed" else max(3, repeats // 10))
            print(f"{size:<7}{np.dtype(dtype).name:<9}{ms['cuda']:>10.3f}{ms['cpu']:>14.3f}"
                  f"{ms['cpu'] / ms['cuda']:>12.2f}")
    for dtype in (np.float32, np.float64):
        matmul_table(16 if args.smoke else 4096, dtype, repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
