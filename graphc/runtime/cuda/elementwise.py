"""Elementwise kernels, generated: one kernel per expression (a single op, or a group the
fusion pass made), broadcasting by strides, one thread per output element.

Each input is read through strides in elements, one per output dim (0 where it broadcasts),
so the same generated loop also does transposes and broadcasts: the expression is then
just its input. Where every input has the output's shape the loop reads flat indices.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import cuda

from graphc.runtime.cuda import device
from graphc.runtime.cuda.table import Call, kernel

# Scalar templates: {0}, {1}, {2} are operands; {one} and {zero} literals of the op's dtype.
SCALAR = {
    "negative": "(-{0})", "square": "({0} * {0})", "sqrt": "math.sqrt({0})",
    "exp": "math.exp({0})", "log": "math.log({0})", "tanh": "math.tanh({0})",
    "sigmoid": "({one} / ({one} + math.exp(-{0})))", "abs": "abs({0})",
    "sign": "({one} if {0} > {zero} else (-{one} if {0} < {zero} else {0}))",
    "relu": "max({0}, {zero})",
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "pow": "({0} ** {1})", "maximum": "max({0}, {1})",
    "minimum": "min({0}, {1})", "greater": "({0} > {1})", "greater_equal": "({0} >= {1})",
    "less": "({0} < {1})", "less_equal": "({0} <= {1})", "equal": "({0} == {1})",
    "where": "({1} if {0} else {2})",
}


def converted(code: str, dtype: np.dtype) -> str:
    """`code` as a value of dtype (numba would otherwise widen float32 arithmetic)."""
    return f"({code} != 0)" if dtype.kind == "b" else f"np.{dtype.name}({code})"


def scalar_code(expression: tuple[Any, ...]) -> str:
    """The scalar code of an expression tree over x0, x1, ... (see ops/fused.py)."""
    if expression[0] == "input":
        return f"x{expression[1]}"
    op, dtype_name, *operands = expression
    dtype = np.dtype(dtype_name)
    code = SCALAR[op].format(*map(scalar_code, operands), one=f"np.{dtype.name}(1)",
                             zero=f"np.{dtype.name}(0)")
    return code if dtype.kind == "b" else converted(code, dtype)


def _source(body: str, n_inputs: int, rank: int, flat: bool) -> str:
    """A kernel `kernel(out, shape, a0, s0, a1, s1, ...)` writing body into out (all 1-D)."""
    params = "".join(f", a{i}, s{i}" for i in range(n_inputs))
    lines = [f"def kernel(out, shape{params}):",
             "    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):"]
    if flat:
        lines += [f"        x{j} = a{j}[i]" for j in range(n_inputs)]
    else:
        lines.append("        r = i")
        for d in reversed(range(1, rank)):
            lines.append(f"        d{d} = r % shape[{d}]")
            lines.append(f"        r //= shape[{d}]")
        if rank:
            lines.append("        d0 = r")
        for j in range(n_inputs):
            offset = " + ".join(f"d{d} * s{j}[{d}]" for d in range(rank)) or "0"
            lines.append(f"        x{j} = a{j}[{offset}]")
    lines.append(f"        out[i] = {body}")
    return "\n".join(lines) + "\n"


_compiled: dict[str, Any] = {}


def _compile(source: str) -> Any:
    """The kernel of a generated source, compiled once per process (per argument types)."""
    key = hashlib.sha256(source.encode()).hexdigest()
    if key not in _compiled:
        namespace: dict[str, Any] = {"cuda": cuda, "math": math, "np": np}
        exec(compile(source, f"<graphc cuda kernel {key[:12]}>", "exec"), namespace)
        _compiled[key] = cuda.jit(namespace["kernel"])
    return _compiled[key]


def strides_for(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Element strides of a C-ordered array of `shape` read at out_shape's indices (numpy
    broadcasting: dims aligned on the right, size-1 and missing dims repeat)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(0 if d == 1 else step)
        step *= d
    strides += [0] * (len(out_shape) - len(shape))
    return tuple(reversed(strides))


def launch(body: str, inputs: list[tuple[Any, tuple[int, ...]]], out: Any) -> Any:
    """Fill `out` with body over inputs, each a (device array, strides in out's dims) pair."""
    shape = tuple(out.shape)
    c_strides = strides_for(shape, shape)
    flat = all(s == c_strides and a.size == out.size for a, s in inputs)
    fn = _compile(_source(body, len(inputs), len(shape), flat))
    args: list[Any] = [device.flat(out), shape or (0,)]
    for array, strides in inputs:
        args += [device.flat(array), strides or (0,)]
    fn[device.blocks_for(out.size), device.THREADS](*args)
    return out


def launch_over(body: str, arrays: Sequence[Any], out: Any) -> Any:
    """Fill `out` with body over arrays, each broadcast to out's shape."""
    shape = tuple(out.shape)
    return launch(body, [(a, strides_for(tuple(a.shape), shape)) for a in arrays], out)


def launch_expression(expression: tuple[Any, ...], call: Call) -> list[Any]:
    return [launch_over(scalar_code(expression), call.args, call.out())]


def _register(op: str) -> None:
    """The single op as a one-node expression over its inputs."""
    def launch_op(call: Call) -> list[Any]:
        operands = tuple(("input", i) for i in range(len(call.args)))
        return launch_expression((op, call.outs[0].dtype.name, *operands), call)
    kernel(op)(launch_op)


for _op in SCALAR:
    _register(_op)


@kernel("fused_elementwise")
def _fused(call: Call) -> list[Any]:
    return launch_expression(call.attrs["expression"], call)


@kernel("cast")
def _cast(call: Call) -> list[Any]:
    return [launch_over(converted("x0", call.outs[0].dtype.np), call.args, call.out())]


@kernel("identity", "stop_gradient")
def _copy(call: Call) -> list[Any]:
    return [launch_over("x0", call.args, call.out())]
