"""The seed's training step in the spellings users write, each timed against the hand-written
numpy step and the BLAS floor, interleaved in one run.

4 ReLU spellings x 2 loss spellings x 2 update spellings = 16 graphs of the same step. A
compiler whose speed depends on the spelling shows it here: the table prints each
spelling's median, its ratio to the numpy step and to the floor, a digest of the native
code it compiled to (comments and names left out: spellings with one digest run the same
machine code), and the spread between the fastest and the slowest spelling, of all and of
each update spelling. A fetched update returns the new weights, copied, as TensorFlow's
Session.run does; a grouped one returns nothing. So the fetched spellings are also compared
with the floor plus that copy: the five matmuls, then a copy of the two weight products.
The verdict columns time the steady state of a training loop (blocks of consecutive steps
of one spelling, the blocks interleaved: see timing.py); the last two columns time one step
per turn, each after another spelling's. The last line judges the targets on the
steady state: every spelling at most 0.75x the numpy step and 1.1x its floor (the floor
plus the copy, for a fetched update), and the spellings of one update within 10%.
Run: python benchmarks/spellings.py [--repeats 100] [--block 6] [--dtype float32]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import os
import re
from collections.abc import Callable

import numpy as np
from seed_step import matmuls_only, seed_data
from timing import interleaved_medians

import graphc as gc
from graphc import demo

os.environ["GRAPHC_COMPILE"] = "wait"  # time machine code, never the numpy references

RELU: dict[str, Callable[[gc.Tensor], gc.Tensor]] = {
    "relu(h)": gc.relu,
    "maximum(h, zeros(1))": lambda h: gc.maximum(h, gc.zeros(1, dtype=h.dtype)),
    "maximum(0.0, h)": lambda h: gc.maximum(0.0, h),
    "where(h > 0, h, 0.0)": lambda h: gc.where(h > 0, h, 0.0),
}
LOSS: dict[str, Callable[[gc.Tensor, gc.Tensor], gc.Tensor]] = {
    "sum(square(p - y))": lambda p, y: gc.reduce_sum(gc.square(p - y)),
    "sum((y - p) ** 2.0)": lambda p, y: gc.reduce_sum((y - p) ** 2.0),
}
# an update spelling returns (what a step fetches besides the loss, whether it is a target)
UPDATE = ("group(assign_sub)", "fetch assign(w - lr * g)")
LEARNING_RATE = 1e-6


def spelled_step(relu: str, loss_name: str, update: str, dtype: str,
                 x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray
                 ) -> tuple[Callable[[], object], str]:
    """The spelling's step (compiled), and a digest of its native segments' code."""
    graph = gc.Graph()
    with graph.as_default():
        xp = gc.placeholder(dtype, (None, x.shape[1]))
        yp = gc.placeholder(dtype, (None, y.shape[1]))
        v1, v2 = gc.Variable(w1.copy()), gc.Variable(w2.copy())
        h = RELU[relu](gc.matmul(xp, v1))
        loss = LOSS[loss_name](gc.matmul(h, v2), yp)
        g1, g2 = gc.gradients(loss, [v1, v2])
        if update == UPDATE[0]:
            fetches = [loss, gc.group(v1.assign_sub(LEARNING_RATE * g1),
                                      v2.assign_sub(LEARNING_RATE * g2))]
        else:
            fetches = [loss, v1.assign(v1 - LEARNING_RATE * g1),
                       v2.assign(v2 - LEARNING_RATE * g2)]
        sess = gc.Session(graph)
        sess.run(gc.global_variables_initializer())
    feeds = {xp: x, yp: y}
    sess.run(fetches, feeds)  # compile outside the timings
    return (lambda: sess.run(fetches, feeds)), code_digest(sess)


def code_digest(sess: gc.Session) -> str:
    """A digest of the native segments a session compiled, without the comments that name
    the user's ops (which differ from spelling to spelling)."""
    sources = sorted(re.sub(r"  #.*", "", executable.generated[0])
                     for _, executable in sess._cache.values() if hasattr(executable, "generated"))
    return hashlib.sha256("".join(sources).encode()).hexdigest()[:8]


