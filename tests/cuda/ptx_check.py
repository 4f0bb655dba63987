"""Compile every CUDA kernel graphc generates to PTX for an H100 (compute capability 9.0),
float32 and float64, without a GPU and outside the simulator (whose kernels are plain
Python, so it type-checks nothing). Run by tests/cuda/test_ptx.py in fresh processes:
`python ptx_check.py [float32] [float64]` compiles the kernels of the named element types
(both when none is named).

A check that passed is remembered in graphc's cache directory under a digest of every
source file of graphc, this script, the numba and numba-cuda versions and the element
type: the same sources give the same PTX, so a later run with all of them unchanged
reports that check instead of compiling again (20 s on two cores). Any change compiles
everything."""

import hashlib
import importlib.metadata
import pathlib
import sys

import numpy as np
from numba import boolean, cuda, float32, float64, from_dtype, int32, int64
from numba.core.types import UniTuple
from numba.cuda import dispatcher
from numba.cuda.cudadrv import nvvm
from numba.cuda.random import xoroshiro128p_type

from graphc.runtime.cpu.codegen import cache_directory
from graphc.runtime.cuda import array, constant, elementwise, linalg, random, reduce
from graphc.runtime.cuda.elementwise import SCALAR, converted, scalar_code

# Exit status 77 (skipped) where numba-cuda is installed without its compilers' wheels.
if not nvvm.is_available():
    print("NVVM, the CUDA compiler, is not available: install numba-cuda[cu13] "
          "(pip install -e '.[dev]')")
    sys.exit(77)

CC = (9, 0)
COMPARISONS = ("greater", "greater_equal", "less", "less_equal", "equal")
compiled = 0


class _H100:
    compute_capability = CC


# A kernel that calls a device function (the random draws) compiles it for "the current
# device"; there is none here, so name the H100 as that device.
dispatcher.get_current_device = lambda: _H100()


def ptx(kernel, *signature):
    global compiled
    cuda.compile_ptx(kernel.py_func, signature, cc=CC)
    compiled += 1


def generated(body, rank, flat, out, inputs):
    """The generated elementwise kernel for body over inputs of these element types."""
    shape = UniTuple(int64, max(rank, 1))
    fn = elementwise.compiled(elementwise._source(body, len(inputs), rank, flat))
    ptx(fn, out[::1], shape, *[x for t in inputs for x in (t[::1], shape)])


def digest(names: list[str]) -> str:
    """What the PTX of these element types' kernels depends on."""
    h = hashlib.sha256(repr((names, CC)).encode())
    for package in ("numba", "numba-cuda"):
        h.update(importlib.metadata.version(package).encode())
    root = pathlib.Path(__file__).resolve().parents[2]
    for path in [pathlib.Path(__file__).resolve(), *sorted((root / "graphc").rglob("*.py"))]:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


FLOATS = {"float32": float32, "float64": float64}
chosen = sys.argv[1:] or list(FLOATS)
passed = cache_directory() / "ptx" / digest(chosen)
if passed.exists():
    print(f"{passed.read_text().strip()} kernels compile to PTX for compute capability {CC} "
          f"(checked before for these sources: {passed})")
    sys.exit(0)
for t, dt in ((FLOATS[name], np.dtype(name)) for name in chosen):
    for op, template in SCALAR.items():
        n = sum(f"{{{i}}}" in template for i in range(3))
        operands = tuple(("input", i) for i in range(n))
        body = scalar_code((op, "bool" if op in COMPARISONS else dt.name, *operands))
        out = boolean if op in COMPARISONS else t
        inputs = [boolean, t, t] if op == "where" else [t] * n
        for rank, flat in ((2, True), (2, False), (0, False)):
            generated(body, rank, flat, out, inputs)
    for target in (np.int32, np.int64, np.bool_, np.float32, np.float64):
        generated(converted("x0", np.dtype(target)), 2, False, from_dtype(np.dtype(target)), [t])
    for epilogue in linalg.EPILOGUES:
        for ta in (False, True):
            for tb in (False, True):
                m = t[:, ::1]
                ptx(linalg.matmul_kernel(epilogue, ta, tb, dt), m, m, m, t[::1], int64, int64,
                    t[::1], t[::1])
    # each reduction plain; fused with an expression over an array and a scalar, each
    # template and each way of combining (a mean is a sum divided when stored)
    square = scalar_code(("square", dt.name, ("subtract", dt.name, ("input", 0),
                                              ("input", 1))))
    plain = [(kind, per_block, "x0", ("k",)) for kind in (reduce.SUM, reduce.MAX, reduce.MEAN)
             for per_block in (False, True)]
    fused = [(reduce.SUM, False, square, ("k", "0")), (reduce.MAX, True, square, ("k", "o"))]
    for kind, per_block, body, at in plain + fused:
        ptx(reduce.reduction_kernel(per_block, body, at, kind), t[::1], int64[::1],
            int64[::1], float64, *[t[::1]] * len(at))
    ptx(constant._fill_kernel(), t[::1], t)
    for kind in ("normal", "uniform"):
        ptx(random._random_kernel(kind, dt), xoroshiro128p_type[::1], t[::1], float64, float64)
    # TF1's array ops and reductions (runtime/cuda/array.py); the integer and boolean ones
    # compile in both runs, so the two counts stay equal
    offsets = int64[::1]
    ptx(array.min_kernel(), t[::1], offsets, offsets, t[::1])
    ptx(array.prod_kernel(True), t[::1], offsets, offsets, t[::1])
    ptx(array.prod_kernel(False), int32[::1], offsets, offsets, int32[::1])
    for smallest in (False, True):
        ptx(array.arg_kernel(smallest), t[::1], offsets, offsets, int64[::1])
    for every in (False, True):
        ptx(array.logical_kernel(every), boolean[::1], offsets, offsets, boolean[::1])
    ptx(array.one_hot_kernel(), int64[::1], int64, int64, t, t, t[::1])
    ptx(array.copy_block_kernel(), t[::1], t[::1], *[int64] * 7)
    for index in (int32, int64):
        for make in (array.gather_kernel, array.scatter_add_kernel):
            ptx(make(), t[::1], index[::1], t[::1], int64, int64, int64, int32[::1])
    dims = UniTuple(int64, 3)
    ptx(array.tile_kernel(), t[::1], t[::1], dims, dims)
    ptx(array.tile_sum_kernel(True), t[::1], t[::1], dims, dims, int64)

print(f"{compiled} kernels compile to PTX for compute capability {CC}")
passed.parent.mkdir(parents=True, exist_ok=True)
passed.write_text(f"{compiled}\n")
