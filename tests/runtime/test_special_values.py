"""Every elementwise op on the values where numerics are delicate (NaN of either sign, both
zeros, both infinities, +-1, the smallest subnormal and the largest finite value of either
sign; for integers 0, +-1, 2, -3, 40 and the dtype's extremes), on every backend, against
its numpy reference.

The cases come from the registry when the tests are collected: each op with a scalar
template (OpDef.scalar), each dtype it accepts, every combination of the values for its
operands (a `where` condition takes both bools), all in one array per backend. A new
elementwise op is covered with no new test code; one whose signature the cases cannot
build fails the completeness test below.

Values are compared as test_backend_agreement.assert_same does: NaN positions, the sign of
every other value (a zero's included) and the values, bit for bit; every bit, NaN payloads
included, for an op whose value is one of its operands, at most negated (max, relu,
where...), which must leave a NaN's bits alone (which NaN an arithmetic op makes is the
hardware's choice). One allowance: where a template calls libm (exp, sin, pow...) and numpy
gives a finite nonzero value, a backend's own libm may differ from numpy's in the last bit
(numpy's float32 exp and sin are not correctly rounded: exp(1.0f) is 0x402df855 in numpy,
0x402df854 in glibc and in numba's loop), so those values are compared to within ULPS."""

from __future__ import annotations

import ast
import itertools
import string
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from numba.core import config

import graphc as gc
from graphc.graph import TensorType
from graphc.ops.core import apply
from graphc.ops.elementwise import SCALAR, called
from graphc.registry import OPS
from graphc.runtime.cpu.emit import VECTORIZED, numpy_min
from tests.runtime.test_backend_agreement import assert_same, run

DTYPES = [np.dtype(d) for d in ("float32", "float64", "int32", "int64")]
# the ops whose value depends on an attribute, and the attributes to test (others: none)
ATTRS: dict[str, list[dict[str, Any]]] = {"cast": [dict(dtype=gc.as_dtype(d)) for d in DTYPES]}
SIMULATOR = bool(config.ENABLE_CUDASIM)  # numba's CUDA simulator (tests/conftest.py)
# how far a backend's libm may be from numpy's on a finite nonzero value: 1 on the CPU; the
# CUDA math library's documented worst case (powf) on a GPU; none in the simulator, whose
# kernels call numpy's functions (runtime/cuda/elementwise._math_module)
ULPS = {"numpy": 0, "numba": 1, "cuda": 0 if SIMULATOR else 4}


def special_values(dtype: np.dtype) -> np.ndarray:
    """The values where an op's numerics are delicate, of dtype."""
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return np.array([0, 1, -1, 2, -3, 40, info.max, info.min], dtype)
    tiny, big = np.finfo(dtype).smallest_subnormal, np.finfo(dtype).max
    return np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1.0, -1.0,
                     tiny, -tiny, big, -big], dtype)


def arity(template: str) -> int:
    """The number of operands a scalar template reads ({0}, {1}, ...)."""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f and f.isdigit()]
    return max(map(int, fields)) + 1


def selects(template: str) -> bool:
    """Whether a template's value is always one of its operands or literals, at most negated
    or made absolute (sign-bit operations): it compares and chooses, never computes."""
    tree = ast.parse(template.format(*"abc", zero="zero", one="one"), mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id == "abs"):
                return False
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.Not)):
                return False
        elif not isinstance(node, (ast.Expression, ast.IfExp, ast.Compare, ast.BoolOp,
                                   ast.Name, ast.Load, ast.cmpop, ast.boolop, ast.unaryop)):
            return False
    return True


