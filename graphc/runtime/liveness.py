"""Buffer lifetimes: the one liveness analysis behind both backends' memory plans (the CPU
workspace slots in cpu/memory.py, the CUDA buffer pool's frees in cuda/backend.py).

A node either makes a new buffer for its result or, when it shares its first input's memory
(a view such as a reshape; on CUDA an assignment passing its value on), makes a tensor that
lives in its input's buffer. A tensor's memory may be reused only after the last reader of
the tensor and of every tensor that shares its memory through it has run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from graphc.graph import Node, Tensor


class Lifetimes:
    """For nodes in run order: which tensor each shared tensor views, and when each tensor
    (with everything that views it) is last read."""

    def __init__(self, nodes: Sequence[Node], shares_input: Callable[[Node], bool]) -> None:
        self.viewed: dict[Tensor, Tensor] = {}  # a tensor sharing memory -> its input
        self.last: dict[Tensor, int] = {}  # tensor -> index of its or a view's last reader
        self._views: dict[Tensor, list[Tensor]] = {}
        for i, node in enumerate(nodes):
            for t in node.inputs:  # a read keeps t and everything t views alive
                while True:
                    self.last[t] = i
                    if t not in self.viewed:
                        break
                    t = self.viewed[t]
            shares = shares_input(node)
            for t in node.outputs:
                self.last.setdefault(t, i)
                if shares:
                    self.viewed[t] = node.inputs[0]
                    self._views.setdefault(node.inputs[0], []).append(t)

    def root(self, t: Tensor) -> Tensor:
        """The tensor whose node made the buffer `t` lives in."""
        while t in self.viewed:
            t = self.viewed[t]
        return t

    def sharing(self, t: Tensor) -> set[Tensor]:
        """t and every tensor made from it that may share its memory."""
        found, stack = {t}, [t]
        while stack:
            for view in self._views.get(stack.pop(), []):
                if view not in found:
                    found.add(view)
                    stack.append(view)
        return found

    def roots(self, tensors: Iterable[Tensor]) -> set[Tensor]:
        return {self.root(t) for t in tensors}
