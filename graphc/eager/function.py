"""Custom autograd functions: subclass Function with static forward and backward."""

from __future__ import annotations

from typing import Any

from graphc.eager.tape import Record, is_grad_enabled, no_grad
from graphc.eager.tensor import Tensor
from graphc.runtime.arrays import copy_of


class FunctionCtx:
    """What forward() leaves for backward(): saved tensors and which inputs need gradients."""

    def __init__(self, name: str, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._name = name
        self._saved: list[tuple[Tensor, int]] = []

    def save_for_backward(self, *tensors: Tensor) -> None:
        self._saved = [(t.alias(), t._version[0]) for t in tensors]

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        for i, (t, version) in enumerate(self._saved):
            if t._version[0] != version:
                raise RuntimeError(f"saved tensor {i} of {self._name} was modified by an "
                                   f"in-place operation after it was saved (version "
                                   f"{t._version[0]}, expected {version})")
        return tuple(t for t, _ in self._saved)


class Function:
    """Base class of custom differentiable operations, used through `apply`."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run forward on `args` (untracked) and record backward for the result."""
        needs = tuple(isinstance(a, Tensor) and a.requires_grad and a.dtype.is_floating
                      for a in args)
        ctx = FunctionCtx(cls.__name__, needs)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a tensor, got "
                            f"{type(out).__name__}")
        if not (is_grad_enabled() and any(needs)):
            return out
        result = Tensor(copy_of(out.array) if any(out.array is getattr(a, "array", None)
                                               for a in args) else out.array, requires_grad=True)

        def rule(op: Any, g: Tensor) -> tuple[Any, ...]:
            grads = cls.backward(ctx, g)
            return grads if isinstance(grads, tuple) else (grads,)

        result.grad_fn = Record(cls.__name__, rule, args, {}, result, saved=())
        return result
