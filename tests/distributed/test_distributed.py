"""graphc.distributed on real MPI jobs: each test launches `mpiexec -n 2` on a script in
scripts/ (graphc.distributed is never imported into the pytest process itself: its ops would
join the registry other tests enumerate)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).parents[2]


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason="graphc.distributed needs mpi4py and mpiexec: pip install 'graphc[distributed]'")


def launch(ranks: int, script: str, *args: str, timeout: float = 600
           ) -> subprocess.CompletedProcess[str]:
    """Run scripts/<script> on `ranks` processes (1: plain python, no mpiexec)."""
    env = dict(os.environ, GRAPHC_COMPILE="wait",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, str(SCRIPTS / script), *args]
    if ranks > 1:
        assert MPIEXEC is not None
        command = [MPIEXEC, "-n", str(ranks), *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_graphc_does_not_import_mpi4py():
    code = "import sys, graphc; assert 'mpi4py' not in sys.modules, 'mpi4py imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("mode, backend", [("static", "numpy"), ("static", "numba"),
                                           ("eager", "numpy"), ("tf1", "numba")])
def test_two_ranks_with_half_the_batch_equal_one_process_with_all_of_it(tmp_path, mode,
                                                                        backend):
    # SGD with momentum, 4 steps; rank 1 starts from other weights until they are broadcast;
    # the script asserts every rank ends with the same weights
    whole, split = tmp_path / "whole.npz", tmp_path / "split.npz"
    _ok(launch(1, "train.py", mode, backend, "4", str(whole), "--whole"))
    _ok(launch(2, "train.py", mode, backend, "4", str(split)))
    a, b = np.load(whole), np.load(split)
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_collectives_gradients_packing_shard_and_checkpoints(backend):
    result = launch(2, "units.py", backend)
    _ok(result)
    assert result.stdout.count("units ok") == 2


def test_a_rank_that_raises_ends_the_job_quickly():
    start = time.monotonic()
    result = launch(2, "abort.py", timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr
    assert "never stopped" not in result.stdout
    assert elapsed < 10, f"the job took {elapsed:.1f} s to end"


def test_ranks_that_build_different_graphs_get_an_error_naming_the_tensor():
    result = launch(2, "mismatch.py", timeout=120)
    _ok(result)
    # each rank reports; mpiexec merges the ranks' output, not always at line ends
    assert sorted(re.findall(r"MISMATCH rank (\d)", result.stdout)) == ["0", "1"], \
        result.stdout + result.stderr
    assert "rank 0: variable 'w' [float64 (3, 5)]" in result.stdout
    assert "rank 1: variable 'w' [float64 (3, 6)]" in result.stdout
    assert "mismatch.py:14" in result.stdout
