import pathlib
import sys

import pytest

import graphc as gc

# The examples are scripts that import each other by name, as they do when run directly.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test builds into an empty default graph."""
    gc.reset_default_graph()
    yield
    gc.reset_default_graph()
