"""Elementwise math with numpy broadcasting: one block per op, gradient rule beside it."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype
from graphc.dtypes import bool as bool_
from graphc.dtypes import float32 as float32_
from graphc.dtypes import float64 as float64_
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply, known_zero, scalar_value
from graphc.ops.expression import walk
from graphc.ops.shape import sum_to
from graphc.registry import OPS, GradOp, OpDef, OpNames, register


# -- shape/dtype rules ---------------------------------------------------------------------
def _same_type(floats_only: bool) -> Callable[..., TensorType]:
    def infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
        (x,) = types
        if floats_only and not x.dtype.is_floating:
            raise TypeError(f"expects a floating-point tensor, got {x.dtype.name}")
        return x
    return infer


def _broadcast(out_dtype: DType | None = None,
               int_result: Callable[[DType], DType] | None = None):
    def infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
        a, b = types
        if a.dtype != b.dtype:
            raise TypeError(f"operands have different dtypes: {a} and {b}; "
                            "convert one with gc.cast")
        dtype = out_dtype or (int_result(a.dtype) if int_result and not a.dtype.is_floating
                              else a.dtype)
        return TensorType(dtype, shapes.broadcast(a.shape, b.shape))
    return infer


# -- scalar semantics ----------------------------------------------------------------------
# What each elementwise op computes on one element is stated once, as its OpDef's `scalar`
# template: backends generate their loops from it (runtime/cpu/emit.py,
# runtime/cuda/elementwise.py), and its numpy reference gives the same bits, signed zeros,
# infinities and NaN included. A template is a Python expression: {0}, {1}, {2} are the
# operands (names, so an operand may repeat), {zero} and {one} literals of the result's
# dtype, and it may call Python's `abs`, `power`, and any function that numpy or Python's
# math module names (exp, sin...), which every backend binds by that name to its IEEE
# function (math_functions, math_function): numba binds numpy's, CUDA math's, and either
# takes the other module's where its own has none (erf is math's alone, the conversion
# float64 numpy's). So `erf(float64({0}))` is the error function computed in float64 and
# rounded once to the op's dtype, as the numpy reference computes it (C library erf)
# (numba's float32 erf, libm's erff, rounds differently). `power` is x ** y; on integers
# it multiplies in the dtype, wrapping around on overflow, and a negative exponent is a
# ValueError, as numpy's is. Each op's value is converted to the op's dtype (so int32
# arithmetic wraps as numpy's does, and `cast` is that conversion alone).
class ScalarTemplates(Mapping[str, str]):
    """The registered ops' scalar templates by op name (OpDef.scalar), read from the
    registry at each use (as OpNames reads it), so an op registered later is included."""

    _ops = OpNames(lambda opdef: opdef.scalar is not None)

    def __getitem__(self, op: str) -> str:
        template = OPS[op].scalar if op in OPS else None
        if template is None:
            raise KeyError(op)
        return template

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)


SCALAR = ScalarTemplates()
SPECIAL_FUNCTIONS = ("abs", "power")


def called(template: str) -> set[str]:
    """The names of the functions a template calls."""
    return set(re.findall(r"([A-Za-z_]\w*)\(", template))


def math_functions() -> tuple[str, ...]:
    """The math functions the templates call, by name (numba binds numpy's, CUDA math's)."""
    names = {name for template in SCALAR.values() for name in called(template)}
    return tuple(sorted(names - set(SPECIAL_FUNCTIONS)))


def math_function(name: str, module: Any) -> Any:
    """A template's function `name` as a backend binds it: `module`'s (numpy or math), else
    the other one's (numpy has no erf, math no float64)."""
    found = getattr(module, name, None)
    return found if found is not None else getattr(math if module is np else np, name)


