"""Hostile input, interrupts and threads, counted: what graphc promises under each, and how
often it held in this run.

    python benchmarks/reliability.py [--quick]

Rows:
- malformed feeds, checkpoints and graph files: each must raise the documented error
  (InvalidArgumentError for a feed, ValueError naming the file for a file), nothing else;
- hostile names (newlines, quotes, Python statements): refused with ValueError when the
  node is made;
- interrupts: SIGALRM at random moments of a training step, its handler raising
  KeyboardInterrupt as Ctrl-C's does; a run must commit all of its assignments or none, the
  interrupt must surface as KeyboardInterrupt, and the next run must not hang;
- layouts: parameters set to transposed, reversed, sliced and broadcast arrays, trained in
  a child process (a crash is its exit by a signal) and compared with numpy;
- threads: 8 threads running assign_add, counting lost updates.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import graphc as gc

ROWS: list[tuple[str, str, int, int, str]] = []  # (what, backend, tried, failed, failure)


def row(what: str, backend: str, tried: int, failed: int, failure: str) -> None:
    ROWS.append((what, backend, tried, failed, failure))
    print(f"  {what} ({backend}): {failed} of {tried} {failure}", file=sys.stderr)


def malformed_feeds(backend: str) -> None:
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float32, (None, 3), name="x")
        y = gc.reduce_sum(x * 2.0)
    bad = [np.ones((2, 4)), np.ones(3), "abc", [[1, 2], [3]], np.ones((2, 3), complex),
           np.array([[object()] * 3]), np.full((1, 3), 2 ** 70), None, {"a": 1},
           np.ones((0, 4)), np.ones((2, 3, 1))]
    failed = 0
    with gc.Session(graph, backend=backend) as sess:
        for value in bad:
            try:
                sess.run(y, {x: value})
                failed += 1
            except gc.InvalidArgumentError:
                pass
            except Exception:  # noqa: BLE001 - any other type is a failure
                failed += 1
    row("malformed feeds", backend, len(bad), failed, "not InvalidArgumentError")


def damaged(data: bytes, rng: np.random.Generator, count: int) -> list[bytes]:
    variants = []
    for _ in range(count):
        changed = bytearray(data)
        changed[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        variants.append(bytes(changed))
    return variants + [data[:int(n)] for n in rng.integers(0, len(data), count // 4)]


def malformed_files(count: int) -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        graph = gc.Graph()
        with graph.as_default():
            w = gc.Variable(np.arange(6.0).reshape(2, 3), name="w")
            x = gc.placeholder(gc.float64, (None, 2), name="x")
            gc.matmul(x, w, name="y")
            sess = gc.Session(graph, backend="numpy")
            sess.run(gc.global_variables_initializer())
            saver = gc.Saver()
            good = Path(saver.save(sess, base / "good.npz"))
            gc.export_graph(graph, base / "model.json")
        failed, tried = 0, 0
        target = base / "bad.npz"
        with graph.as_default():
            for variant in damaged(good.read_bytes(), rng, count):
                target.write_bytes(variant)
                tried += 1
                try:
                    saver.restore(sess, target)
                except ValueError as err:
                    failed += str(target) not in str(err)
                except Exception:  # noqa: BLE001
                    failed += 1
        row("damaged checkpoints", "-", tried, failed, "not ValueError naming the file")
        failed, tried = 0, 0
        text = (base / "model.json").read_bytes()
        for variant in damaged(text, rng, count):
            (base / "model.json").write_bytes(variant)
            tried += 1
            try:
                gc.import_graph(base / "model.json")
            except ValueError as err:
                failed += "model.json" not in str(err)
            except Exception:  # noqa: BLE001
                failed += 1
        row("damaged graph files", "-", tried, failed, "not ValueError naming the file")


def hostile_names() -> None:
    names = ["x\nimport os; os._exit(3)", "a'b", 'a"b', "a b", "-x", "_x", "x\x00",
             "x#", "é", "x:0", "x\\y", "{x}", "x;y", "/x", "x\r"]
    failed = 0
    for name in names:
        graph = gc.Graph()
        with graph.as_default():
            for make in (lambda name=name: gc.placeholder(gc.float64, (), name=name),
                         lambda name=name: gc.Variable(1.0, name=name)):
                try:
                    make()
                    failed += 1
                except ValueError:
                    pass
                except Exception:  # noqa: BLE001
                    failed += 1
    row("hostile names", "-", 2 * len(names), failed, "not refused with ValueError")


def training_step(backend: str):
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((64, 100)), rng.standard_normal((64, 10))
    graph = gc.Graph()
    with graph.as_default():
        x, y = gc.placeholder(gc.float64, (None, 100)), gc.placeholder(gc.float64, (None, 10))
        w1 = gc.Variable(rng.standard_normal((100, 50)) * 0.1)
        w2 = gc.Variable(rng.standard_normal((50, 10)) * 0.1)
        count = gc.Variable(np.float64(0))
        loss = gc.reduce_sum((y - gc.relu(x @ w1) @ w2) ** 2)
        g1, g2 = gc.gradients(loss, [w1, w2])
        step = [w1.assign(w1 - 1e-4 * g1), w2.assign(w2 - 1e-4 * g2), count.assign_add(1.0)]
        sess = gc.Session(graph, backend=backend)
        sess.run(gc.global_variables_initializer())
    return sess, (lambda: sess.run(step, {x: xv, y: yv})), (lambda: sess.run([w1, w2, count]))


def disarm() -> None:
    """Stop the timer, which may fire while it is being stopped (once: it is one-shot)."""
    while True:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        except KeyboardInterrupt:
            pass


def interrupts(backend: str, runs: int) -> None:
    sess, run, state = training_step(backend)
    for _ in range(3):
        run()
    start = time.perf_counter()
    run()
    took = time.perf_counter() - start

    def interrupt(signum, frame):
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGALRM, interrupt)
    fired = partial = wrong = hangs = 0
    try:
        for _ in range(runs):
            old = state()
            try:
                signal.setitimer(signal.ITIMER_REAL, random.uniform(0, 1.5 * took))
                try:
                    run()
                finally:
                    disarm()
            except KeyboardInterrupt:
                fired += 1
            except Exception:  # noqa: BLE001
                wrong += 1
            new = state()
            unchanged = [np.array_equal(a, b) for a, b in zip(old, new)]
            if any(unchanged) and not all(unchanged):
                partial += 1
            done = threading.Event()
            threading.Thread(target=lambda done=done: (run(), done.set()), daemon=True).start()
            if not done.wait(20):
                hangs += 1
                break
    finally:
        signal.signal(signal.SIGALRM, previous)
    row("interrupted runs", backend, fired, partial, "committed in part")
    row("interrupted runs", backend, fired, wrong, "surfaced as another error")
    row("runs after an interrupt", backend, runs, hangs, "hung")


LAYOUT_CHILD = """
import sys, numpy as np, graphc as gc
from graphc import nn, optim
backend = sys.argv[1]
rng = np.random.default_rng(0)
big = rng.standard_normal((1024, 600))
layouts = {"F": lambda: np.asfortranarray(big[:512, :512]),
           "T": lambda: big[:512, :512].T, "reversed": lambda: big[511::-1, :512],
           "sliced": lambda: big[:512, 44:556],
           "strided": lambda: big[::2, :512],
           "broadcast": lambda: np.broadcast_to(big[0, :512], (512, 512))}
