"""Elementwise kernels, generated: one kernel per expression (a single op, or a group the
fusion pass made), broadcasting by strides, one thread per output element.

Each input is read through strides in elements, one per output dim (0 where it broadcasts),
so the same generated loop also does transposes and broadcasts: the expression is then
just its input. Where every input has the output's shape the loop reads flat indices.

Each op computes its scalar template (OpDef.scalar), the one the CPU backend's
loops compute too. An integer power with a negative exponent, which numpy refuses, raises
a flag the kernel writes; the launch reads it back and raises the same ValueError.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import cuda
from numba.core import config

from graphc.ops import elementwise as ops
from graphc.ops.expression import input_count
from graphc.runtime.cpu.kernels import power_by_squaring
from graphc.runtime.cuda import device
from graphc.runtime.cuda.table import Call, kernel

# The ops' scalar templates (cast has a kernel of its own, below).
SCALAR = {op: template for op, template in ops.SCALAR.items() if op != "cast"}
NEGATIVE_POWER = "Integers to negative integer powers are not allowed."


def power(base: Any, exponent: Any) -> Any:
    """A float base ** exponent (the pow template's `power`; integers: int_power)."""
    return base ** exponent


squaring = cuda.jit(device=True)(power_by_squaring)  # the CPU backend's loop


def int_power(base: Any, exponent: Any, error: Any) -> Any:
    """numpy's integer power: squaring, every product wrapping around once converted to the
    op's dtype; a negative exponent sets error[0] (kernels cannot raise)."""
    if exponent < 0:
        error[0] = 1
        return 0
    return squaring(base, exponent)


def _spell(op: str, dtype: np.dtype, template: str) -> str:
    return "int_power({0}, {1}, error)" if op == "pow" and dtype.kind in "iu" else template


def converted(code: str, dtype: np.dtype) -> str:
    """`code` as a value of dtype (numba would otherwise widen float32 arithmetic)."""
    return f"({code} != 0)" if dtype.kind == "b" else f"np.{dtype.name}({code})"


def _convert(code: str, dtype: np.dtype) -> str:
    return code if dtype.kind == "b" else converted(code, dtype)


def scalar_code(expression: tuple[Any, ...]) -> str:
    """The scalar code of an expression tree over x0, x1, ... (see ops/fused.py): a body,
    statements on lines of their own, then the line of the value."""
    lines, result = ops.scalar_statements(
        expression, [f"x{i}" for i in range(input_count(expression))], _convert, _spell)
    return "\n".join([*lines, result])


def _source(body: str, n_inputs: int, rank: int, flat: bool) -> str:
    """A kernel `kernel(out, shape, a0, s0, a1, s1, ...)` writing body into out (all 1-D);
    a body calling int_power takes `error` (a 1-element int32 array) after `shape`."""
    params = "".join(f", a{i}, s{i}" for i in range(n_inputs))
    if "int_power(" in body:
        params = ", error" + params
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
    *statements, value = body.split("\n")
    lines += [f"        {line}" for line in statements]
    lines.append(f"        out[i] = {value}")
    return "\n".join(lines) + "\n"


_compiled: dict[str, Any] = {}
_device_functions: dict[Any, Any] = {}


def _math_module() -> Any:
    """Where the templates' math functions come from: CUDA's (numba maps Python's math to
    them); in numba's simulator, which runs kernels as Python, numpy's, since Python's
    raise where CUDA's give NaN or +-inf (sqrt(-1), log(0), sin(inf), exp(1e308))."""
    return np if getattr(config, "ENABLE_CUDASIM", False) else math  # (numba decides at import)


def _device(fn: Any) -> Any:
    """fn as a CUDA device function (made once per process)."""
    if fn not in _device_functions:
        _device_functions[fn] = cuda.jit(device=True)(fn)
    return _device_functions[fn]


def compiled(source: str, **names: Any) -> Any:
    """The kernel of a generated source, compiled once per process (per argument types);
    `names`: what it calls besides the scalar templates' functions (the same for a source)."""
    key = hashlib.sha256(source.encode()).hexdigest()
    if key not in _compiled:
        namespace: dict[str, Any] = {
            "cuda": cuda, "math": math, "np": np, "power": _device(power),
            "int_power": _device(int_power),
            **{name: ops.math_function(name, _math_module()) for name in ops.math_functions()},
            **names}
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
    if out.size == 0:
        return out
    c_strides = strides_for(shape, shape)
    flat = all(s == c_strides and a.size == out.size for a, s in inputs)
    fn = compiled(_source(body, len(inputs), len(shape), flat))
    args: list[Any] = [device.flat(out), shape or (0,)]
    error = device.to_device(np.zeros(1, np.int32)) if "int_power(" in body else None
    if error is not None:
        args.append(error)
    for array, strides in inputs:
        args += [device.flat(array), strides or (0,)]
    fn[device.blocks_for(out.size), device.THREADS](*args)
    if error is not None and device.to_host(error)[0]:
        raise ValueError(NEGATIVE_POWER)
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
