"""One program on the numpy and the numba backend, and the check that they agree."""

import numpy as np

import graphc as gc


def on_both(build, run):
    """build() -> a tuple of graph objects; run(sess, *built) -> a list of arrays. Returns
    {backend: run's result}."""
    results = {}
    for backend in ("numpy", "numba"):
        graph = gc.Graph()
        with graph.as_default():
            built = build()
        with gc.Session(graph, backend=backend) as sess:
            results[backend] = run(sess, *built)
    return results


def assert_agree(results):
    """float64 on both backends, summed in other orders: agreement to 1e-12 relative."""
    for got, want in zip(results["numba"], results["numpy"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
