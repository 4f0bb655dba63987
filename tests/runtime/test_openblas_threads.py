"""While graphc's compile thread works, numpy's OpenBLAS leaves it a core: its thread count
drops to one fewer than the cores (at least one) and comes back afterwards."""

import pytest

from graphc.runtime.cpu import openblas, tiers

LIB = openblas.numpy_openblas()
pytestmark = pytest.mark.skipif(
    LIB is None or not hasattr(LIB, "scipy_openblas_set_num_threads64_"),
    reason="this numpy does not bundle OpenBLAS with thread control")


def _threads() -> int:
    return int(LIB.scipy_openblas_get_num_threads64_())


@pytest.fixture
def two_threads_on_two_cores(monkeypatch):
    before = _threads()
    monkeypatch.setattr(openblas, "_cores", lambda: 2)
    LIB.scipy_openblas_set_num_threads64_(2)
    yield
    LIB.scipy_openblas_set_num_threads64_(before)


def test_the_block_leaves_a_core_and_restores_the_count(two_threads_on_two_cores):
    with openblas.threads_leaving_a_core():
        assert _threads() == 1
    assert _threads() == 2


def test_the_count_comes_back_when_the_block_raises(two_threads_on_two_cores):
    with pytest.raises(RuntimeError, match="compile failed"):
        with openblas.threads_leaving_a_core():
            raise RuntimeError("compile failed")
    assert _threads() == 2


def test_never_fewer_than_one_thread(two_threads_on_two_cores, monkeypatch):
    monkeypatch.setattr(openblas, "_cores", lambda: 1)
    with openblas.threads_leaving_a_core():
        assert _threads() == 1
    assert _threads() == 2
    LIB.scipy_openblas_set_num_threads64_(1)
    with openblas.threads_leaving_a_core():
        assert _threads() == 1
    assert _threads() == 1


def test_a_background_job_runs_with_a_core_left(two_threads_on_two_cores):
    seen: list[int] = []
    job = tiers.in_background(lambda: seen.append(_threads()))  # on the compile thread
    assert job.done.wait(30)
    assert job.error is None and seen == [1]
    assert _threads() == 2
