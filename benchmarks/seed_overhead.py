"""What graphc adds around its native code: a training step through Session.run, through a
make_callable function, and as the bare native function (called with the arguments
Session.run passes it and a workspace of its own). Two graphs: the seed's step against the
BLAS floor, interleaved with nothing else (so no other step's working set evicts the
caches between them), and a tiny step (a 2x4 batch, a 4x3 weight), where nearly all of a
run is the Python around the native call.
Run: python benchmarks/seed_overhead.py [--dtype float32] [--repeats 500]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
from seed_step import matmuls_only
from timing import interleaved_medians

import graphc as gc
from graphc import demo

os.environ["GRAPHC_COMPILE"] = "wait"


def three_ways(sess: gc.Session, fetches: list, feeds: dict) -> dict[str, Callable[[], object]]:
    """The step by Session.run, by a callable, and as its bare native function."""
    for _ in range(3):  # compile, then grow the workspace, then run in place
        sess.run(fetches, feeds)
    call = sess.make_callable(fetches, list(feeds))
    # the arguments Session.run passes the step's one native function, caught from a run
    (segment,) = [s for _, e in sess._cache.values() for s in getattr(e, "segments", [])]
    native, caught = segment.function, []
    segment.function = lambda *args: caught.append(args) or native(*args)
    sess.run(fetches, feeds)
    segment.function = native
    *native_args, space = caught[0]
    space = space.copy()
    return {"Session.run": lambda: sess.run(fetches, feeds),
            "callable": lambda: call(*feeds.values()),
            "native": lambda: native(*native_args, space)}


def tiny_step(dtype: str) -> tuple[gc.Session, list, dict]:
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.as_dtype(dtype), (None, 4), name="x")
        w = gc.Variable(np.full((4, 3), 0.5, dtype), name="w")
        loss = gc.reduce_sum(gc.square(gc.matmul(x, w)))
        (grad,) = gc.gradients(loss, [w])
        train = w.assign_sub(1e-3 * grad)
    sess = gc.Session(graph, backend="numba")
    sess.run(w.initializer)
    return sess, [loss, train.op], {x: np.ones((2, 4), dtype)}


def report(title: str, med: dict[str, float], base: str) -> None:
    print(title)
    print(f"{'':12} {'us/step':>9} {'x ' + base:>11} {'- native us':>12}")
    for name, t in med.items():
        print(f"{name:12} {t * 1e3:9.1f} {t / med[base]:11.3f} "
              f"{(t - med['native']) * 1e3:12.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--repeats", type=int, default=500)
    args = p.parse_args()
    dtype = args.dtype
    g = demo.two_layer_graph(demo.SEED_DIMS, gc.as_dtype(dtype), 1e-6)
    sess = gc.Session(g["graph"], backend="numba")
    sess.run(g["init"])
    rng = np.random.default_rng(0)
    n, d_in, hidden, d_out = demo.SEED_DIMS
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.standard_normal((n, d_out)).astype(dtype)
    w1 = rng.standard_normal((d_in, hidden)).astype(dtype)
    w2 = rng.standard_normal((hidden, d_out)).astype(dtype)
    steps = three_ways(sess, [g["loss"], g["train"]], {g["x"]: x, g["y"]: y})
    steps["blas floor"] = lambda: matmuls_only(x, y, w1, w2)
    report(f"seed {demo.SEED_DIMS} {dtype}, median of {args.repeats} interleaved steps",
           interleaved_medians(steps, args.repeats), "blas floor")
    tiny = three_ways(*tiny_step(dtype))
    report(f"\ntiny step (2, 4, 3) {dtype}, median of {20 * args.repeats} interleaved steps",
           interleaved_medians(tiny, 20 * args.repeats), "native")


if __name__ == "__main__":
    main()
