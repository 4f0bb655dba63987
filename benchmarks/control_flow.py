"""Training steps with control flow, graphc against the same step hand-written in numpy,
interleaved in one run.

- cond: a 784-128-10 MLP (batch 64, float32) whose hidden layer goes through
  `cond(is_training, lambda: dropout(h, 0.5), lambda: h)`, trained by gradient descent.
- while: an RNN-like loop, `h = tanh(h @ w + x)` for 10 trips (batch 64, 128 units,
  float32), and the gradient of its sum with respect to w, through the trips.

Columns: graphc on the numba backend, whose branches and loop bodies are compiled as
programs of their own; the same session with its branches and bodies run on the numpy
interpreter instead (what a backend that cannot compile them does); graphc's numpy
backend; and numpy by hand (every forward and backward product written out, a dropout
mask drawn each step). The values agree (checked before timing: the loop's gradient on
every session, and the MLP's loss on the mask graphc's run drew).
Run: python benchmarks/control_flow.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
from timing import interleaved_medians

import graphc as gc

os.environ["GRAPHC_COMPILE"] = "wait"  # time machine code, never the numpy references
BATCH, D_IN, HIDDEN, D_OUT, TRIPS, LR = 64, 784, 128, 10, 10, 0.01


def cond_program() -> tuple[gc.Graph, dict[str, object]]:
    graph = gc.Graph()
    with graph.as_default():
        gc.set_random_seed(0)
        rng = np.random.default_rng(0)
        x = gc.placeholder(gc.float32, (None, D_IN))
        y = gc.placeholder(gc.float32, (None, D_OUT))
        training = gc.placeholder(gc.bool, ())
        w1 = gc.Variable((rng.standard_normal((D_IN, HIDDEN)) * 0.05).astype(np.float32))
        w2 = gc.Variable((rng.standard_normal((HIDDEN, D_OUT)) * 0.05).astype(np.float32))
        h = gc.nn.relu(gc.matmul(x, w1))
        kept = gc.cond(training, lambda: gc.nn.dropout(h, keep_prob=0.5), lambda: h)
        loss = gc.reduce_mean(gc.square(gc.matmul(kept, w2) - y))
        train = gc.train.GradientDescentOptimizer(LR).minimize(loss)
        init = gc.global_variables_initializer()
    return graph, dict(x=x, y=y, training=training, w1=w1, w2=w2, kept=kept, loss=loss,
                       train=train, init=init)


def while_program() -> tuple[gc.Graph, dict[str, object]]:
    graph = gc.Graph()
    with graph.as_default():
        rng = np.random.default_rng(1)
        x = gc.placeholder(gc.float32, (None, HIDDEN))
        w = gc.Variable((rng.standard_normal((HIDDEN, HIDDEN)) * 0.05).astype(np.float32))
        _, h = gc.while_loop(lambda i, h: i < TRIPS,
                             lambda i, h: (i + 1, gc.tanh(gc.matmul(h, w) + x)),
                             [gc.constant(0), x])
        grad_w, = gc.gradients(gc.reduce_sum(h), [w])
        init = gc.global_variables_initializer()
    return graph, dict(x=x, w=w, h=h, grad_w=grad_w, init=init)


def numpy_cond_step(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray,
                    draw: Callable[[], np.ndarray]) -> Callable[[], float]:
    """The cond program's training step by hand, its dropout mask (0 or 2) from draw(),
    updating its own copies of the weights."""
    def step() -> float:
        mask = draw()
        h = np.maximum(x @ w1, 0.0)
        kept = h * mask
        diff = kept @ w2 - y
        grad_out = (2.0 / diff.size) * diff
        grad_w2 = kept.T @ grad_out
        grad_h = (grad_out @ w2.T) * mask * (h > 0)
        grad_w1 = x.T @ grad_h
        w1[...] -= np.float32(LR) * grad_w1  # (in place: the caller's copies)
        w2[...] -= np.float32(LR) * grad_w2
        return float(np.mean(diff * diff))
    return step


def numpy_while_gradient(x: np.ndarray, w: np.ndarray) -> Callable[[], np.ndarray]:
    """The loop's gradient by hand: forward through the trips, then back."""
    def step() -> np.ndarray:
        hs = [x]
        for _ in range(TRIPS):
            hs.append(np.tanh(hs[-1] @ w + x))
        grad_w, g = np.zeros_like(w), np.ones_like(x)
        for t in range(TRIPS, 0, -1):
            pre = g * (1.0 - hs[t] * hs[t])
            grad_w += hs[t - 1].T @ pre
            g = pre @ w.T
        return grad_w
    return step


