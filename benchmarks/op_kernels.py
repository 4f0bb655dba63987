"""Each op with a native (numba) kernel, alone in a graph, against the numpy expression that
computes the same thing and against the run overhead, interleaved in one run.

The ops come from the registry: every op with a "numba" kernel (registry.KERNELS, or the
emitter table in runtime/cpu/emit.py), less the ops that only passes make (OpDef.fused_from)
and the host ops (placeholder, variable, constant, assign, no_op, random draws). Each runs
float32 at --sizes elements (matmul: square operands of about that many elements, and the
seed step's five products). A case's graph has placeholders of unknown dims, so it compiles
once and runs at every size.

Columns: graphc = Session.run of the op's graph; numpy = the numpy expression; overhead =
Session.run of a trivial graph (identity of a placeholder shaped like the op's result, with
the op's feeds fed too): the run machinery plus the copy Session.run returns of a result of
that size (session._to_user). ratio = graphc / numpy; "-ovh" = (graphc - overhead) / numpy.
View ops (identity, reshape, transpose, broadcast_like, ...) are compared with a C-ordered
copy of the numpy view, which is what Session.run returns (their whole work). A note says
when the optimized program is not the op alone, when an op runs on its numpy reference,
and when the result differs from numpy's. On a 2-core machine: under a minute with
warm caches, about 70 s with empty ones (every case compiles).
Run: python benchmarks/op_kernels.py [--repeats 50] [--sizes 1e3 1e5 1e6] [--only exp ...]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

os.environ["GRAPHC_COMPILE"] = "wait"  # time machine code, never the numpy references

import numpy as np  # noqa: E402
from timing import interleaved_medians  # noqa: E402

import graphc as gc  # noqa: E402
from graphc import registry  # noqa: E402
from graphc.graph import Node, Tensor  # noqa: E402
from graphc.passes.pipeline import build_program  # noqa: E402
from graphc.runtime.backend import FallbackWarning  # noqa: E402

F32 = np.float32
SLOW = 1.5  # list the ops slower than this many times numpy (at 1e5 elements and above)
COLS = 100  # the inner dim of the 2-D and 3-D inputs
HOST_NAMES = {"placeholder", "variable", "constant", "assign", "no_op"}


# -- which ops have native kernels --------------------------------------------------------
def numba_kernels() -> dict[str, Any]:
    """The numba backend's kernels by op: registry.KERNELS["numba"] and the emitter table
    of runtime/cpu/emit.py (the same dict today; either may be the only one)."""
    found: dict[str, Any] = {}
    kernels = getattr(registry, "KERNELS", None)
    if isinstance(kernels, dict):
        found.update(kernels.get("numba", {}))
    try:
        from graphc.runtime.cpu.emit import EMITTERS
    except ImportError:  # (moved into the registry)
        return found
    found.update(EMITTERS)
    return found


def classify_ops() -> tuple[list[str], dict[str, str]]:
    """(the ops to time, {op left out: why}), from the registry."""
    timed, left_out = [], {}
    for op in sorted(numba_kernels()):
        opdef = registry.OPS.get(op)
        if opdef is None:
            left_out[op] = "a kernel without a registered OpDef"
        elif opdef.fused_from:
            left_out[op] = f"made only by passes (fused_from {'+'.join(opdef.fused_from)})"
        elif (op in HOST_NAMES or opdef.effect in ("feed", "read", "write", "random")
              or opdef.source or opdef.host):
            left_out[op] = "a host op"
        else:
            timed.append(op)
    return timed, left_out


# -- cases ---------------------------------------------------------------------------------
Arrays = list[np.ndarray]


@dataclass
class Case:
    """One row family: the op's graph built on placeholders, the arrays fed at n elements,
    and the numpy expression on those arrays."""

    op: str
    label: str
    inputs: Callable[[int, np.random.Generator], Arrays]
    build: Callable[..., Tensor]  # (*placeholders) -> the tensor fetched
    numpy: Callable[..., Any]
    expr: str
    static: bool = False  # the graph has a static shape (fill): one graph per size
    size_of: Callable[[Arrays], str] | None = None  # the size column, if not n
    dims: dict[int, tuple[int | None, ...]] = field(default_factory=dict)  # placeholder dims


def rows(n: int) -> int:
    return max(1, n // COLS)


def normal(*shape: int) -> Callable[[int, np.random.Generator], Arrays]:
    return lambda n, rng: [rng.standard_normal(shape or (n,)).astype(F32)]


def vec(kind: str = "normal", count: int = 1) -> Callable[[int, np.random.Generator], Arrays]:
    """`count` float32 vectors of n elements: normal, positive (0.5..2) or small ints."""
    def make(n: int, rng: np.random.Generator) -> Arrays:
        if kind == "positive":
            return [rng.uniform(0.5, 2.0, n).astype(F32) for _ in range(count)]
        if kind == "ints":
            return [rng.integers(0, 3, n).astype(F32) for _ in range(count)]
        return [rng.standard_normal(n).astype(F32) for _ in range(count)]
    return make


def mat(n: int, rng: np.random.Generator) -> Arrays:
    return [rng.standard_normal((rows(n), COLS)).astype(F32)]


def copied(x: np.ndarray) -> np.ndarray:
    """A view as Session.run returns it: a C-ordered array of its own (runtime/cpu/host.py
    to_host makes a view leaving native code C-ordered; session._to_user copies)."""
    return np.array(x, order="C", copy=True)


def checked(x: np.ndarray) -> np.ndarray:
    if not np.isfinite(x).all():
        raise FloatingPointError("not finite")
    return copied(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


UNARY: dict[str, tuple[Callable[..., Any], str, str]] = {
    "abs": (np.abs, "np.abs(x)", "normal"),
    "exp": (np.exp, "np.exp(x)", "normal"),
    "log": (np.log, "np.log(x), x > 0", "positive"),
    "negative": (np.negative, "-x", "normal"),
    "relu": (lambda x: np.maximum(x, 0), "np.maximum(x, 0)", "normal"),
    "sigmoid": (sigmoid, "1 / (1 + np.exp(-x))", "normal"),
    "sign": (np.sign, "np.sign(x)", "normal"),
    "sqrt": (np.sqrt, "np.sqrt(x), x > 0", "positive"),
    "square": (np.square, "np.square(x)", "normal"),
    "tanh": (np.tanh, "np.tanh(x)", "normal"),
}
BINARY: dict[str, tuple[Callable[..., Any], str, str]] = {
    "add": (np.add, "x + y", "normal"),
    "subtract": (np.subtract, "x - y", "normal"),
    "multiply": (np.multiply, "x * y", "normal"),
    "divide": (np.divide, "x / y, y in [0.5, 2]", "positive"),
    "pow": (np.power, "x ** y, x, y in [0.5, 2]", "positive"),
    "maximum": (np.maximum, "np.maximum(x, y)", "normal"),
    "minimum": (np.minimum, "np.minimum(x, y)", "normal"),
    "equal": (np.equal, "x == y, small ints", "ints"),
    "not_equal": (np.not_equal, "x != y, small ints", "ints"),
    "greater": (np.greater, "x > y", "normal"),
    "greater_equal": (np.greater_equal, "x >= y", "normal"),
    "less": (np.less, "x < y", "normal"),
    "less_equal": (np.less_equal, "x <= y", "normal"),
}


def op_function(op: str) -> Callable[..., Tensor]:
    fn = getattr(gc, op, None)
    if fn is None:
        raise LookupError(f"graphc has no public function gc.{op}")
    return fn


def elementwise_cases(op: str) -> list[Case]:
    if op in UNARY:
        fn, expr, kind = UNARY[op]
        return [Case(op, op, vec(kind), op_function(op), fn, expr)]
    fn, expr, kind = BINARY[op]
    return [Case(op, op, vec(kind, 2), op_function(op), fn, expr)]


def where_inputs(n: int, rng: np.random.Generator) -> Arrays:
    return [rng.standard_normal(n) > 0, *vec("normal", 2)(n, rng)]


def matmul_square(n: int, rng: np.random.Generator) -> Arrays:
    side = max(1, round(math.sqrt(n)))
    return [rng.standard_normal((side, side)).astype(F32) for _ in range(2)]


def reduce_cases(op: str) -> list[Case]:
    numpy_fns: dict[str, Callable[..., Any]] = {
        "reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max}
    fn = numpy_fns[op]
    name = {"reduce_sum": "sum", "reduce_mean": "mean", "reduce_max": "max"}[op]
    graph_fn = op_function(op)
    return [Case(op, f"{op} axis={axis}", mat, functools.partial(graph_fn, axis=axis),
                 functools.partial(fn, axis=axis), f"x.{name}(axis={axis}), x (n/100, 100)")
            for axis in (None, 0, 1)]


def reduction_count_case(op: str) -> list[Case]:
    from graphc.ops.reduce import reduction_count
    return [Case(op, op, mat, lambda x: reduction_count(x, (0,)),
                 lambda x: F32(x.shape[0]), "np.float32(x.shape[0]), rows unknown",
                 dims={0: (None, COLS)})]


def shape_cases(op: str) -> list[Case]:
    from graphc.ops import shape as S
    if op == "reshape":
        return [Case(op, op, mat, lambda x: gc.reshape(x, (-1,)),
                     lambda x: copied(x.reshape(-1)), "x.reshape(-1), C-ordered copy")]
    if op == "reshape_like":
        def inputs(n: int, rng: np.random.Generator) -> Arrays:
            x = mat(n, rng)[0]
            return [x, np.zeros(x.size, F32)]
        return [Case(op, op, inputs, S.reshape_like,
                     lambda x, like: copied(x.reshape(like.shape)),
                     "x.reshape(like.shape), C-ordered copy")]
    if op == "broadcast_like":
        def row(n: int, rng: np.random.Generator) -> Arrays:
            return [rng.standard_normal(COLS).astype(F32), np.zeros((rows(n), COLS), F32)]

        def column(n: int, rng: np.random.Generator) -> Arrays:
            return [rng.standard_normal(rows(n)).astype(F32), np.zeros((rows(n), COLS), F32)]
        return [Case(op, f"{op} row", row, S.broadcast_like,
                     lambda b, like: copied(np.broadcast_to(b, like.shape)),
                     "broadcast_to(b (100,), (n/100, 100)), C-ordered copy"),
                Case(op, f"{op} axes=(1,)", column,
                     lambda b, like: S.broadcast_like(b, like, (1,)),
                     lambda b, like: copied(np.broadcast_to(b[:, None], like.shape)),
                     "broadcast_to(b[:, None], (n/100, 100)), C-ordered copy")]
    if op == "sum_to":
        def to_row(n: int, rng: np.random.Generator) -> Arrays:
            return [*mat(n, rng), np.zeros(COLS, F32)]

        def to_column(n: int, rng: np.random.Generator) -> Arrays:
            return [*mat(n, rng), np.zeros((rows(n), 1), F32)]
        return [Case(op, f"{op} (100,)", to_row, S.sum_to,
                     lambda x, like: x.sum(axis=0), "x.sum(axis=0)"),
                Case(op, f"{op} (rows, 1)", to_column, S.sum_to,
                     lambda x, like: x.sum(axis=1, keepdims=True),
                     "x.sum(axis=1, keepdims=True)")]
    if op == "transpose":
        def cube(n: int, rng: np.random.Generator) -> Arrays:
            return [rng.standard_normal((rows(n), 10, COLS // 10)).astype(F32)]
        return [Case(op, f"{op} 2-D", mat, gc.transpose, lambda x: copied(x.T),
                     "x.T, C-ordered copy"),
                Case(op, f"{op} (0,2,1)", cube, lambda x: gc.transpose(x, (0, 2, 1)),
                     lambda x: copied(x.transpose(0, 2, 1)),
                     "x.transpose(0, 2, 1), C-ordered copy")]
    # identity, stop_gradient
    return [Case(op, op, vec(), op_function(op), copied, "x.copy()")]


def fill_cases(op: str) -> list[Case]:
    if op == "fill":
        return [Case(op, op, lambda n, rng: [], lambda n: gc.fill((n,), 1.5, gc.float32),
                     lambda n: np.full(n, 1.5, F32), "np.full(n, 1.5, np.float32)",
                     static=True)]
    return [Case(op, op, vec(), gc.ones_like, np.ones_like, "np.ones_like(x)")]


def matmul_cases(op: str) -> list[Case]:
    def seed(a_shape: tuple[int, int], b_shape: tuple[int, int], ta: bool, tb: bool
             ) -> Case:
        def inputs(n: int, rng: np.random.Generator) -> Arrays:
            return [rng.standard_normal(a_shape).astype(F32),
                    rng.standard_normal(b_shape).astype(F32)]
        a = f"({a_shape[0]}x{a_shape[1]}){'.T' if ta else ''}"
        b = f"({b_shape[0]}x{b_shape[1]}){'.T' if tb else ''}"
        return Case(op, f"matmul {a}@{b}", inputs,
                    lambda x, y: gc.matmul(x, y, transpose_a=ta, transpose_b=tb),
                    lambda x, y: (x.T if ta else x) @ (y.T if tb else y),
                    "a @ b (seed step shapes)", size_of=lambda arrays: "seed")
    return [Case(op, "matmul square", matmul_square, gc.matmul, np.matmul,
                 "a @ b, a and b sqrt(n) x sqrt(n)",
                 size_of=lambda arrays: f"{arrays[0].shape[0]}^2"),
            seed((64, 1000), (1000, 100), False, False),   # x @ w1
            seed((64, 100), (100, 10), False, False),      # h @ w2
            seed((64, 100), (64, 10), True, False),        # h.T @ g: w2's gradient
            seed((64, 10), (100, 10), False, True),        # g @ w2.T: h's gradient
            seed((64, 1000), (64, 100), True, False)]      # x.T @ dh: w1's gradient


def generic_elementwise(op: str) -> list[Case]:
    """An elementwise op with no case written here: gc.<op> on 1 or 2 positive vectors,
    against its numpy reference."""
    fn = op_function(op)
    reference = registry.OPS[op].reference
    if reference is None:
        raise LookupError("no case is written for it, and it has no numpy reference")
    for arity in (1, 2):
        try:
            with gc.Graph().as_default():
                fn(*[gc.placeholder(gc.float32, (None,)) for _ in range(arity)])
        except TypeError:
            continue
        return [Case(op, op, vec("positive", arity), fn, reference,
                     f"its numpy reference ({getattr(reference, '__name__', '?')})")]
    raise LookupError(f"gc.{op} takes neither 1 nor 2 tensors")


def cases_of(op: str) -> list[Case]:
    """The cases timing `op`; raises (with the reason) when none can be set up."""
    if op in UNARY or op in BINARY:
        return elementwise_cases(op)
    special: dict[str, Callable[[str], list[Case]]] = {
        "where": lambda op: [Case(op, op, where_inputs, gc.where, np.where,
                                  "np.where(c, x, y)")],
        "cast": lambda op: [Case(op, f"{op} f32->f64", vec(),
                                 lambda x: gc.cast(x, gc.float64),
                                 lambda x: x.astype(np.float64), "x.astype(np.float64)")],
        "check_numerics": lambda op: [Case(op, op, vec(),
                                           lambda x: gc.check_numerics(x, "bench"),
                                           checked, "isfinite(x).all(), x.copy()")],
        "reduce_sum": reduce_cases, "reduce_mean": reduce_cases, "reduce_max": reduce_cases,
        "reduction_count": reduction_count_case,
        "matmul": matmul_cases,
        "fill": fill_cases, "fill_like": fill_cases,
    }
    for name in ("reshape", "reshape_like", "broadcast_like", "sum_to", "transpose",
                 "identity", "stop_gradient"):
        special[name] = shape_cases
    if op in special:
        return special[op](op)
    if registry.OPS[op].elementwise:
        return generic_elementwise(op)
    raise LookupError("no case is written for it in benchmarks/op_kernels.py (its inputs "
                      "and numpy equivalent are not derivable from the registry)")


# -- running one case ----------------------------------------------------------------------
def dtype_of(array: np.ndarray) -> Any:
    return gc.as_dtype(array.dtype.name)


@dataclass
class Built:
    """A case's graph and session: the op's tensor, the trivial tensor, the placeholders."""

    session: gc.Session
    out: Tensor
    trivial: Tensor
    places: list[Tensor]
    like: Tensor
    notes: list[str]


def build(case: Case, arrays: Arrays, expected: np.ndarray, n: int) -> Built:
    graph = gc.Graph()
    with graph.as_default():
        places = [gc.placeholder(dtype_of(a), case.dims.get(i, (None,) * a.ndim))
                  for i, a in enumerate(arrays)]
        out = case.build(n) if case.static else case.build(*places)
        like = gc.placeholder(dtype_of(expected), (None,) * expected.ndim)
        trivial = gc.identity(like)
    notes = []
    program = build_program([out], (), places)
    ops = [node.op for node in program.schedule if node.op != "placeholder"]
    if ops != [case.op]:
        notes.append(f"schedule {ops}")
    return Built(gc.Session(graph), out, trivial, places, like, notes)


def host_run(session: gc.Session) -> list[str]:
    """The ops the session's compiled programs run on their numpy references."""
    from graphc.runtime.cpu.codegen import HOST_OPS
    return sorted({step.op for _, executable in session._cache.values()
                   for step in getattr(executable, "steps", [])
                   if isinstance(step, Node) and step.op not in HOST_OPS})


