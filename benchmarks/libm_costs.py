"""What a generated loop's call of each libm function costs over numpy's ufunc loop, per
element, float32 and float64: the measurements behind emit.LIBM_EXTRA_NS, from which the
numba backend decides when an expression is computed by numpy instead of its loop
(emit.numpy_min: from NUMPY_CALL_NS / extra elements on).

Each function runs over --size elements in a numba loop shaped as the generated loops are
(one libm call an element, into a preallocated output) and as numpy's ufunc with `out=`,
interleaved, medians of --repeats. Columns: loop and numpy ns an element, their difference
(measured), the table's value (used), and the threshold that follows from the table.
Run: python benchmarks/libm_costs.py [--size 100000] [--repeats 50]
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from timing import interleaved_medians

from graphc.runtime.cpu.emit import LIBM_EXTRA_NS, NUMPY_CALL_NS, numpy_min

UFUNCS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "power": np.power}


def loop_of(ufunc: Callable[..., Any], arity: int) -> Callable[..., Any]:
    if arity == 1:
        @numba.njit
        def one(a: Any, out: Any) -> None:
            for i in range(a.size):
                out[i] = ufunc(a[i])
        return one

    @numba.njit
    def two(a: Any, out: Any) -> None:
        for i in range(a.size):
            out[i] = ufunc(a[i], a[i])
    return two


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    # positive values in [0.5, 1.5): every function's ordinary range, pow's base included
    x64 = np.random.default_rng(0).random(args.size) + 0.5
    print(f"{'function':<9}{'dtype':<9}{'loop ns':>9}{'numpy ns':>10}{'extra ns':>10}"
          f"{'table':>7}{'numpy from':>12}")
    for name, ufunc in UFUNCS.items():
        arity = 2 if name == "power" else 1
        loop = loop_of(ufunc, arity)
        for column, dtype in enumerate((np.float32, np.float64)):
            x = x64.astype(dtype)
            out = np.empty_like(x)
            operands = (x,) * arity
            loop(x, out)  # compile
            ms = interleaved_medians({
                "loop": functools.partial(loop, x, out),
                "numpy": functools.partial(ufunc, *operands, out=out)}, args.repeats)
            per = {k: v * 1e6 / args.size for k, v in ms.items()}
            op = "pow" if name == "power" else name
            least = numpy_min((op, np.dtype(dtype).name, *[("input", 0)] * arity))
            print(f"{name:<9}{np.dtype(dtype).name:<9}{per['loop']:>9.2f}{per['numpy']:>10.2f}"
                  f"{per['loop'] - per['numpy']:>10.2f}{LIBM_EXTRA_NS[name][column]:>7.1f}"
                  f"{least if least else 'never':>12}")
    print(f"(numpy from = ceil({NUMPY_CALL_NS} ns for the call / table ns), for the op alone; "
          f"an expression adds its functions' ns)")


if __name__ == "__main__":
    main()
