"""Time one autograd training step of the seed network in eager mode.

graphc eager (forward, loss.backward(), no_grad update) vs the hand-written numpy step, as
medians of interleaved repetitions. If PyTorch is installed, its eager step is timed against
numpy's step in a child process that runs nothing else: torch's OpenMP threads spin between
its ops and slow any numpy BLAS call interleaved with them (tenfold on the 2-core machine).
Run: python benchmarks/eager_step.py [--repeats 300] [--dtype float32]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys

import numpy as np
from timing import interleaved_medians

from graphc import demo


def problem(dtype: str) -> tuple[np.ndarray, ...]:
    n, d_in, hidden, d_out = demo.SEED_DIMS
    rng = np.random.default_rng(0)
    shapes = [(n, d_in), (n, d_out), (d_in, hidden), (hidden, d_out)]
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


def autograd_step(lib, x, y, w1, w2, learning_rate=1e-6):
    """The seed's autograd step; `lib` is graphc.eager or torch (same API)."""
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    with lib.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()


def eager_and_numpy(lib, tensor, dtype):
    """Steps for an eager library (tensor: array -> leaf tensor) and for numpy by hand."""
    x, y, w1, w2 = problem(dtype)
    lx, ly = tensor(x, False), tensor(y, False)
    lw1, lw2 = tensor(w1.copy(), True), tensor(w2.copy(), True)
    return {
        lib.__name__: lambda: autograd_step(lib, lx, ly, lw1, lw2),
        "numpy by hand": lambda: demo.numpy_step(x, y, w1, w2, 1e-6),
    }


def measure_torch(repeats: int, dtype: str) -> dict[str, float]:
    import torch

    def tensor(a, grad):
        return torch.from_numpy(a).requires_grad_(grad)

    table = eager_and_numpy(torch, tensor, dtype)
    return interleaved_medians({"torch": table["torch"]}, repeats)


def measure_graphc(repeats: int, dtype: str) -> dict[str, float]:
    import graphc.eager as ge

    return interleaved_medians(eager_and_numpy(ge, lambda a, grad: ge.tensor(a, requires_grad=grad),
                                   dtype), repeats)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=300)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_child:
        print(json.dumps(measure_torch(args.repeats, args.dtype)))
        return
    rows = [("graphc eager", measure_graphc(args.repeats, args.dtype), "graphc.eager")]
    if importlib.util.find_spec("torch") is not None:
        out = subprocess.run([sys.executable, __file__, "--torch-child", "--repeats",
                              str(args.repeats), "--dtype", args.dtype],
                             capture_output=True, text=True, check=True).stdout
        torch_ms = json.loads(out)["torch"]
        rows.append(("pytorch eager", {**rows[0][1], "torch": torch_ms}, "torch"))
    print(f"seed autograd step {demo.SEED_DIMS} {args.dtype}, median of {args.repeats}")
    print(f"{'':15} {'ms/step':>9} {'numpy ms/step':>14} {'x numpy':>8}")
    for label, med, key in rows:
        print(f"{label:15} {med[key]:9.3f} {med['numpy by hand']:14.3f} "
              f"{med[key] / med['numpy by hand']:8.2f}")
    if len(rows) == 1:
        print("(PyTorch is not installed: pip install torch to compare)")


if __name__ == "__main__":
    main()
