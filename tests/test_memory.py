"""A long training loop on the seed graph holds memory steady."""

import os

import numpy as np
import pytest

import graphc as gc
from graphc import demo


def resident_bytes() -> int:
    """Current resident set size, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.soak  # 10,500 runs of the seed step: minutes on a 2-core machine
def test_ten_thousand_runs_hold_memory_steady():
    g = demo.two_layer_graph(demo.SEED_DIMS, gc.float32, 1e-6)
    rng = np.random.default_rng(0)
    n, d_in, _, d_out = demo.SEED_DIMS
    feeds = {g["x"]: rng.standard_normal((n, d_in)), g["y"]: rng.standard_normal((n, d_out))}
    with gc.Session(g["graph"]) as sess:
        sess.run(g["init"])
        for _ in range(500):  # warm up: caches, allocator pools
            sess.run([g["loss"], g["train"]], feeds)
        before = resident_bytes()
        for _ in range(10_000):
            sess.run([g["loss"], g["train"]], feeds)
        growth = resident_bytes() - before
    print(f"resident memory growth over 10,000 runs: {growth / 2**20:.2f} MiB")
    # A step allocates ~1.5 MiB of temporaries and frees them. 10 MiB over 10,000 runs catches
    # any leak of 1 KiB or more per run (the smallest non-scalar temporary here, y_pred, is
    # 2.5 KiB) and leaves room for allocator noise; the measured growth is printed.
    assert growth < 10 * 2**20
