"""graphc.distributed's costs, printed as tables (rank 0 prints).

Run: mpiexec -n 2 python -m mpi4py benchmarks/distributed.py [--quick]

1. Allreduce inside the compiled step vs mpi4py's own Allreduce on the same buffer (float32,
   1e5 and 1e7 elements). graphc: one step reduce_sum(allreduce(x, Sum)) on the numba backend
   (one native call; the allreduce's result lives in the workspace, as a gradient's does).
   mpi4py: comm.Allreduce(send, recv), then the same compiled step without the allreduce,
   reduce_sum(x), on recv. Both read the reduced buffer once afterwards, and that read costs
   more than reading a buffer of one's own (the other rank wrote part of it): comparing with
   the reduction alone would count that as graphc's. overhead = (graphc - mpi4py + step) /
   the Allreduce alone. Medians of interleaved rounds.
2. Weak scaling: a large MLP (compute dominates), each rank with batch N; time per step on
   2 ranks vs the same step without the allreduce (what 1 rank takes with batch N), and the
   efficiency t(1) / t(p).
3. The inputs of docs/distributed.md's model: compute time per step, the gradient bytes, and
   the allreduce bandwidth measured here.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("GRAPHC_COMPILE", "wait")

import numpy as np  # noqa: E402

import graphc as gc  # noqa: E402
import graphc.distributed as gd  # noqa: E402
from graphc import nn, optim  # noqa: E402

QUICK = "--quick" in sys.argv


def best_of(fn, repeat: int, number: int) -> float:
    """The fastest of `repeat` timings of `number` calls, per call, with every rank starting
    each timing together."""
    best = float("inf")
    for _ in range(repeat):
        gd.barrier()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return float(gd.comm.world().allreduce(best, op=gd.comm.mpi().MAX))


def allreduce_table() -> list[tuple[str, float, float, float, float]]:
    MPI = gd.comm.mpi()
    rows = []
    for n in (10**5, 10**7):
        send = np.ones(n, np.float32)
        recv = np.empty_like(send)
        steps = []
        for reduced in (True, False):  # the same step with and without the allreduce
            graph = gc.Graph()
            with graph.as_default():
                x = gc.placeholder(gc.float32, (n,))
                total = gc.reduce_sum(gd.allreduce(x, op=gd.Sum) if reduced else x)
            sess = gc.Session(graph, backend="numba")
            steps.append(sess.make_callable(total, [x]))
            steps[-1](send)  # compile
        inside, reduce_only = steps

        def raw(s=send, r=recv):
            gd.comm.world().Allreduce(s, r, op=MPI.SUM)

        def raw_then_step(s=send, r=recv, f=reduce_only):
            gd.comm.world().Allreduce(s, r, op=MPI.SUM)
            f(r)

        number, repeat, rounds = (20, 3, 7) if n == 10**5 else (3, 2, 5)
        if QUICK:
            number, repeat, rounds = max(1, number // 4), 1, 2
        times: dict[str, list[float]] = {"raw": [], "raw+step": [], "graphc": []}
        for _ in range(rounds):
            for name, fn in (("raw", raw), ("raw+step", raw_then_step),
                             ("graphc", lambda s=send, f=inside: f(s))):
                times[name].append(best_of(fn, repeat, number))
        mid = {name: float(np.median(t)) * 1e3 for name, t in times.items()}
        rows.append((f"{n:.0e}", mid["raw"], mid["raw+step"], mid["graphc"],
                     (mid["graphc"] - mid["raw+step"]) / mid["raw"] * 100))
    return rows


def mlp_step(batch: int, width: int, layers: int, distributed: bool):
    """A session step function for an MLP of `layers` Linear(width, width) + ReLU."""
    rng = np.random.default_rng(0)
    modules = []
    for _ in range(layers):
        modules += [nn.Linear(width, width, dtype=gc.float32), nn.ReLU()]
    model = nn.Sequential(*modules)
    for p in model.parameters():
        p.data[...] = rng.uniform(-0.05, 0.05, p.data.shape)
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float32, (None, width))
        y = gc.placeholder(gc.float32, (None, width))
        loss = nn.MSELoss()(model(x), y)
        opt = optim.SGD(model.parameters(), lr=1e-3)
        train = (gd.DistributedOptimizer(opt) if distributed else opt).minimize(loss)
        init = gc.global_variables_initializer()
    sess = gc.Session(graph, backend="numba")
    sess.run(init)
    xv = rng.standard_normal((batch, width)).astype(np.float32)
    yv = rng.standard_normal((batch, width)).astype(np.float32)
    step = sess.make_callable(train, [x, y])
    step(xv, yv)
    params = sum(p.numel() for p in model.parameters())
    return (lambda: step(xv, yv)), params * 4


def main() -> None:
    gd.init()
    p = gd.size()
    out = print if gd.rank() == 0 else (lambda *a, **k: None)
    out(f"graphc.distributed on {p} ranks ({gd.comm.mpi().Get_library_version().split()[0]} "
        f"{gd.comm.mpi().get_vendor()[1]}), native MPI calls: {gd.NATIVE}")
    out("\n1. allreduce of float32, Sum: mpi4py's Allreduce vs the allreduce inside graphc's "
        "compiled step\n   (both then sum the result with the same compiled reduce_sum; "
        "medians of interleaved rounds)")
    out(f"{'elements':>9} {'Allreduce ms':>13} {'+ reduce_sum ms':>16} {'graphc step ms':>15} "
        f"{'overhead %':>11}")
    for n, raw, raw_step, ours, over in allreduce_table():
        out(f"{n:>9} {raw:>13.3f} {raw_step:>16.3f} {ours:>15.3f} {over:>11.1f}")

    batch, width, layers = (64, 512, 2) if QUICK else (256, 1024, 4)
    number, repeat = (3, 2) if QUICK else (10, 3)
    alone, _ = mlp_step(batch, width, layers, distributed=False)
    t1 = best_of(alone, repeat, number)
    together, nbytes = mlp_step(batch, width, layers, distributed=True)
    tp = best_of(together, repeat, number)
    out(f"\n2. weak scaling: MLP {layers} x Linear({width}, {width}), batch {batch} per rank, "
        "float32, SGD")
    out(f"{'ranks':>6} {'step ms':>9} {'efficiency':>11}")
    out(f"{1:>6} {t1 * 1e3:>9.2f} {1.0:>11.2f}   (the same step without the allreduce)")
    out(f"{p:>6} {tp * 1e3:>9.2f} {t1 / tp:>11.2f}")

    send = np.ones(nbytes // 4, np.float32)
    MPI = gd.comm.mpi()
    t_ar = best_of(lambda: gd.comm.world().Allreduce(MPI.IN_PLACE, send, op=MPI.SUM),
                   repeat, number)
    ring = 2 * (p - 1) / p * nbytes if p > 1 else nbytes
    out(f"\n3. model inputs: compute {t1 * 1e3:.2f} ms/step, gradients {nbytes / 1e6:.1f} MB, "
        f"allreduce {t_ar * 1e3:.2f} ms -> bus bandwidth {ring / t_ar / 1e9:.2f} GB/s "
        "(2(p-1)/p x bytes / time)")


if __name__ == "__main__":
    main()