x_value = rng.standard_normal((32, 512))
worst = 0.0
for name, make in layouts.items():
    keep = big.copy()
    results = []
    for which in (backend, "numpy"):
        gc.reset_default_graph()
        layer = nn.Linear(512, 512, bias=False)
        layer.weight.data = make()
        x = gc.placeholder(gc.float64, (None, 512))
        loss = gc.reduce_sum(layer(x) ** 2) * 1e-3
        train = optim.SGD(layer.parameters(), lr=1e-3).minimize(loss)
        with gc.Session(backend=which) as sess:
            sess.run(gc.global_variables_initializer())
            for _ in range(20):
                sess.run(train, {x: x_value})
        results.append(np.array(layer.weight.data))
    assert np.array_equal(big, keep), name + ": the user's array was written"
    worst = max(worst, float(np.max(np.abs(results[0] - results[1]))))
print(worst)
"""


def layouts(backend: str) -> None:
    done = subprocess.run([sys.executable, "-c", LAYOUT_CHILD, backend], capture_output=True,
                          text=True, timeout=600)
    crashed = done.returncode < 0
    wrong = done.returncode > 0 or (not crashed and float(done.stdout.split()[-1]) > 1e-9)
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    row("odd layouts (6) trained", backend, 6, 6 * crashed, "crashed")
    row("odd layouts (6) trained", backend, 6, 6 * wrong * (not crashed),
        "differed from numpy or wrote outside")


def threads(backend: str, count: int, runs: int) -> None:
    graph = gc.Graph()
    with graph.as_default():
        v = gc.Variable(np.zeros(4))
        step = v.assign_add(np.ones(4))
        sess = gc.Session(graph, backend=backend)
        sess.run(v.initializer)

    def work():
        for _ in range(runs):
            sess.run(step)
    workers = [threading.Thread(target=work) for _ in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    lost = count * runs - int(sess.run(v)[0])
    row(f"threads x runs of assign_add ({count} x {runs})", backend, count * runs, lost,
        "updates lost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs of each kind")
    quick = parser.parse_args().quick
    runs, files = (60, 40) if quick else (400, 200)
    random.seed(0)
    for backend in ("numpy", "numba"):
        malformed_feeds(backend)
    malformed_files(files)
    hostile_names()
    for backend in ("numpy", "numba"):
        interrupts(backend, runs)
        layouts(backend)
        threads(backend, 8, 50 if quick else 200)
    width = max(len(r[0]) for r in ROWS)
    print(f"\n{'what':<{width}}  {'backend':<7}  {'tried':>6}  {'failed':>6}  failure")
    for what, backend, tried, failed, failure in ROWS:
        print(f"{what:<{width}}  {backend:<7}  {tried:>6}  {failed:>6}  {failure}")
    total = sum(r[3] for r in ROWS)
    print(f"\n{total} failures in {sum(r[2] for r in ROWS)} tries")


if __name__ == "__main__":
    main()