@dataclass
class Row:
    label: str
    size: str
    med: dict[str, float]
    n: int
    notes: list[str]


def three_steps(case: Case, built: Built, feeds: dict[Tensor, np.ndarray],
                trivial_feeds: dict[Tensor, np.ndarray], args: list[Any]
                ) -> dict[str, Callable[[], object]]:
    """The op's run, the numpy expression, and the trivial run."""
    sess = built.session
    return {"graphc": lambda: sess.run(built.out, feeds),
            "numpy": lambda: case.numpy(*args),
            "overhead": lambda: sess.run(built.trivial, trivial_feeds)}


def measure(case: Case, sizes: Sequence[int], repeats: int) -> list[Row]:
    rng = np.random.default_rng(0)
    result, built = [], None
    seen_sizes: set[str] = set()
    for n in sizes:
        arrays = case.inputs(n, rng)
        size = case.size_of(arrays) if case.size_of else f"{n:.0e}"
        if size in seen_sizes:  # (the seed's matmuls: one size)
            continue
        seen_sizes.add(size)
        expected = np.asarray(case.numpy(*arrays) if not case.static else case.numpy(n))
        if built is None or case.static:
            built = build(case, arrays, expected, n)
        sess = built.session
        feeds = dict(zip(built.places, arrays))
        # (C-ordered: Session.run copies any other layout it is fed)
        trivial_feeds = {**feeds, built.like: np.array(expected, order="C")}
        notes = list(built.notes)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FallbackWarning)
            got = sess.run(built.out, feeds)  # compiles (waits for the machine code)
            sess.run(built.trivial, trivial_feeds)
        notes += [f"warned: {w.message}" for w in caught if w.category is FallbackWarning]
        fallback = host_run(sess)
        if fallback:
            notes.append(f"numpy reference for {fallback}")
        if np.shape(got) != expected.shape or np.asarray(got).dtype != expected.dtype:
            notes.append(f"result {np.asarray(got).dtype}{np.shape(got)} vs numpy "
                         f"{expected.dtype}{expected.shape}")
        elif not np.allclose(got, expected, rtol=1e-4, atol=1e-5 * math.sqrt(expected.size)
                             if case.op in ("reduce_sum", "sum_to", "matmul") else 1e-6):
            notes.append(f"MISMATCH max |diff| {np.max(np.abs(got - expected)):.3g}")
        steps = three_steps(case, built, feeds, trivial_feeds, arrays if not case.static
                            else [n])
        for step in steps.values():  # warm: workspaces grown, caches filled
            step()
        result.append(Row(case.label, size, interleaved_medians(steps, repeats), n, notes))
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--sizes", type=lambda s: int(float(s)), nargs="+",
                   default=[1000, 100_000, 1_000_000], help="elements, e.g. 1e3 1e5 1e6")
    p.add_argument("--only", nargs="+", help="time only these ops")
    args = p.parse_args()
    start = time.perf_counter()
    timed, left_out = classify_ops()
    if args.only:
        timed = [op for op in timed if op in args.only]
    failed: dict[str, str] = {}
    results: list[Row] = []
    for op in timed:
        try:
            cases = cases_of(op)
        except Exception as e:  # noqa: BLE001 - reported below, never skipped silently
            failed[op] = f"{type(e).__name__}: {e}"
            continue
        for case in cases:
            try:
                results += measure(case, args.sizes, args.repeats)
            except Exception as e:  # noqa: BLE001
                failed[case.label] = f"{type(e).__name__}: {e}"

    print(f"\nnative op kernels, float32, median ms of {args.repeats} interleaved runs "
          f"(graphc = Session.run, backend numba; {os.cpu_count()} cores)")
    width = max(len(r.label) for r in results) if results else 10
    print(f"{'op':{width}} {'size':>7} {'graphc ms':>10} {'numpy ms':>9} {'overhead':>9} "
          f"{'ratio':>7} {'-ovh':>7}  notes")
    for r in results:
        g, n, o = r.med["graphc"], r.med["numpy"], r.med["overhead"]
        print(f"{r.label:{width}} {r.size:>7} {g:10.4f} {n:9.4f} {o:9.4f} {g / n:7.2f} "
              f"{(g - o) / n:7.2f}  {'; '.join(r.notes)}")
    slow = [r for r in results if (r.n >= 100_000 or r.size == "seed")
            and r.med["graphc"] / r.med["numpy"] > SLOW]
    print(f"\nslower than {SLOW}x numpy at 1e5 elements and above (and the seed's "
          "matmuls), as size ratio/ratio-without-run-overhead:")
    for title, kernel in (("the kernel itself (still slower without the run overhead):",
                           True), ("the run overhead (without it, within "
                                   f"{SLOW}x):", False)):
        print(f"  {title}")
        by_label: dict[str, list[str]] = {}
        for r in slow:
            g, n, o = r.med["graphc"], r.med["numpy"], r.med["overhead"]
            if ((g - o) / n > SLOW) == kernel:
                by_label.setdefault(r.label, []).append(f"{r.size} {g / n:.2f}/{(g - o) / n:.2f}")
        for label, items in by_label.items():
            print(f"    {label:{width}} {', '.join(items)}")
        if not by_label:
            print("    none")
    print("\nnot timed:")
    for op, why in {**left_out, **failed}.items():
        print(f"  {op}: {why}")
    print("\nnumpy expressions:")
    for op in timed:
        try:
            for case in cases_of(op):
                print(f"  {case.label:{width}} {case.expr}")
        except Exception:  # noqa: BLE001 - listed under "not timed"
            pass
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
