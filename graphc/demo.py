"""The main job: train the seeds' two-layer network as a static graph, time it, draw it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import graphc as gc

SEED_DIMS = (64, 1000, 100, 10)  # batch, input, hidden, output


def two_layer_graph(dims: tuple[int, int, int, int], dtype: Any,
                    learning_rate: float) -> dict[str, Any]:
    """The seed's static graph in a new Graph: loss, and one SGD update per run."""
    _, d_in, hidden, d_out = dims
    graph = gc.Graph()
    with graph.as_default():
        gc.set_random_seed(0)
        x = gc.placeholder(dtype, (None, d_in), name="x")
        y = gc.placeholder(dtype, (None, d_out), name="y")
        w1 = gc.Variable(gc.random_normal((d_in, hidden), dtype=dtype), name="w1")
        w2 = gc.Variable(gc.random_normal((hidden, d_out), dtype=dtype), name="w2")
        with gc.name_scope("forward"):
            y_pred = gc.matmul(gc.relu(gc.matmul(x, w1)), w2)
            loss = gc.reduce_sum(gc.square(y_pred - y), name="loss")
        grad_w1, grad_w2 = gc.gradients(loss, [w1, w2])
        train = gc.group(w1.assign_sub(learning_rate * grad_w1),
                         w2.assign_sub(learning_rate * grad_w2), name="train")
        init = gc.global_variables_initializer()
    return dict(graph=graph, x=x, y=y, loss=loss, train=train, init=init, w1=w1, w2=w2)


def numpy_step(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray,
               learning_rate: float) -> float:
    """One hand-written numpy training step, updating w1 and w2 in place."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ w2
    diff = y_pred - y
    grad_y_pred = 2.0 * diff
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0
    w2 -= learning_rate * (h_relu.T @ grad_y_pred)
    w1 -= learning_rate * (x.T @ grad_h)
    return float(np.square(diff).sum())


def draw(g: dict[str, Any], out: Path) -> list[Path]:
    """forward.svg, backward.svg (the whole training step) and optimized.svg in `out`."""
    step = [g["loss"], g["train"]]
    return [gc.viz.render(g["loss"], out / "forward.svg", title="forward pass"),
            gc.viz.render(step, out / "backward.svg",
                          title="training step: forward, gradients, updates"),
            gc.viz.render(step, out / "optimized.svg", optimized=True,
                          title="training step after graphc's passes")]


def plot_losses(losses: list[float], path: Path) -> Path | None:
    """A loss curve, if matplotlib is installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(losses)
    ax.set(xlabel="step", ylabel="loss (log scale)", title="graphc demo: training loss")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def runs_natively(session: gc.Session) -> bool:
    """Whether every program the session has compiled runs as machine code now (the
    numba backend compiles in the background; other backends always do)."""
    return all(getattr(executable, "native", True) for _, executable in
               session._cache.values())


def run(steps: int = 500, backend: str | None = None, dtype: str = "float32",
        out: str | Path = "graphc-demo", say: Callable[[str], None] = print,
        device: str = "cpu") -> dict[str, Any]:
    """Train for `steps` steps with a progress bar; report the loss and ms/step of graphc
    and of plain numpy; draw the graphs and the loss curve into `out`."""
    from tqdm import tqdm

    learning_rate = 1e-6
    g = two_layer_graph(SEED_DIMS, gc.as_dtype(dtype), learning_rate)
    rng = np.random.default_rng(0)
    n, d_in, _, d_out = SEED_DIMS
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.standard_normal((n, d_out)).astype(dtype)
    losses: list[float] = []
    with gc.Session(g["graph"], backend=backend, device=device) as sess:
        sess.run(g["init"])
        w1, w2 = sess.run([g["w1"], g["w2"]])
        bar = tqdm(range(steps), desc="training", unit="step", leave=False, disable=None)
        times: dict[bool, list[float]] = {True: [], False: []}  # by: ran as machine code?
        began = time.perf_counter()
        for t in bar:
            start = time.perf_counter()
            loss, _ = sess.run([g["loss"], g["train"]], {g["x"]: x, g["y"]: y})
            elapsed = time.perf_counter() - start
            native = runs_natively(sess)  # (numba compiles in the background meanwhile)
            times[native].append(elapsed)
            if native and len(times[True]) == 1:
                ready = start - began
            losses.append(float(loss))
            if t % max(1, steps // 10) == 0 or t == steps - 1:
                bar.write(f"step {t:4d}  loss {loss:.6g}")
    first_run = (times[False] or times[True])[0]
    steady = times[True] or times[False][1:] or times[False]
    graphc_ms = sum(steady) / len(steady) * 1e3
    start = time.perf_counter()
    for _ in range(steps):
        numpy_step(x, y, w1, w2, learning_rate)
    numpy_ms = (time.perf_counter() - start) / steps * 1e3
    if sess.backend.name != "numba":
        how = f"after a first run of {first_run * 1e3:.0f} ms"
    elif not times[True]:
        how = (f"on the numpy references: the machine code was still compiling "
               f"(first run {first_run * 1e3:.0f} ms)")
    else:
        how = (f"as machine code, ready after {ready:.2f} s ({len(times[False])} steps ran on "
               f"the numpy references meanwhile; first run {first_run * 1e3:.0f} ms)")
    say(f"graphc ({sess.backend.name} backend): {graphc_ms:.3f} ms/step {how};  "
        f"hand-written numpy: {numpy_ms:.3f} ms/step")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = draw(g, out)
    curve = plot_losses(losses, out / "loss.png")
    say("wrote " + ", ".join(str(f) for f in files + ([curve] if curve else [])))
    return dict(losses=losses, graphc_ms=graphc_ms, numpy_ms=numpy_ms, files=files)
