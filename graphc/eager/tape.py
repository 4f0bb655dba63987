"""The autograd tape: a Record per op run on tensors that require grad, and backward().

Each Record keeps detached aliases of the values its gradient rule may read, with the version
each had; an in-place change to one of them before backward() is reported, naming the op.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
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

    __slots__ = ("name", "rule", "values", "edges", "attrs", "output", "saved", "site",
                 "hooks", "retains")

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
        # the output's gradient hooks (Tensor.register_hook on a non-leaf tensor), and the
        # tensor that keeps that gradient as its .grad (Tensor.retain_grad), weakly
        self.hooks: dict[int, Callable[[Any], Any]] | None = None
        self.retains: weakref.ref[Tensor] | None = None

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


class RemovableHandle:
    """What Tensor.register_hook and a module's register_forward_hook return (PyTorch's
    torch.utils.hooks.RemovableHandle): remove() takes the hook off (and its id out of
    `also`, a module's set of hooks called with keyword arguments); used as a context
    manager, the hook is on inside the `with` block only."""

    next_id = 0

    def __init__(self, hooks: dict[int, Any], also: set[int] | None = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks)
        self._also = also
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        """Take the hook off (again: nothing)."""
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)
        if self._also is not None:
            self._also.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _HookDict(dict):  # type: ignore[type-arg]  # (a plain dict cannot be weakly referenced)
    __slots__ = ("__weakref__",)


def add_hook(hooks: dict[int, Any] | None, hook: Callable[[Any], Any]
             ) -> tuple[dict[int, Any], RemovableHandle]:
    """`hooks` (made if None) with `hook` added last, and the handle that removes it."""
    if hooks is None:
        hooks = _HookDict()
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return hooks, handle


def run_hooks(hooks: dict[int, Any] | None, g: Tensor) -> Tensor:
    """Each hook in the order registered on the gradient `g`: one that returns a tensor
    replaces the gradient the next hook (and the rest of backward) sees."""
    if not hooks:
        return g
    for hook in list(hooks.values()):
        result = hook(g)
        if result is None:
            continue
        if not _is_tensor(result):
            raise TypeError(f"expected Tensor or None from the hook {_hook_name(hook)} "
                            f"(got {type(result).__name__})")
        if tuple(result.shape) != tuple(g.shape):
            raise RuntimeError(f"hook {_hook_name(hook)} has changed the size of value: "
                               f"it returned a gradient of shape {tuple(result.shape)} for "
                               f"one of shape {tuple(g.shape)}")
        if result.dtype != g.dtype:
            raise RuntimeError(f"hook {_hook_name(hook)} has changed the type of value: "
                               f"it returned a gradient of dtype {result.dtype.name} for one "
                               f"of dtype {g.dtype.name}")
        g = result
    return g


def _hook_name(hook: Any) -> str:
    return repr(getattr(hook, "__name__", type(hook).__name__))


def leaf_gradients(root: Tensor, seed: Tensor, retain: bool = False,
                   wanted: set[int] | None = None) -> list[tuple[Tensor, Tensor]]:
    """d(root)/d(leaf) for every leaf root was computed from, starting from `seed` (d root /
    d root, root's shape), walking the tape in reverse: (leaf, gradient) pairs, the
    gradients not yet copied. The tape is kept (nothing is freed), so backward() may run
    through the same records again. Each tensor's hooks (register_hook) see its whole
    gradient: a non-leaf's as the walk reaches it, a leaf's (only those whose id is in
    `wanted`, if given) once every contribution is summed. retain=True (backward()) also
    accumulates the gradient of each non-leaf that asked (retain_grad) into its .grad."""
    leaves: dict[int, tuple[Tensor, Tensor]] = {}
    with no_grad():
        if root.grad_fn is None:
            leaves[id(root)] = (root, seed)
        else:
            _walk(root.grad_fn, seed, leaves, retain)
        for key, (leaf, g) in list(leaves.items()):
            hooks = leaf._hooks
            if hooks and (wanted is None or key in wanted):
                leaves[key] = (leaf, run_hooks(hooks, g))
    return list(leaves.values())


def _retain(record: Record, g: Tensor) -> None:
    """Accumulate `g` into the .grad of the tensor that asked record's output to retain it."""
    t = record.retains() if record.retains is not None else None
    if t is None or t.grad_fn is not record:
        return
    if t.grad is None:
        t.grad = g.clone()
    else:
        t.grad = t.grad + g  # type: ignore[operator]  # (eager tensors' operators)


def _walk(start: Record, seed: Tensor, leaves: dict[int, tuple[Tensor, Tensor]],
          retain: bool = False) -> None:
    order = toposort([start], lambda r: [e for e in r.edges if isinstance(e, Record)])
    pending: dict[Record, Tensor] = {start: seed}
    for record in reversed(order):
        g = pending.pop(record, None)
        if g is None:
            continue
        if record.hooks:
            g = run_hooks(record.hooks, g)
        if retain and record.retains is not None:
            _retain(record, g)
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
