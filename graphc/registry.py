"""The op registry: one OpDef per op (shape rule, numpy reference, gradient rule) and kernels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphc.graph import Tensor, TensorType

# infer(input types, attrs) -> output type(s); raises ValueError/TypeError naming the shapes.
InferRule = Callable[[Sequence[TensorType], Mapping[str, Any]], "TensorType | Sequence[TensorType]"]


class GradOp(NamedTuple):
    """What a gradient rule sees of the op it differentiates (a graph node or an eager record)."""

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    attrs: Mapping[str, Any]
    wants: tuple[bool, ...]  # which inputs need a gradient; rules may skip the others


# grad(op, *output_grads) -> one gradient (or None) per input, built with graphc's op functions.
GradRule = Callable[..., Sequence["Tensor | None"]]
# an op's output dimensions picked from its inputs' (OpDef.dims)
DimsRule = Callable[[Sequence[tuple[Any, ...]], Mapping[str, Any]], "tuple[Any, ...] | None"]


def like_input(k: int) -> DimsRule:
    """The dims rule of an op whose output has the shape of its input k."""
    return lambda dims, attrs: dims[k]


@dataclass(frozen=True)
class OpDef:
    """Everything graphc knows about one op, defined once and shared by every mode and backend.

    effect: None for a pure op; "feed" (placeholder), "read" (variable value at run start),
    "write" (assign, committed at run end), "random" (reference takes an `rng`) or "collective"
    (graphc.distributed: every rank runs it together; never folded or merged, and a Program
    holding one has its schedule compared across ranks when it is compiled) or "print"
    (tf.Print, tf.print: writes when it runs; never folded or merged, graphs only).

    What the backends read (each runtime list of ops is derived from these, never restated):

    source: its value comes from outside the run (fed, a variable's value at run start, a
    constant held in the graph): a backend puts it in place, never computes it, and does
    not own its memory.
    host: set on an op the compiled backends must run in host code though it is no source
    and has no host effect (no_op: nothing to compute).
    calls: the op runs traced function graphs (cond, while_loop): a compiled backend runs
    it in host code and those graphs as programs of its own (ops/flow.running_on).
    The rule, `runs_on_host`: the compiled backends run an op in host code, never natively,
    when it is a source, its effect is in HOST_EFFECTS ("feed", "read", "write": values
    moving in and out of the run; "random": draws that must match the numpy backend's
    stream), or it sets `host` or `calls`. A "collective" op is none of these: it runs
    natively where its kernel exists.
    view: its result may share input 0's memory (a reshape, a transpose, an identity), so a
    backend must not treat the result as a buffer of its own. A backend may know better of
    its own kernel (CUDA's transpose copies: runtime/cuda/table.Kernel.view), never worse.
    float_kernels_only: the native kernels handle floating results only; other dtypes run
    on the numpy reference (the reductions, which accumulate floats).

    What the compiler reads:

    dims: for an op whose output shape only moves its inputs' dimensions around (a
    reduction, a transpose, a matmul's rows and columns, "the shape of input k"), that rule
    as dims(input_dims, attrs) -> output dims, or None where it cannot say (a rank it does
    not handle). Symbolic shapes (passes/symbolic.py) run it on symbols, so it picks and
    never computes or compares. Elementwise ops need none: broadcasting is their rule.
    shape_only: the inputs whose shape and dtype alone the op reads, never their values
    (the model of a broadcast_like, what a fill_like fills the shape of): a rewrite may
    give it another tensor of that type and provably that shape.
    commutative: a binary op whose operands may be swapped (add, maximum, equal...): the
    rewrites match and order its operands either way.
    check: the op stops the run on values it refuses (check_numerics): a rewrite that
    stops reading its result still runs it (passes/rewrite.owed).

    What every backend generates from:

    scalar: an elementwise op's value on one element, as a template in the language of
    ops/elementwise.py (its operands, literals of its dtype, IEEE functions). The numba
    loops, the CUDA kernels and fused expressions are generated from it, and it gives the
    numpy reference's bits: NaN, signed zeros and infinities included.
    """

    name: str
    infer: InferRule
    reference: Callable[..., Any] | None
    grad: GradRule | None = None
    effect: str | None = None
    elementwise: bool = False
    fused_from: tuple[str, ...] = ()  # for ops made by fusion passes: the ops they replace
    source: bool = False
    host: bool = False
    calls: bool = False
    view: bool = False
    float_kernels_only: bool = False
    dims: DimsRule | None = None
    shape_only: tuple[int, ...] = ()
    commutative: bool = False
    check: bool = False
    scalar: str | None = None

    @property
    def runs_on_host(self) -> bool:
        """Whether the compiled backends always run it in host code (the rule above)."""
        return self.source or self.host or self.calls or self.effect in HOST_EFFECTS


# effects whose ops the compiled backends always run on the host
HOST_EFFECTS = frozenset({"feed", "read", "write", "random"})


OPS: dict[str, OpDef] = {}
KERNELS: dict[str, dict[str, Any]] = {}  # backend -> op -> that backend's kernel object


def register(opdef: OpDef) -> OpDef:
    """Add an op to the registry; an op name is defined exactly once."""
    if opdef.name in OPS:
        raise ValueError(f"op '{opdef.name}' is already registered")
    if opdef.scalar is not None and not opdef.elementwise:
        raise ValueError(f"op '{opdef.name}' has a scalar template but is not elementwise")
    OPS[opdef.name] = opdef
    return opdef


def register_kernel(backend: str, op: str, kernel: Any) -> None:
    """Record a backend's kernel for an op ("numba": an emitter, runtime/cpu/emit.py;
    "cuda": a launcher, runtime/cuda/table.py)."""
    if op not in OPS:
        raise KeyError(f"cannot register a {backend} kernel for unknown op '{op}'")
    kernels_of(backend)[op] = kernel


def kernels_of(backend: str) -> dict[str, Any]:
    """The backend's kernels by op: the one table saying which ops it runs natively."""
    return KERNELS.setdefault(backend, {})


class OpNames(Set[str]):
    """The names of the registered ops that pass `test`, read from OPS at each use, so an
    op registered later (graphc.distributed's, say) is counted too."""

    def __init__(self, test: Callable[[OpDef], bool]) -> None:
        self._test = test

    def __contains__(self, name: object) -> bool:
        opdef = OPS.get(name) if isinstance(name, str) else None
        return opdef is not None and self._test(opdef)

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, opdef in OPS.items() if self._test(opdef)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @classmethod
    def _from_iterable(cls, names: Iterable[str]) -> frozenset[str]:  # type: ignore[override]
        return frozenset(names)  # what set operations on it return

    def __repr__(self) -> str:
        return f"OpNames({sorted(self)})"