def matmuls_and_copies(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The floor, then a copy of each weight's product: the least a step that hands out
    new weights does (the copy reads what a two-thread gemm just wrote, as graphc's does)."""
    h = x @ w1
    g = h @ w2
    grad_w2, _, grad_w1 = h.T @ g, g @ w2.T, x.T @ h
    return grad_w1.copy(), grad_w2.copy()


def numpy_step(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray
               ) -> Callable[[], object]:
    """The hand-written numpy step, training its own copies of the weights."""
    return functools.partial(demo.numpy_step, x, y, w1, w2, LEARNING_RATE)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--block", type=int, default=6,
                   help="consecutive steps per turn in the steady-state measure")
    p.add_argument("--dtype", action="append", choices=("float32", "float64"))
    args = p.parse_args()
    for dtype in args.dtype or ["float32", "float64"]:
        x, y, w1, w2 = seed_data(demo.SEED_DIMS, dtype)
        steps: dict[str, Callable[[], object]] = {}
        codes: dict[str, str] = {"numpy": "", "blas floor": "", "floor + copy": ""}
        for relu, loss, update in itertools.product(RELU, LOSS, UPDATE):
            name = f"{relu} | {loss} | {update}"
            steps[name], codes[name] = spelled_step(relu, loss, update, dtype, x, y, w1, w2)
        steps["numpy"] = numpy_step(x, y, w1.copy(), w2.copy())
        steps["blas floor"] = functools.partial(matmuls_only, x, y, w1, w2)
        steps["floor + copy"] = functools.partial(matmuls_and_copies, x, y, w1, w2)
        med = interleaved_medians(steps, max(1, args.repeats // (args.block - 1)), args.block)
        turns = interleaved_medians(steps, args.repeats)
        print(f"\nseed step {demo.SEED_DIMS} {dtype}: median ms of ~{args.repeats} steps in "
              f"blocks of {args.block} consecutive steps (the first of each not counted), "
              f"the blocks interleaved; 'turns': one step per turn")
        width = max(map(len, steps))
        print(f"{'spelling':{width}} {'ms':>7} {'x numpy':>8} {'x floor':>8} "
              f"{'turns: x numpy':>15} {'x floor':>8} {'code':>9}")
        for name, ms in med.items():
            cold = turns[name]
            print(f"{name:{width}} {ms:7.3f} {ms / med['numpy']:8.2f} "
                  f"{ms / med['blas floor']:8.2f} {cold / turns['numpy']:15.2f} "
                  f"{cold / turns['blas floor']:8.2f} {codes[name]:>9}")
        kinds = {"every spelling": "", **{f"{u} spellings": u for u in UPDATE}}
        for label, update in kinds.items():
            names = [name for name in steps if codes[name] and name.endswith(update)]
            ms = [med[name] for name in names]
            print(f"{label}: slowest / fastest {max(ms) / min(ms):.2f}; worst x numpy "
                  f"{max(ms) / med['numpy']:.2f}, worst x floor "
                  f"{max(ms) / med['blas floor']:.2f}, worst x (floor + copy) "
                  f"{max(ms) / med['floor + copy']:.2f}; "
                  f"{len({codes[name] for name in names})} native codes")
        print(verdict(med))


def verdict(med: dict[str, float]) -> str:
    """The targets, judged on the steady-state medians: every spelling at most 0.75x the
    numpy step; at most 1.1x its floor, which for a fetched update is the floor plus the
    copy of the new weights it hands out (no step that returns them does less); the
    spellings of one update within 10% of each other."""
    misses = []
    for update, floor in zip(UPDATE, ("blas floor", "floor + copy"), strict=True):
        ms = {name: t for name, t in med.items() if name.endswith(" | " + update)}
        misses += [f"{name}: {t / med['numpy']:.2f}x numpy" for name, t in ms.items()
                   if t > 0.75 * med["numpy"]]
        misses += [f"{name}: {t / med[floor]:.2f}x {floor}" for name, t in ms.items()
                   if t > 1.1 * med[floor]]
        if max(ms.values()) > 1.1 * min(ms.values()):
            misses.append(f"{update}: slowest / fastest {max(ms.values()) / min(ms.values()):.2f}")
    return "targets: " + ("met" if not misses else "missed by " + "; ".join(misses))


if __name__ == "__main__":
    main()
