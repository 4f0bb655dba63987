"""What graphc adds around its native code: the seed's training step through Session.run,
through a make_callable function, and as the bare native function (called with the same
arguments and a workspace of its own), against the BLAS floor, interleaved with nothing
else (so no other step's working set evicts the caches between them).
Run: python benchmarks/seed_overhead.py [--dtype float32] [--repeats 500]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from seed_step import matmuls_only
from timing import interleaved_medians

import graphc as gc
from graphc import demo
from graphc.runtime.cpu.codegen import Segment
from graphc.runtime.cpu.memory import grown, new_workspace

os.environ["GRAPHC_COMPILE"] = "wait"


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
    feeds = {g["x"]: x, g["y"]: y}
    for _ in range(3):  # compile, then grow the workspace, then run in place
        sess.run([g["loss"], g["train"]], feeds)
    call = sess.make_callable([g["loss"], g["train"]], [g["x"], g["y"]])

    # the step's one native function, with the arguments Session.run passes it
    (executable,) = [e for _, e in sess._cache.values()
                     if any(isinstance(s, Segment) for s in getattr(e, "steps", []))]
    (tier,) = executable.tiers
    env = list(executable.template)
    env[:2] = [x, y]
    for slot, node in executable.reads:
        env[slot] = sess._state.variables[node]
    native_args = [env[executable.slots[t]] for t in tier.segment.inputs]
    space = new_workspace(tier.segment.slot_count)
    tier.function(*native_args, True, space)
    space = grown(space)

    med = interleaved_medians({
        "Session.run": lambda: sess.run([g["loss"], g["train"]], feeds),
        "callable": lambda: call(x, y),
        "native": lambda: tier.function(*native_args, True, space),
        "blas floor": lambda: matmuls_only(x, y, w1, w2),
    }, args.repeats)
    print(f"seed {demo.SEED_DIMS} {dtype}, median of {args.repeats} interleaved steps")
    print(f"{'':12} {'us/step':>9} {'x floor':>8} {'- native us':>12}")
    for name, t in med.items():
        print(f"{name:12} {t * 1e3:9.1f} {t / med['blas floor']:8.3f} "
              f"{(t - med['native']) * 1e3:12.1f}")


if __name__ == "__main__":
    main()