def scalar_statements(expression: tuple[Any, ...], names: Sequence[str],
                      convert: Callable[[str, np.dtype], str],
                      spell: Callable[[str, np.dtype, str], str] = lambda op, dtype, t: t,
                      ) -> tuple[list[str], str]:
    """An expression of elementwise ops (see ops/expression.py) as Python statements on one
    element: `t0 = ...`, `t1 = ...`, one per op, each value converted to the op's dtype by
    `convert(code, dtype)`; input i is read as names[i]. Returns the statements and the
    name holding the result. `spell(op, dtype, template)` lets a backend write a template
    its own way (the same semantics). Each value is computed once, however often a
    template names it."""
    lines: list[str] = []

    def statement(op: str, dtype_name: str, args: list[str]) -> str:
        dtype = as_dtype(dtype_name).np  # (a checked name: never the attribute's text)
        code = spell(op, dtype, SCALAR[op]).format(
            *args, zero=f"np.{dtype.name}(0)", one=f"np.{dtype.name}(1)")
        lines.append(f"t{len(lines)} = {convert(code, dtype)}")
        return f"t{len(lines) - 1}"

    result = walk(expression, lambda i: names[i], statement)
    return lines, result


def _unary(name: str, fn: Callable[..., Any], grad: Any, scalar: str,
           floats_only: bool = True) -> OpDef:
    return register(OpDef(name, _same_type(floats_only), fn, grad, elementwise=True,
                          scalar=scalar))


def _binary(name: str, fn: Callable[..., Any], grad: Any, scalar: str,
            commutative: bool = False, **rule: Any) -> OpDef:
    return register(OpDef(name, _broadcast(**rule), fn, grad, elementwise=True,
                          scalar=scalar, commutative=commutative))


def _each(op: GradOp, *grads: Callable[[], Any]) -> tuple[Any, ...]:
    """Per input: its gradient (built only if wanted), summed back over broadcast dims."""
    return tuple(sum_to(make(), x) if want else None
                 for make, x, want in zip(grads, op.inputs, op.wants, strict=True))


# -- unary ---------------------------------------------------------------------------------
# forward y = -x; backward dx = -g
NEGATIVE = _unary("negative", np.negative, lambda op, g: (negative(g),), "(-{0})",
                  floats_only=False)
# forward y = x*x; backward dx = 2 x g
SQUARE = _unary("square", np.square, lambda op, g: (g * (2 * op.inputs[0]),), "({0} * {0})",
                floats_only=False)
# forward y = sqrt(x); backward dx = g / (2 y)
SQRT = _unary("sqrt", np.sqrt, lambda op, g: (g / (2 * op.outputs[0]),), "sqrt({0})")
# forward y = e^x; backward dx = g y
EXP = _unary("exp", np.exp, lambda op, g: (g * op.outputs[0],), "exp({0})")
# forward y = ln x; backward dx = g / x
LOG = _unary("log", np.log, lambda op, g: (g / op.inputs[0],), "log({0})")
# forward y = tanh x; backward dx = g (1 - y^2)
TANH = _unary("tanh", np.tanh, lambda op, g: (g * (1 - square(op.outputs[0])),), "tanh({0})")
# forward y = sin x; backward dx = g cos x
SIN = _unary("sin", np.sin, lambda op, g: (g * cos(op.inputs[0]),), "sin({0})")
# forward y = cos x; backward dx = -g sin x
COS = _unary("cos", np.cos, lambda op, g: (-g * sin(op.inputs[0]),), "cos({0})")

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf_of(v: float) -> float:
    return math.erf(v)


@functools.cache
def _erf_loop() -> Any:
    """numpy has no erf: a float64 ufunc of the C library's erf (math.erf's), compiled by
    numba once (and cached on disk), ~25 ns an element where Python's math.erf an element
    takes ~180."""
    from numba import vectorize
    return vectorize(["float64(float64)"], cache=True)(_erf_of)


def _erf(x: Any) -> Any:
    """The C library's float64 erf of each element, rounded once to x's dtype: the
    template's value, bit for bit where the backend's erf is that same libm's."""
    x = np.asarray(x)
    return np.asarray(_erf_loop()(x.astype(np.float64)), dtype=x.dtype)


