"""The whole program as a user runs it: `python prog.py` in a fresh process, graphc's static
two-layer program (the tutorial's N, D_in, H, D_out = 64, 1000, 100, 10, float32) against the
same training loop written in numpy, at 500 and 5,000 steps; with empty caches (a new
$GRAPHC_CACHE_DIR and $NUMBA_CACHE_DIR, so graphc's generated code and numba's machine code,
its kernels included, are compiled from nothing) and with warm caches; and the time of
`import graphc` in a fresh process (minus a bare interpreter's start).

Every time is the wall time of a whole process, start to exit. Runs are interleaved (graphc,
numpy, graphc, ...) so machine noise hits both columns alike; the table shows medians. With
empty caches a graphc run exits without waiting for the child process compiling its code;
the benchmark waits for that child before it starts the next timed process (untimed).
Run: python benchmarks/end_to_end.py [--repeats 5] [--steps 500 5000] [--caches warm empty]
     [--blas-threads 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRAPHC_PROGRAM = '''
import sys
import numpy as np
import graphc as gc

steps = int(sys.argv[1])
n, d_in, hidden, d_out = 64, 1000, 100, 10
rng = np.random.default_rng(0)
x_value = rng.standard_normal((n, d_in)).astype(np.float32)
y_value = rng.standard_normal((n, d_out)).astype(np.float32)

x = gc.placeholder(gc.float32, shape=(None, d_in), name="x")
y = gc.placeholder(gc.float32, shape=(None, d_out), name="y")
w1 = gc.Variable(gc.random_normal((d_in, hidden), dtype=gc.float32), name="w1")
w2 = gc.Variable(gc.random_normal((hidden, d_out), dtype=gc.float32), name="w2")
h_relu = gc.maximum(gc.matmul(x, w1), gc.zeros(1, dtype=gc.float32))
y_pred = gc.matmul(h_relu, w2)
loss = gc.reduce_sum((y - y_pred) ** 2.0, name="loss")
grad_w1, grad_w2 = gc.gradients(loss, [w1, w2])
learning_rate = 1e-6
new_w1 = w1.assign(w1 - learning_rate * grad_w1)
new_w2 = w2.assign(w2 - learning_rate * grad_w2)

with gc.Session() as sess:
    sess.run(gc.global_variables_initializer())
    for t in range(steps):
        loss_value, _ = sess.run([loss, [new_w1, new_w2]], feed_dict={x: x_value, y: y_value})
        if t % 100 == 99:
            print(t, loss_value)
'''

NUMPY_PROGRAM = '''
import sys
import numpy as np

steps = int(sys.argv[1])
n, d_in, hidden, d_out = 64, 1000, 100, 10
rng = np.random.default_rng(0)
x = rng.standard_normal((n, d_in)).astype(np.float32)
y = rng.standard_normal((n, d_out)).astype(np.float32)
w1 = rng.standard_normal((d_in, hidden)).astype(np.float32)
w2 = rng.standard_normal((hidden, d_out)).astype(np.float32)

learning_rate = 1e-6
for t in range(steps):
    h = x @ w1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ w2
    loss = np.square(y_pred - y).sum()
    if t % 100 == 99:
        print(t, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0
    grad_w1 = x.T @ grad_h
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
'''


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting a process to its exit."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def wait_for_compiles(cache: Path, limit_s: float = 300.0) -> None:
    """Wait until no child process a graphc run left behind still compiles into `cache`
    (each holds a `.compiling` lock file there), so it does not share the cores with the
    next timed process."""
    deadline = time.monotonic() + limit_s
    while any(cache.rglob("*.compiling")) and time.monotonic() < deadline:
        time.sleep(0.2)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, nargs="+", default=[500, 5000])
    p.add_argument("--caches", nargs="+", choices=["warm", "empty"], default=["warm", "empty"],
                   help="which cache states to time (both by default)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="OPENBLAS_NUM_THREADS for every run (on a loaded machine, BLAS "
                        "threads that wait for each other dominate both columns)")
    args = p.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "graphc_prog.py").write_text(GRAPHC_PROGRAM)
        (folder / "numpy_prog.py").write_text(NUMPY_PROGRAM)
        # as a user runs it: Python keeps its bytecode caches (some sandboxes switch them
        # off, which makes every import compile every module it loads)
        base = {k: v for k, v in os.environ.items()
                if k not in ("GRAPHC_COMPILE", "NUMBA_DISABLE_JIT", "PYTHONDONTWRITEBYTECODE")}
        if args.blas_threads:
            base["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
        warm = dict(base, GRAPHC_CACHE_DIR=str(folder / "warm"),
                    NUMBA_CACHE_DIR=str(folder / "warm"))
        graphc_prog = [python, str(folder / "graphc_prog.py")]
        numpy_prog = [python, str(folder / "numpy_prog.py")]
        rows: dict[str, list[float]] = {}

        def record(name: str, seconds: float) -> None:
            rows.setdefault(name, []).append(seconds)

        # import time: interleaved bare starts, numpy, graphc
        for _ in range(max(5, 2 * args.repeats)):
            record("python -c pass", wall([python, "-c", "pass"], warm))
            record("import numpy", wall([python, "-c", "import numpy"], warm))
            record("import graphc", wall([python, "-c", "import graphc"], warm))
        # empty caches: a new cache directory for each graphc run
        for steps in args.steps if "empty" in args.caches else []:
            for r in range(args.repeats):
                empty = folder / f"empty{steps}_{r}"
                env = dict(base, GRAPHC_CACHE_DIR=str(empty), NUMBA_CACHE_DIR=str(empty))
                record(f"empty {steps} graphc", wall(graphc_prog + [str(steps)], env))
                wait_for_compiles(empty)  # the run's compiling child must not slow numpy's
                record(f"empty {steps} numpy", wall(numpy_prog + [str(steps)], env))
                shutil.rmtree(empty, ignore_errors=True)
        # warm caches: fill them (and let any compilation a run left behind finish) first
        for steps in args.steps if "warm" in args.caches else []:
            wall(graphc_prog + [str(steps)], warm)
            wall(graphc_prog + ["5000"], warm)
            wait_for_compiles(folder / "warm")
        for steps in args.steps if "warm" in args.caches else []:
            for _ in range(args.repeats):
                record(f"warm {steps} graphc", wall(graphc_prog + [str(steps)], warm))
                record(f"warm {steps} numpy", wall(numpy_prog + [str(steps)], warm))
    med = {name: statistics.median(t) for name, t in rows.items()}
    spread = {name: (min(t), max(t)) for name, t in rows.items()}
    print(f"fresh processes, wall time start to exit, median of {args.repeats}+ interleaved "
          f"runs (min-max)")
    print(f"{'':22} {'graphc s':>9} {'numpy s':>9} {'ratio':>6}   graphc min-max")
    for cache in args.caches:
        for steps in args.steps:
            g, n = med[f"{cache} {steps} graphc"], med[f"{cache} {steps} numpy"]
            lo, hi = spread[f"{cache} {steps} graphc"]
            print(f"{cache + ' caches, ' + str(steps) + ' steps':22} {g:9.2f} {n:9.2f} "
                  f"{g / n:6.2f}   {lo:.2f}-{hi:.2f}")
    bare = med["python -c pass"]
    print(f"\nimport in a fresh process, minus `python -c pass` ({bare:.3f} s): "
          f"import graphc {med['import graphc'] - bare:.3f} s, "
          f"import numpy {med['import numpy'] - bare:.3f} s")


if __name__ == "__main__":
    main()
