"""Memory planning for native segments: intermediates live in a workspace reused by every
run, so a run in steady state allocates nothing.

At compile time each intermediate a kernel makes (one that does not leave its segment,
and no view of which does) gets a slot, and intermediates whose lifetimes do not overlap
share one: a slot is free again once every reader of the value, and of every view of it,
has run. Sizes are not part of the plan (a batch dimension is known only at run time).

At run time the workspace is one byte array: an int64 header, then the slots.

    header[0]                   grow flag: some slot was too small this run
    header[1]                   k, the number of slots
    header[2 : 2+k]             each slot's offset in bytes
    header[2+k : 2+2k]          each slot's capacity in bytes
    header[2+2k : 2+3k]         the size each slot needed, when it was too small

A kernel asks kernels.scratch for its result's slot; when the slot is too small it
allocates the array itself and records the size. The host then swaps in a larger
workspace (grown), so only the first run at a new size allocates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from graphc.graph import Node, Tensor
from graphc.runtime.liveness import Lifetimes

ALIGNMENT = 64  # bytes: a cache line, and enough for any dtype


def plan_slots(nodes: Sequence[Node], outputs: Sequence[Tensor],
               wants_slot: Callable[[Node], bool],
               shares_input: Callable[[Node], bool]) -> dict[Tensor, int]:
    """The slot of each intermediate of `nodes` (in run order) that can live in the
    workspace. `outputs` leave the segment; wants_slot says whether a node's kernel takes
    its result from the workspace; shares_input whether a node's result may share its first
    input's memory (a view)."""
    life = Lifetimes(nodes, shares_input)
    leaving = set(outputs)
    slots: dict[Tensor, int] = {}
    free: list[int] = []
    dies: dict[int, list[int]] = {}  # node index -> slots free after it runs
    count = 0  # slots numbered so far
    for i, node in enumerate(nodes):
        if wants_slot(node):
            result = node.outputs[0]
            if not life.sharing(result) & leaving:  # no view of it leaves either
                if free:
                    slot = free.pop()
                else:
                    slot, count = count, count + 1
                slots[result] = slot
                dies.setdefault(life.last[result], []).append(slot)
        free += dies.pop(i, [])
    return slots


def _header_bytes(slots: int) -> int:
    return -(-8 * (2 + 3 * slots) // ALIGNMENT) * ALIGNMENT


def _header(space: np.ndarray, slots: int) -> np.ndarray:
    """The workspace's header as int64s (kernels.scratch reads it the same way)."""
    return space[:8 * (2 + 3 * slots)].view(np.int64)


def _aligned_zeros(nbytes: int) -> np.ndarray:
    """`nbytes` zero bytes starting on an ALIGNMENT boundary (a large np.zeros starts 16
    bytes past one: an mmap'd block's header), so that every slot is aligned too."""
    raw = np.zeros(nbytes + ALIGNMENT, np.uint8)
    skip = -raw.ctypes.data % ALIGNMENT
    return raw[skip:skip + nbytes]


def new_workspace(slots: int, capacities: Sequence[int] | None = None) -> np.ndarray:
    """A workspace for `slots` slots of the given capacities in bytes (none: all empty, so
    the first run records what each slot needs)."""
    capacities = [-(-c // ALIGNMENT) * ALIGNMENT for c in capacities or [0] * slots]
    offsets = np.cumsum([_header_bytes(slots), *capacities[:-1]], dtype=np.int64)
    space = _aligned_zeros(_header_bytes(slots) + sum(capacities))
    header = _header(space, slots)
    header[1] = slots
    header[2:2 + slots] = offsets[:slots]
    header[2 + slots:2 + 2 * slots] = capacities
    return space


def grown(space: np.ndarray) -> np.ndarray:
    """`space` if no slot was too small in the last run, else a workspace whose slots are
    as large as that run needed."""
    if not space[0]:
        return space
    slots = int(space[8:16].view(np.int64)[0])
    header = _header(space, slots)
    capacity, needed = header[2 + slots:2 + 2 * slots], header[2 + 2 * slots:]
    return new_workspace(slots, [int(c) for c in np.maximum(capacity, needed)])
