"""The kernels as the GPU compiler sees them: the simulator runs kernels as Python, so
typing errors (a float64 literal in float32 code, an unsupported call) would pass there
and fail on a GPU. NVVM compiles each to PTX here without one."""

import importlib.util
import os
import pathlib
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
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    script = pathlib.Path(__file__).with_name("ptx_check.py")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=600, cwd=script.parents[2])
    if done.returncode == 77:
        pytest.skip(done.stdout.strip())
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compiled 214 kernels to PTX for compute capability (9, 0)" in done.stdout
