"""The kernels as the GPU compiler sees them: the simulator runs kernels as Python, so
typing errors (a float64 literal in float32 code, an unsupported call) would pass there
and fail on a GPU. NVVM compiles each to PTX here without one."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

# numba's own numba.cuda (deprecated, still bundled with numba) runs the simulator tests, but
# compiling to PTX needs numba-cuda and its NVVM compiler wheels: `pip install -e '.[dev]'`
# (or '.[cuda]') brings both. A plain `pip install -e .` does not, and skips this test.
NO_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is None


@pytest.mark.skipif(NO_NUMBA_CUDA, reason="PTX compilation needs numba-cuda and its NVVM "
                    "compiler: pip install -e '.[dev]' (or '.[cuda]')")
def test_every_kernel_compiles_to_ptx_for_an_h100():
    # float32 and float64 compile in two processes at once: half the wait on two cores
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    script = pathlib.Path(__file__).with_name("ptx_check.py")
    runs = [subprocess.Popen([sys.executable, str(script), dtype], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=script.parents[2]) for dtype in ("float32", "float64")]
    outputs = [run.communicate(timeout=600) for run in runs]
    counts = []
    for run, (out, err) in zip(runs, outputs):
        if run.returncode == 77:
            pytest.skip(out.strip())
        assert run.returncode == 0, err[-3000:]
        found = re.search(r"(\d+) kernels compile to PTX for compute capability \(9, 0\)", out)
        assert found, out
        counts.append(int(found.group(1)))
    # every kernel graphc generates, the same in each element type: at least the flat and
    # the strided loop of each elementwise op's template, besides the matmul, reduction,
    # random and constant kernels
    from graphc.ops.elementwise import SCALAR

    assert counts[0] == counts[1] and counts[0] > 2 * len(SCALAR), counts
