"""The ranks build graphs of different shapes: every rank gets ScheduleMismatchError naming
the first differing tensor, at compile time, before any collective runs."""

import numpy as np

import graphc as gc
import graphc.distributed as gd

gd.init()
hidden = 5 if gd.rank() == 0 else 6
graph = gc.Graph()
with graph.as_default():
    x = gc.placeholder(gc.float64, (None, 3), name="x")
    w = gc.Variable(np.ones((3, hidden)), name="w")
    h = gc.matmul(x, w, name="hidden")
    loss = gc.reduce_sum(h, name="loss")
    (g,) = gc.gradients(loss, [w])
    g = gd.allreduce(g)
with gc.Session(graph, backend="numpy") as sess:
    sess.run(w.initializer if hasattr(w, "initializer") else gc.global_variables_initializer())
    try:
        sess.run(g, {x: np.ones((2, 3))})
    except gd.ScheduleMismatchError as err:
        print(f"MISMATCH rank {gd.rank()}: {err}", flush=True)
    else:
        print(f"rank {gd.rank()}: no error", flush=True)