@dataclass
class Case:
    """One op on one signature; inputs[i][k] is operand i of combination k."""

    op: str
    attrs: dict[str, Any]
    inputs: list[np.ndarray]
    out_dtype: np.dtype

    @property
    def id(self) -> str:
        dtypes = "-".join(dict.fromkeys(a.dtype.name for a in self.inputs if a.dtype != bool))
        to = f"-to-{self.attrs['dtype'].name}" if "dtype" in self.attrs else ""
        return f"{self.op}-{dtypes}{to}"

    @property
    def template(self) -> str:
        return OPS[self.op].scalar

    @property
    def keeps_bits(self) -> bool:
        """Whether the result must have its operands' bits: a template that selects, in
        its operands' float dtype (a conversion between floats may remake a NaN)."""
        same = all(a.dtype == self.out_dtype for a in self.inputs if a.dtype != bool)
        return selects(self.template) and (same or self.out_dtype.kind != "f")

    @property
    def calls_libm(self) -> bool:
        """Whether its float value comes from a libm call in numba's loop."""
        return self.out_dtype.kind == "f" and bool(called(self.template) - VECTORIZED)

    @property
    def numpy_from(self) -> int | None:
        """From how many elements numba computes it with numpy's ufuncs (emit.numpy_min)."""
        operands = [("input", i) for i in range(len(self.inputs))]
        return numpy_min((self.op, self.out_dtype.name, *operands))

    def only(self, keep: np.ndarray) -> Case:
        return replace(self, inputs=[a[keep] for a in self.inputs])

    def build(self, *tensors: Any) -> Any:
        return apply(OPS[self.op], *tensors, **self.attrs)

    def reference(self, *inputs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(OPS[self.op].reference(*inputs, **self.attrs))


def _signature(op: str, dtype: np.dtype, attrs: dict[str, Any]
               ) -> tuple[list[np.dtype], np.dtype] | None:
    """The operand dtypes of op on dtype (all dtype, or a bool condition first) and its
    result's, or None where the op refuses dtype."""
    n = arity(SCALAR[op])
    for operands in ([dtype] * n, [np.dtype(bool)] + [dtype] * (n - 1)):
        types = [TensorType(gc.as_dtype(d), (None,)) for d in operands]
        try:
            out = OPS[op].infer(types, attrs)
        except TypeError:
            continue
        return operands, out.dtype.np
    return None


def _numpy_defines(case: Case) -> np.ndarray:
    """Per combination, whether numpy computes it without an error or a warning. On
    integers (operands or result) that is where numpy defines no value: an integer to a
    negative power (ValueError), a cast of NaN, an infinity or an out-of-range float to an
    integer (FloatingPointError: the platform's choice), an integer divided by zero (numpy
    warns and returns +-inf or NaN, which the backends need not copy)."""
    def defined(*combination: Any) -> bool:
        singles = [np.array([v]) for v in combination]
        try:
            with np.errstate(all="raise"):
                OPS[case.op].reference(*singles, **case.attrs)
        except (ArithmeticError, ValueError):
            return False
        return True
    return np.array([defined(*c) for c in zip(*case.inputs)], bool)


def _cases() -> list[Case]:
    cases = []
    for op in SCALAR:
        for attrs, dtype in itertools.product(ATTRS.get(op, [{}]), DTYPES):
            signature = _signature(op, dtype, attrs)
            if signature is None:
                continue
            operands, out_dtype = signature
            grid = list(zip(*itertools.product(*(special_values(d) for d in operands))))
            case = Case(op, attrs, [np.array(g, d) for g, d in zip(grid, operands)], out_dtype)
            integers = dtype.kind != "f" or out_dtype.kind != "f"
            cases.append(case.only(_numpy_defines(case)) if integers else case)
    return cases


CASES = _cases()
IDS = dict(ids=lambda c: c.id)
# the simulator computes with numpy scalars, which warn of what IEEE arithmetic defines
SIMULATOR_WARNINGS = pytest.mark.filterwarnings(
    "ignore:.* encountered in:RuntimeWarning")


def test_every_op_with_a_scalar_template_has_float_cases():
    tested = {(c.op, c.inputs[-1].dtype.name) for c in CASES}
    missing = [(op, d) for op in SCALAR for d in ("float32", "float64") if (op, d) not in tested]
    assert not missing, "ops whose signature this test cannot build (attributes: ATTRS)"


def assert_matches(case: Case, got: Any, want: np.ndarray, ulps: int) -> None:
    """got is want, bit for bit as the module docstring says; with `ulps`, a libm result
    that is finite and nonzero in want may be that many units in the last place off."""
    assert not isinstance(got, Exception), got
    assert want.dtype == case.out_dtype  # the reference makes the op's dtype
    exact = np.ones(want.shape, bool)
    if ulps and case.calls_libm:
        exact = ~np.isfinite(want) | (want == 0)
        np.testing.assert_array_max_ulp(got[~exact], want[~exact], maxulp=ulps)
        np.testing.assert_array_equal(np.signbit(got[~exact]), np.signbit(want[~exact]))
    assert_same(np.asarray(got)[exact], want[exact], bits=case.keeps_bits)


@pytest.mark.parametrize("case", CASES, **IDS)
def test_the_numpy_backend_gives_the_reference(case):
    (got,) = run(dict(backend="numpy"), case.build, case.inputs)
    assert_matches(case, got, case.reference(*case.inputs), ULPS["numpy"])


@pytest.mark.parametrize("case", CASES, **IDS)
def test_numba_gives_the_reference_in_its_loop_and_from_numpy_min_elements(case):
    # from numpy_from elements an expression calling libm runs numpy's ufuncs (emit.py)
    large = [np.resize(a, max(case.numpy_from or 0, a.size)) for a in case.inputs]
    small_got, large_got = run(dict(backend="numba"), case.build, case.inputs, large)
    assert_matches(case, small_got, case.reference(*case.inputs), ULPS["numba"])
    assert_matches(case, large_got, case.reference(*large),
                   0 if case.numpy_from else ULPS["numba"])


@SIMULATOR_WARNINGS
@pytest.mark.parametrize("case", CASES, **IDS)
def test_cuda_gives_the_reference(case):
    (got,) = run(dict(device="cuda"), case.build, case.inputs)
    assert_matches(case, got, case.reference(*case.inputs), ULPS["cuda"])
