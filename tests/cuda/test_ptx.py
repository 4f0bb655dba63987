"""The kernels as the GPU compiler sees them: the simulator runs kernels as Python, so
typing errors (a float64 literal in float32 code, an unsupported call) would pass there
and fail on a GPU. NVVM compiles each to PTX here without one."""

import os
import pathlib
import subprocess
import sys


def test_every_kernel_compiles_to_ptx_for_an_h100():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    script = pathlib.Path(__file__).with_name("ptx_check.py")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=600, cwd=script.parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compiled 214 kernels to PTX for compute capability (9, 0)" in done.stdout
