"""Rank 1 raises while rank 0 waits in a collective: the job must end, non-zero, at once."""

import time

import numpy as np

import graphc as gc
import graphc.distributed as gd

gd.init()
graph = gc.Graph()
with graph.as_default():
    x = gc.placeholder(gc.float64, (4,))
    total = gd.allreduce(x, op=gd.Sum)
with gc.Session(graph, backend="numpy") as sess:
    sess.run(total, {x: np.ones(4)})  # both ranks get here
    if gd.rank() == 1:
        raise ValueError("rank 1 fails on purpose")
    time.sleep(0.5)
    sess.run(total, {x: np.ones(4)})  # rank 0 would wait here for ever
    print("rank 0 was never stopped", flush=True)