def sessions(graph: gc.Graph, init: object) -> dict[str, gc.Session]:
    native = gc.Session(graph, backend="numba")
    interpreted = gc.Session(graph, backend="numba")
    interpreted.backend.runs_functions = False  # type: ignore[misc]  # (branches: numpy)
    reference = gc.Session(graph, backend="numpy")
    for sess in (native, interpreted, reference):
        sess.run(init)
    return {"graphc numba": native, "numba, interpreted branches": interpreted,
            "graphc numpy backend": reference}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=200)
    args = p.parse_args()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((BATCH, D_IN)).astype(np.float32)
    y = rng.standard_normal((BATCH, D_OUT)).astype(np.float32)

    graph, c = cond_program()
    runs = sessions(graph, c["init"])
    feeds = {c["x"]: x, c["y"]: y, c["training"]: True}
    w1, w2 = (runs["graphc numba"].run(c[k]) for k in ("w1", "w2"))
    loss, kept = runs["graphc numba"].run([c["loss"], c["kept"]], feeds)
    hidden = np.maximum(x @ w1, 0.0)  # (the mask that run drew, where it shows)
    mask = np.where(hidden > 0, kept / np.where(hidden > 0, hidden, 1.0), 2.0)
    checked = numpy_cond_step(x, y, w1.copy(), w2.copy(), lambda: mask.astype(np.float32))()
    np.testing.assert_allclose(loss, checked, rtol=1e-5)
    draws = np.random.default_rng(3)
    by_hand = numpy_cond_step(x, y, w1.copy(), w2.copy(), lambda: np.where(
        draws.random(hidden.shape, np.float32) < 0.5, np.float32(2.0), np.float32(0.0)))
    cond_steps: dict[str, Callable[[], object]] = {
        name: (lambda s=s: s.run([c["loss"], c["train"]], feeds)) for name, s in runs.items()}
    cond_steps["numpy by hand"] = by_hand

    graph, l_ = while_program()
    loop_runs = sessions(graph, l_["init"])
    xs = x[:, :HIDDEN].copy()
    w = loop_runs["graphc numba"].run(l_["w"])
    expected = numpy_while_gradient(xs, w)()
    for name, s in loop_runs.items():
        np.testing.assert_allclose(s.run(l_["grad_w"], {l_["x"]: xs}), expected, rtol=2e-4,
                                   atol=2e-4, err_msg=name)
    loop_steps: dict[str, Callable[[], object]] = {
        name: (lambda s=s: s.run(l_["grad_w"], {l_["x"]: xs})) for name, s in loop_runs.items()}
    loop_steps["numpy by hand"] = numpy_while_gradient(xs, w)

    for title, steps in (("cond: MLP step, dropout under cond(is_training)", cond_steps),
                         (f"while: gradient through {TRIPS} trips of tanh(h @ w + x)",
                          loop_steps)):
        for step in steps.values():
            step()  # (compile outside the timings)
        med = interleaved_medians(steps, args.repeats)
        print(f"\n{title}; median ms of {args.repeats} calls, one per turn")
        print(f"{'':30} {'ms':>8} {'x numpy':>8}")
        for name, ms in med.items():
            print(f"{name:30} {ms:8.3f} {ms / med['numpy by hand']:8.2f}")


if __name__ == "__main__":
    main()
