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


def compile_report(session: gc.Session) -> tuple[float | None, bool | None]:
    """Seconds the numba backend's background compilation took and whether the machine
    code came from the disk cache (None where it did not compile in the background)."""
    tiers = [s.tiered for _, executable in session._cache.values()
             for s in getattr(executable, "segments", [])]
    seconds = [t.compile_seconds for t in tiers if t.compile_seconds is not None]
    cached = [t.cached for t in tiers if t.cached is not None]
    return (max(seconds) if seconds else None), (all(cached) if cached else None)


def run(steps: int = 500, backend: str | None = None, dtype: str = "float32",
        out: str | Path = "graphc-demo", say: Callable[[str], None] = print,
        device: str = "cpu") -> dict[str, Any]:
    """Train until graphc's machine code is ready (with a progress bar), then `steps` more
    steps, each timed against a hand-written numpy step in the same loop; report the loss
    and ms/step of both; draw the graphs and the loss curve into `out`."""
    import statistics

    from tqdm import tqdm

    learning_rate = 1e-6
    g = two_layer_graph(SEED_DIMS, gc.as_dtype(dtype), learning_rate)
    rng = np.random.default_rng(0)
    n, d_in, _, d_out = SEED_DIMS
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.standard_normal((n, d_out)).astype(dtype)
    losses: list[float] = []
    with gc.Session(g["graph"], backend=backend, device=device) as sess:
        name = sess.backend.name
        sess.run(g["init"])
        w1, w2 = sess.run([g["w1"], g["w2"]])
        feeds = {g["x"]: x, g["y"]: y}

        def step() -> float:
            loss, _ = sess.run([g["loss"], g["train"]], feeds)
            losses.append(float(loss))
            return float(loss)

        # 1. until the step runs as machine code: the first run (which compiles, on
        # backends that compile when asked), then runs on the numpy references meanwhile
        began = time.perf_counter()
        if name == "numba":
            say("getting graphc's machine code ready (the first time, numba compiles for "
                "~10 s; the code is cached for later runs) ...")
        step()
        first_run = time.perf_counter() - began
        waiting = tqdm(desc="compiling; steps on the numpy references", unit="step",
                       leave=False, disable=None)
        while not runs_natively(sess):
            step()
            waiting.update()
        waiting.close()
        waited = time.perf_counter() - began
        seconds, cached = compile_report(sess)
        if seconds is not None:  # compiled in the background
            say(f"machine code ready after {waited:.1f} s: "
                f"{'loaded from the disk cache' if cached else 'compiled'} in {seconds:.1f} s; "
                f"{len(losses)} steps ran on the numpy references meanwhile")
        else:
            say(f"ready after a first run of {first_run:.2f} s"
                + (" (compiled then)" if name in ("numba", "cuda") else ""))

        # 2. graphc and numpy timed in one loop, alternating which goes first
        times: dict[str, list[float]] = {"graphc": [], "numpy": []}

        def numpy_timed() -> None:
            start = time.perf_counter()
            numpy_step(x, y, w1, w2, learning_rate)
            times["numpy"].append(time.perf_counter() - start)

        bar = tqdm(range(steps), desc="training (timed)", unit="step", leave=False,
                   disable=None)
        for t in bar:
            if t % 2:
                numpy_timed()
            start = time.perf_counter()
            loss = step()
            times["graphc"].append(time.perf_counter() - start)
            if not t % 2:
                numpy_timed()
            if t % max(1, steps // 10) == 0 or t == steps - 1:
                bar.write(f"step {t:4d}  loss {loss:.6g}")
    graphc_ms = statistics.median(times["graphc"]) * 1e3
    numpy_ms = statistics.median(times["numpy"]) * 1e3
    say(f"graphc ({name} backend{', machine code' if name == 'numba' else ''}): "
        f"{graphc_ms:.3f} ms/step;  hand-written numpy: {numpy_ms:.3f} ms/step "
        f"(medians of {steps} steps, timed alternately in one loop: "
        f"graphc/numpy {graphc_ms / numpy_ms:.2f}x)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = draw(g, out)
    curve = plot_losses(losses, out / "loss.png")
    say("wrote " + ", ".join(str(f) for f in files + ([curve] if curve else [])))
    return dict(losses=losses, graphc_ms=graphc_ms, numpy_ms=numpy_ms, files=files)
