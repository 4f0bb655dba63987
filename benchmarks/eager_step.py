"""Time one autograd training step of the seed network in eager mode.

graphc eager (forward, loss.backward(), no_grad update) vs the hand-written numpy step, and
vs PyTorch eager autograd when torch is installed. Medians of interleaved repetitions.
Run: python benchmarks/eager_step.py [--repeats 300] [--dtype float32]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import graphc.eager as ge
from graphc import demo


def graphc_step(x, y, w1, w2, learning_rate):
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    with ge.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()


def torch_step(torch, x, y, w1, w2, learning_rate):
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()


def steps(dtype: str) -> dict[str, Callable[[], object]]:
    n, d_in, hidden, d_out = demo.SEED_DIMS
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.standard_normal((n, d_out)).astype(dtype)
    w1 = rng.standard_normal((d_in, hidden)).astype(dtype)
    w2 = rng.standard_normal((hidden, d_out)).astype(dtype)
    lr = 1e-6
    gx, gy = ge.tensor(x), ge.tensor(y)
    gw1, gw2 = ge.tensor(w1, requires_grad=True), ge.tensor(w2, requires_grad=True)
    nw1, nw2 = w1.copy(), w2.copy()
    table: dict[str, Callable[[], object]] = {
        "graphc eager": lambda: graphc_step(gx, gy, gw1, gw2, lr),
        "numpy by hand": lambda: demo.numpy_step(x, y, nw1, nw2, lr),
    }
    try:
        import torch
    except ImportError:
        return table
    torch.set_num_threads(2)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tw1 = torch.from_numpy(w1.copy()).requires_grad_()
    tw2 = torch.from_numpy(w2.copy()).requires_grad_()
    table["pytorch eager"] = lambda: torch_step(torch, tx, ty, tw1, tw2, lr)
    return table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=300)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = p.parse_args()
    table = steps(args.dtype)
    times: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(args.repeats):
        for name, step in table.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    print(f"seed autograd step {demo.SEED_DIMS} {args.dtype}, median of {args.repeats}")
    print(f"{'':15} {'ms/step':>9} {'x numpy':>8}")
    for name in table:
        print(f"{name:15} {med[name]:9.3f} {med[name] / med['numpy by hand']:8.2f}")
    if "pytorch eager" not in table:
        print("(PyTorch is not installed: pip install torch to compare)")


if __name__ == "__main__":
    main()
