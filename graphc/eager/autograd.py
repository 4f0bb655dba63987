"""torch.autograd: Variable (PyTorch 0.3's wrapper, now a tensor), grad(), and the names
PyTorch keeps here too (Function, no_grad, enable_grad, set_grad_enabled)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from graphc.eager.function import Function
from graphc.eager.tape import enable_grad, leaf_gradients, no_grad, run_hooks, set_grad_enabled
from graphc.eager.tensor import Tensor, as_eager
from graphc.runtime.arrays import copy_of, full_like

__all__ = ["Function", "Variable", "enable_grad", "grad", "no_grad", "set_grad_enabled"]


class _VariableMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)  # every tensor is a Variable, as in PyTorch


class Variable(metaclass=_VariableMeta):
    """PyTorch 0.3's Variable, as PyTorch keeps it: Variable(tensor) is a tensor sharing
    `tensor`'s memory, detached from its history, a leaf that requires grad when asked
    (`Variable(x, requires_grad=True)`); `isinstance(t, Variable)` holds for every tensor.
    `volatile` is gone (a warning; use `with no_grad():`)."""

    def __new__(cls, data: Any = None, requires_grad: bool = False,  # type: ignore[misc]
                volatile: bool = False) -> Tensor:
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            data = Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


def _tensors(value: Any, what: str) -> list[Tensor]:
    items = [value] if isinstance(value, Tensor) else list(value)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): {what} must be tensors, got {type(t).__name__}")
    return items


def _seeds(outputs: list[Tensor], grad_outputs: Any) -> list[Tensor]:
    """d output / d output for each output: the given grad_outputs (each in its output's
    shape), or 1 for an output of one element where none is given."""
    given: Sequence[Any]
    if grad_outputs is None:
        given = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        given = [grad_outputs]
    else:
        given = list(grad_outputs)
    if len(given) != len(outputs):
        raise RuntimeError(f"grad(): grad_outputs has {len(given)} entries but there are "
                           f"{len(outputs)} outputs")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs "
                                   f"(output {i} has shape {tuple(out.shape)}; pass "
                                   "grad_outputs)")
            seeds.append(Tensor(full_like(out.array, 1)))
            continue
        seed = as_eager(g, out.dtype, "grad").to(out.device)
        if tuple(seed.shape) != tuple(out.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{tuple(seed.shape)} and output[{i}] has a shape of "
                               f"{tuple(out.shape)}.")
        seeds.append(seed)
    return seeds


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: Any = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of the outputs (summed, each weighted by its grad_outputs entry) with
    respect to each input, as a tuple, leaving every .grad alone. `inputs` must be leaf
    tensors that require grad: graphc's tape delivers gradients to leaves only, so a
    non-leaf input is a NotImplementedError, as in backward(inputs=...). An input the
    outputs do not depend on is an error, or None with allow_unused=True. The tape is
    kept whatever retain_graph says (see Tensor.backward); create_graph=True is not
    supported (a NotImplementedError)."""
    if create_graph:
        raise NotImplementedError(
            "grad(create_graph=True) is not supported: graphc does not record the backward "
            "pass, so higher-order gradients are not available in eager mode (gc.gradients "
            "in a graph can differentiate a gradient)")
    outs, ins = _tensors(outputs, "outputs"), _tensors(inputs, "inputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               "require grad")
        if not t.is_leaf:
            raise NotImplementedError(f"grad(): input {i} is not a leaf tensor; graphc "
                                      "delivers gradients to leaf tensors only (those made "
                                      "by the user, not computed by recorded ops)")
    for i, out in enumerate(outs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
    found: dict[int, Any] = {}
    wanted = {id(t) for t in ins}
    for out, seed in zip(outs, _seeds(outs, grad_outputs)):
        for leaf, g in leaf_gradients(out, seed, wanted=set()):  # (leaf hooks: below)
            if id(leaf) in wanted:
                with no_grad():
                    found[id(leaf)] = g if id(leaf) not in found else found[id(leaf)] + g
    with no_grad():  # an input's hooks see its whole gradient, once
        for t in ins:
            if id(t) in found and t._hooks:
                found[id(t)] = run_hooks(t._hooks, found[id(t)])
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        if id(t) not in found:
            if not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears "
                                   "to not have been used in the graph. Set allow_unused=True "
                                   "if this is the desired behavior.")
            result.append(None)
        else:
            result.append(Tensor(copy_of(found[id(t)].array)))
    return tuple(result)