# forward y = erf x, in float64 rounded to x's dtype (-0.0 stays -0.0, +-inf give +-1);
# backward dx = g 2/sqrt(pi) e^(-x^2)
ERF = _unary("erf", _erf,
             lambda op, g: (g * (_TWO_OVER_SQRT_PI * exp(-square(op.inputs[0]))),),
             "erf(float64({0}))")


def _sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x) in x's dtype, as the scalar template computes it (e^-x overflows to
    inf for x below about -88 in float32, and the result is then 0, as it should be)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


# forward y = 1 / (1 + e^-x); backward dx = g y (1 - y)
SIGMOID = _unary("sigmoid", _sigmoid,
                 lambda op, g: (g * (op.outputs[0] * (1 - op.outputs[0])),),
                 "({one} / ({one} + exp(-{0})))")
# forward y = |x|; backward dx = g sign(x)
ABS = _unary("abs", np.abs, lambda op, g: (g * sign(op.inputs[0]),), "abs({0})",
             floats_only=False)
# forward y = sign(x): 1, -1, +0.0 for either zero, NaN for NaN; backward dx = 0 (almost
# everywhere)
SIGN = _unary("sign", np.sign, lambda op, g: (g * 0,),
              "({one} if {0} > {zero} else -{one} if {0} < {zero} else "
              "{zero} if {0} == {zero} else {0})", floats_only=False)
def _relu_grad(y: Any, g: Any) -> Any:
    """ReLU's gradient from its output y: g where y > 0, else 0. At exactly 0 it is 0, as
    TensorFlow's and PyTorch's relu give. The mask y > 0 equals x > 0; reading the output
    leaves x with one consumer, so a matmul producing x can take the ReLU as its epilogue."""
    return where(y > 0, g, 0)


# forward y = max(x, 0): +0.0 for either zero, NaN for NaN (numpy's maximum(x, 0));
# backward dx = g where y > 0
RELU = _unary("relu", lambda x: np.maximum(x, 0), lambda op, g: (_relu_grad(op.outputs[0], g),),
              "({zero} if {0} <= {zero} else {0})", floats_only=False)


# Rounding. Neither has a gradient, as in TensorFlow (its Floor and Round gradients are
# None): the value is a step function of x.
def _no_grad(op: GradOp, g: Any) -> tuple[None, ...]:
    return (None,) * len(op.inputs)


# forward y = the largest integer <= x (-0.0, infinities and NaN stay); backward none
FLOOR = _unary("floor", np.floor, _no_grad, "floor({0})")
# twice the fraction x - floor(x), exact (both subtractions are, below 2**52), and whether
# floor(x) is odd: the parts of rounding half to even
_TWICE_FRACTION = "(({0} - floor({0})) + ({0} - floor({0})))"
_FLOOR_IS_ODD = "(floor(floor({0}) / ({one} + {one})) * ({one} + {one}) != floor({0}))"
# forward y = x rounded to the nearest integer, halves to the even one (numpy's rint,
# TensorFlow's round), with x's sign (round(-0.3) is -0.0); backward none
ROUND = _unary("round", np.rint, _no_grad,
               f"copysign(floor({{0}}) + ({{one}} if {_TWICE_FRACTION} > {{one}} or "
               f"{_TWICE_FRACTION} == {{one}} and {_FLOOR_IS_ODD} else {{zero}}), {{0}})")


def floor(x: Any, name: str | None = None) -> Tensor:
    """The largest integer not above x, elementwise, for floating point x (no gradient)."""
    return apply(FLOOR, x, name=name)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TensorFlow's name
    """x rounded to the nearest integer, halves to the even one (TensorFlow's round;
    no gradient). An integer tensor is returned as it is, as TensorFlow returns it."""
    if _is_integer(x):
        return x
    return apply(ROUND, x, name=name)


