"""Running one function of graph or eager tensors in both modes, for the nn tests."""

import numpy as np

import graphc as gc
import graphc.eager as ge

RTOL = 1e-10  # float64 references: the same formulas agree to rounding


def run_graph(fn, *arrays, backend="numpy", dtypes=None):
    """fn on placeholders fed with arrays (each of its own dtype, unless `dtypes` maps its
    position to another, and shape), in a fresh graph; the value(s) it returns."""
    graph = gc.Graph()
    with graph.as_default():
        holders = [gc.placeholder((dtypes or {}).get(i, a.dtype), a.shape)
                   for i, a in enumerate(arrays)]
        out = fn(*holders)
    with gc.Session(graph, backend=backend) as sess:
        return sess.run(out, dict(zip(holders, arrays)))


def run_eager(fn, *arrays):
    """fn on eager tensors holding arrays; its value as a numpy array."""
    return np.asarray(fn(*[ge.tensor(a) for a in arrays]).detach())


def check_both_modes(fn, expected, *arrays):
    """fn's value in a graph and eagerly equals `expected` (or expected(*arrays) when it is
    a reference function), shape included, to RTOL."""
    if callable(expected):
        expected = expected(*arrays)
    for value in (run_graph(fn, *arrays), run_eager(fn, *arrays)):
        assert np.shape(value) == np.shape(expected)
        np.testing.assert_allclose(value, expected, rtol=RTOL, atol=0)
