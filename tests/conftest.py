import os
import pathlib
import sys

import pytest

# The CUDA tests (tests/cuda) run in numba's CUDA simulator unless NUMBA_ENABLE_CUDASIM=0 is
# set (on a machine with a GPU). It must be decided before numba.cuda is first imported.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import graphc as gc  # noqa: E402

# The examples are scripts that import each other by name, as they do when run directly.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))

# Tests of graph semantics run on the numpy reference backend, which compiles nothing; the
# numba backend is checked against it op by op (tests/runtime) and on the seed programs.
# GRAPHC_BACKEND=numba python -m pytest runs every test on numba instead (slow: it compiles
# a kernel for each new op signature).
os.environ.setdefault("GRAPHC_BACKEND", "numpy")
# Runs on numba wait for native code, so the numba tests test it (tests/runtime/test_tiers.py
# checks the default, where early runs interpret a segment while it compiles).
os.environ.setdefault("GRAPHC_COMPILE", "wait")


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test builds into an empty default graph."""
    gc.reset_default_graph()
    yield
    gc.reset_default_graph()