def _is_integer(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    try:
        return dtype is not None and as_dtype(dtype).is_integer
    except (TypeError, ValueError):
        return False


def negative(x: Any, name: str | None = None) -> Tensor:
    """-x, elementwise."""
    return apply(NEGATIVE, x, name=name)


def square(x: Any, name: str | None = None) -> Tensor:
    """x * x, elementwise."""
    return apply(SQUARE, x, name=name)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """Square root, elementwise."""
    return apply(SQRT, x, name=name)


def exp(x: Any, name: str | None = None) -> Tensor:
    """e ** x, elementwise."""
    return apply(EXP, x, name=name)


def log(x: Any, name: str | None = None) -> Tensor:
    """Natural logarithm, elementwise."""
    return apply(LOG, x, name=name)


def tanh(x: Any, name: str | None = None) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return apply(TANH, x, name=name)


def sin(x: Any, name: str | None = None) -> Tensor:
    """Sine (radians), elementwise."""
    return apply(SIN, x, name=name)


def cos(x: Any, name: str | None = None) -> Tensor:
    """Cosine (radians), elementwise."""
    return apply(COS, x, name=name)


def erf(x: Any, name: str | None = None) -> Tensor:
    """The error function 2/sqrt(pi) * integral from 0 to x of e^(-t^2) dt, elementwise
    (floating point)."""
    return apply(ERF, x, name=name)


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """Logistic function 1 / (1 + exp(-x)), elementwise."""
    return apply(SIGMOID, x, name=name)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - numpy/TensorFlow name
    """Absolute value, elementwise."""
    return apply(ABS, x, name=name)


def sign(x: Any, name: str | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of x, elementwise."""
    return apply(SIGN, x, name=name)


def relu(x: Any, name: str | None = None) -> Tensor:
    """max(x, 0), elementwise."""
    return apply(RELU, x, name=name)


# -- binary arithmetic ---------------------------------------------------------------------
# forward y = a + b; backward da = g, db = g
ADD = _binary("add", np.add, lambda op, g: _each(op, lambda: g, lambda: g), "({0} + {1})",
              commutative=True)
# forward y = a - b; backward da = g, db = -g
SUBTRACT = _binary("subtract", np.subtract, lambda op, g: _each(op, lambda: g, lambda: -g),
                   "({0} - {1})")
# forward y = a b; backward da = g b, db = g a
MULTIPLY = _binary("multiply", np.multiply,
                   lambda op, g: _each(op, lambda: g * op.inputs[1], lambda: g * op.inputs[0]),
                   "({0} * {1})", commutative=True)
def _true_quotient(dtype: DType) -> DType:
    """The dtype of a true division of integers (TensorFlow's truediv table): float32 for
    the 8- and 16-bit ones, which it holds exactly, float64 for the others."""
    return float32_ if dtype.is_integer and dtype.np.itemsize <= 2 else float64_


# forward y = a / b (true division: integers give float64, 8- and 16-bit ones float32);
# backward da = g / b, db = -g y / b
DIVIDE = _binary("divide", np.true_divide,
                 lambda op, g: _each(op, lambda: g / op.inputs[1],
                                     lambda: -g * op.outputs[0] / op.inputs[1]),
                 "({0} / {1})", int_result=_true_quotient)
# forward y = a ** b; backward da = g b a^(b-1), db = g y ln a (0 where a <= 0)
def _pow_base_grad(a: Any, b: Any, g: Any) -> Any:
    """g b a^(b-1), with a known scalar exponent folded in (x**2 gives g * 2x)."""
    k = scalar_value(b)
    if k is None:
        return g * b * pow(a, b - 1)
    return g * (2 * a) if k == 2 else g if k == 1 else g * (k * pow(a, k - 1))


POW = _binary("pow", np.power, lambda op, g: _each(
    op, lambda: _pow_base_grad(op.inputs[0], op.inputs[1], g),
    lambda: g * op.outputs[0] * where(op.inputs[0] > 0,
                                      log(where(op.inputs[0] > 0, op.inputs[0], 1)), 0)),
    "power({0}, {1})")


def _maximum_grad(op: GradOp, g: Any) -> Any:
    a, b = op.inputs
    y = op.outputs[0]
    grads: list[Any] = []
    for side, (x, other) in enumerate(((a, b), (b, a))):
        if not op.wants[side]:
            grads.append(None)
        elif _is_relu_of(x, other, y):
            grads.append(_relu_grad(y, g))
        else:  # the larger input takes g, a on ties
            grads.append(sum_to(where(a >= b, g, 0) if side == 0 else where(a >= b, 0, g), x))
    return tuple(grads)


def _is_relu_of(x: Any, other: Any, y: Any) -> bool:
    """Whether y = maximum(x, other) is a ReLU of x: other is zeros of a known shape that do
    not widen x (so x's gradient is ReLU's and has x's shape)."""
    return known_zero(other) and shapes.is_fully_defined(other.shape) and \
        x.shape is not None and x.shape == y.shape


# forward y = max(a, b): NaN if either is NaN, b on ties (max(-0.0, +0.0) is +0.0, as in
# numpy); backward the gradient goes to the larger input (to a on ties), except that
# maximum(x, 0) and maximum(0, x), with zeros known when the graph is built, are ReLUs of x
# and take ReLU's gradient (0 at exactly 0)
MAXIMUM = _binary("maximum", np.maximum, _maximum_grad,
                  "({0} if {0} > {1} or {0} != {0} else {1})", commutative=True)
# forward y = min(a, b): NaN if either is NaN, b on ties (min(+0.0, -0.0) is -0.0, as in
# numpy); backward the gradient goes to the smaller input (to a on ties)
MINIMUM = _binary("minimum", np.minimum, lambda op, g: _each(
    op, lambda: where(op.inputs[0] <= op.inputs[1], g, 0),
    lambda: where(op.inputs[0] <= op.inputs[1], 0, g)),
    "({0} if {0} < {1} or {0} != {0} else {1})", commutative=True)


def _floormod_grad(op: GradOp, g: Any) -> Any:
    """TensorFlow's FloorMod gradient: x - floordiv(x, y) * y differentiated with the
    quotient held constant."""
    x, y = op.inputs
    return _each(op, lambda: g, lambda: -g * floordiv(x, y))


# forward y = floor(a / b), numpy's floor_divide (Python's // on each element): floats as
# numpy gives them (a zero divisor gives a / b: +-inf or NaN; floor_divide(inf, 1) is NaN),
# integers rounded toward -inf, an integer divided by 0 is 0 (numpy's value);
# backward none, as TensorFlow's FloorDiv has no gradient
FLOORDIV = _binary("floordiv", np.floor_divide, _no_grad, "({0} // {1})")
# forward y = a - floor(a / b) * b, numpy's remainder (Python's %): the sign of the divisor;
# a float zero divisor gives NaN, an integer one 0 (numpy's values); backward da = g,
# db = -g floordiv(a, b) (TensorFlow's)
FLOORMOD = _binary("floormod", np.remainder, _floormod_grad, "({0} % {1})")


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x // y elementwise with numpy broadcasting: the quotient rounded toward -inf
    (TensorFlow's floordiv; no gradient)."""
    return apply(FLOORDIV, x, y, name=name)


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x % y elementwise with numpy broadcasting: x - floordiv(x, y) * y, which takes the
    sign of y (TensorFlow's floormod and mod, numpy's remainder)."""
    return apply(FLOORMOD, x, y, name=name)


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x + y with numpy broadcasting."""
    return apply(ADD, x, y, name=name)


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x - y with numpy broadcasting."""
    return apply(SUBTRACT, x, y, name=name)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * y with numpy broadcasting."""
    return apply(MULTIPLY, x, y, name=name)


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y (true division) with numpy broadcasting."""
    return apply(DIVIDE, x, y, name=name)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TensorFlow name
    """x ** y with numpy broadcasting."""
    return apply(POW, x, y, name=name)


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise larger of x and y."""
    return apply(MAXIMUM, x, y, name=name)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise smaller of x and y."""
    return apply(MINIMUM, x, y, name=name)


# -- comparisons (not differentiable) ------------------------------------------------------
GREATER = _binary("greater", np.greater, _no_grad, "({0} > {1})", out_dtype=bool_)
GREATER_EQUAL = _binary("greater_equal", np.greater_equal, _no_grad, "({0} >= {1})",
                        out_dtype=bool_)
LESS = _binary("less", np.less, _no_grad, "({0} < {1})", out_dtype=bool_)
LESS_EQUAL = _binary("less_equal", np.less_equal, _no_grad, "({0} <= {1})", out_dtype=bool_)
EQUAL = _binary("equal", np.equal, _no_grad, "({0} == {1})", commutative=True,
                out_dtype=bool_)
NOT_EQUAL = _binary("not_equal", np.not_equal, _no_grad, "({0} != {1})", commutative=True,
                    out_dtype=bool_)


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x > y elementwise, as bool."""
    return apply(GREATER, x, y, name=name)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x >= y elementwise, as bool."""
    return apply(GREATER_EQUAL, x, y, name=name)


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x < y elementwise, as bool."""
    return apply(LESS, x, y, name=name)


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x <= y elementwise, as bool."""
    return apply(LESS_EQUAL, x, y, name=name)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x == y elementwise, as bool."""
    return apply(EQUAL, x, y, name=name)


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x != y elementwise, as bool."""
    return apply(NOT_EQUAL, x, y, name=name)


# -- selection and conversion --------------------------------------------------------------
def _where_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    cond, x, y = types
    if not cond.dtype.is_bool:
        raise TypeError(f"condition must be bool, got {cond.dtype.name}")
    if x.dtype != y.dtype:
        raise TypeError(f"branches have different dtypes: {x} and {y}")
    return TensorType(x.dtype, shapes.broadcast(cond.shape, x.shape, y.shape))


# forward y = x where cond else z; backward dx = g where cond, dz = g where not cond
WHERE = register(OpDef("where", _where_infer, np.where, lambda op, g: (None,) + _each(
    op._replace(inputs=op.inputs[1:], wants=op.wants[1:]),
    lambda: where(op.inputs[0], g, 0), lambda: where(op.inputs[0], 0, g)), elementwise=True,
    scalar="({1} if {0} else {2})"))


def where(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise choice: x where condition holds, else y (all three broadcast). A
    condition given as bools (a numpy mask, a list) stays bool, whatever x's dtype."""
    if not isinstance(condition, Tensor) and not core.is_eager(condition) and \
            np.asarray(condition).dtype == np.bool_:
        mask = np.asarray(condition)
        eager: Any = core.eager_type
        condition = eager(mask) if core.is_eager(x, y) else \
            core.convert_to_tensor(mask, graph=core._graph_of((x, y)), op="where")
    return apply(WHERE, condition, x, y, name=name)


def _cast_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    return TensorType(attrs["dtype"], types[0].shape)


# forward y = x as dtype; backward dx = g cast back, if both are floating point
CAST = register(OpDef(
    "cast", _cast_infer, lambda x, dtype: x.astype(dtype.np),
    lambda op, g: (cast(g, op.inputs[0].dtype)
                   if op.inputs[0].dtype.is_floating and op.attrs["dtype"].is_floating
                   else None,), elementwise=True,
    scalar="{0}"))  # (the conversion to the op's dtype, which every op's value gets)


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """x converted to `dtype` (float to int truncates toward zero, as numpy does)."""
    return apply(CAST, x, name=name, dtype=as_dtype(dtype))


# the op functions graphc exports: one per elementwise op, named as the op (a literal list,
# so type checkers see the names; tests/test_op_properties.py checks it is complete)
__all__ = [
    "abs", "add", "cast", "cos", "divide", "equal", "erf", "exp", "floor", "floordiv",
    "floormod", "greater", "greater_equal", "less", "less_equal", "log", "maximum", "minimum",
    "multiply", "negative", "not_equal", "pow", "relu", "round", "sigmoid", "sign", "sin",
    "sqrt", "square", "subtract", "tanh", "where",
]
