"""The autograd tape: a Record per op run on tensors that require grad, and backward().

Each Record keeps detached aliases of the values its gradient rule may read, with the version
each had; an in-place change to one of them before backward() is reported, naming the op.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from graphc.graph import toposort
from graphc.registry import GradOp
from graphc.site import Site, user_site

if TYPE_CHECKING:
    from graphc.eager.tensor import Tensor

_mode = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad are being recorded (per thread)."""
    return getattr(_mode, "enabled", True)


@contextlib.contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = is_grad_enabled()
    _mode.enabled = enabled
    try:
        yield
    finally:
        _mode.enabled = previous


class no_grad(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ops inside are not recorded for backward()."""

    def __enter__(self) -> None:
        self._inner = _grad_mode(False)
        self._inner.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    def _recreate_cm(self) -> no_grad:  # a fresh instance per decorated call (recursion-safe)
        return no_grad()


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Turn recording on or off: at once when called (`ge.set_grad_enabled(False)`), and
    back to how it was at the end of a `with` block or decorated call."""

    def __init__(self, mode: bool) -> None:
        self._previous = is_grad_enabled()
        self._mode = bool(mode)
        _mode.enabled = self._mode

    def __enter__(self) -> None:
        _mode.enabled = self._mode

    def __exit__(self, *exc: Any) -> None:
        _mode.enabled = self._previous


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager that turns recording back on inside a no_grad block."""
    return _grad_mode(True)


class Record:
    """One recorded op: how to turn its output gradient into its inputs' gradients."""

    __slots__ = ("name", "rule", "values", "edges", "attrs", "output", "saved", "site")

    def __init__(self, name: str, rule: Callable[..., Sequence[Any]], inputs: Sequence[Any],
                 attrs: Any, output: Tensor, saved: Sequence[Tensor] | None = None) -> None:
        self.name, self.rule, self.attrs = name, rule, attrs
        self.values = tuple([t.alias() if _is_tensor(t) else t for t in inputs])
        self.edges = tuple([_edge(t) for t in inputs])
        self.output = output.alias()
        if saved is None:
            saved = [v for v in self.values if _is_tensor(v)] + [self.output]
        self.saved = [(t, t._version[0]) for t in saved]
        self.site: Site = user_site()

    def input_grads(self, g: Tensor) -> Sequence[Any]:
        for i, (t, version) in enumerate(self.saved):
            if t._version[0] != version:
                raise RuntimeError(
                    f"a tensor needed to compute the gradient of {self.name} (created at "
                    f"{self.site}) was modified by an in-place operation: value {i}, shape "
                    f"{t.shape}, is at version {t._version[0]}; expected version {version}. "
                    "Modify a clone() instead, or do the update before the op.")
        wants = tuple(e is not None and v.dtype.is_floating
                      for e, v in zip(self.edges, self.values))
        return self.rule(GradOp(self.values, (self.output,), self.attrs, wants), g)

    def __repr__(self) -> str:
        from graphc.eager.printing import backward_name  # (PyTorch's names: <MulBackward0>)

        return f"<{backward_name(self)}>"


def _is_tensor(value: Any) -> bool:
    return getattr(value, "_version", None) is not None


def _edge(t: Any) -> Record | Tensor | None:
    """Where an input's gradient goes: its producer's Record, or the leaf itself."""
    if not _is_tensor(t) or not t.requires_grad:
        return None
    return t.grad_fn if t.grad_fn is not None else t


def leaf_gradients(root: Tensor, seed: Tensor) -> list[tuple[Tensor, Tensor]]:
    """d(root)/d(leaf) for every leaf root was computed from, starting from `seed` (d root /
    d root, root's shape), walking the tape in reverse: (leaf, gradient) pairs, the
    gradients not yet copied. The tape is kept (nothing is freed), so backward() may run
    through the same records again."""
    leaves: dict[int, tuple[Tensor, Tensor]] = {}
    with no_grad():
        if root.grad_fn is None:
            leaves[id(root)] = (root, seed)
        else:
            _walk(root.grad_fn, seed, leaves)
    return list(leaves.values())


def _walk(start: Record, seed: Tensor, leaves: dict[int, tuple[Tensor, Tensor]]) -> None:
    order = toposort([start], lambda r: [e for e in r.edges if isinstance(e, Record)])
    pending: dict[Record, Tensor] = {start: seed}
    for record in reversed(order):
        g = pending.pop(record, None)
        if g is None:
            continue
        grads = record.input_grads(g)
        if len(grads) != len(record.edges):
            raise RuntimeError(f"the backward of {record.name} returned {len(grads)} "
                               f"gradients for {len(record.edges)} inputs")
        for edge, value, gi in zip(record.edges, record.values, grads):
            if edge is None or gi is None:
                continue
            if tuple(gi.shape) != tuple(value.shape):
                raise RuntimeError(f"the backward of {record.name} returned a gradient of "
                                   f"shape {gi.shape} for an input of shape {value.shape}")
            if isinstance(edge, Record):
                pending[edge] = pending[edge] + gi if edge in pending else gi
            else:
                held = leaves.get(id(edge))
                leaves[id(edge)] = (edge, gi if held is None else held[1] + gi)
