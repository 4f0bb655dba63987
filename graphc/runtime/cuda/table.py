"""The CUDA kernel of each op, and the one way both modes launch it.

A launcher gets a `Call`: the op's device-array inputs, its attrs, its output types with
concrete shapes, and an allocator. It launches its kernels on the default stream and returns
the output arrays without waiting for them: kernels on one stream run in order, so the next
launch may read them, and a buffer may be reused as soon as its last reader is launched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphc.graph import TensorType
from graphc.registry import OPS, register_kernel
from graphc.runtime.cuda import device

Allocate = Callable[[tuple[int, ...], Any], Any]


@dataclass
class Call:
    """One launch of an op's kernel."""

    args: Sequence[Any]
    attrs: Mapping[str, Any]
    outs: Sequence[TensorType]
    alloc: Allocate = device.empty
    random_states: dict[Any, Any] = field(default_factory=dict)  # per random node
    key: Any = None  # the node, for ops with per-node state

    def out(self, i: int = 0) -> Any:
        """A fresh buffer for output i."""
        t = self.outs[i]
        return self.alloc(t.shape, t.dtype.np)  # type: ignore[arg-type]


Launcher = Callable[[Call], list[Any]]


@dataclass(frozen=True)
class Kernel:
    """An op's launcher; `view` when its output shares its first input's memory."""

    launch: Launcher
    view: bool = False


def kernel(*ops: str, view: bool = False) -> Callable[[Launcher], Launcher]:
    """Register a launcher as the CUDA kernel of `ops`; `view` when it returns a view of its
    first input, which only an op that may share memory can (OpDef.view)."""
    def register(launch: Launcher) -> Launcher:
        for op in ops:
            if view and not OPS[op].view:
                raise ValueError(f"op '{op}' never shares memory (OpDef.view), but its CUDA "
                                 f"kernel would return a view")
            register_kernel("cuda", op, Kernel(launch, view))
        return launch
    return register
