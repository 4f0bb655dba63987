"""The schedule check: ranks that built different graphs get an error naming the first
differing tensor, not a hang or a wrong sum.

Every rank must issue the same collectives, in the same order, on buffers of the same size.
When a Program holding a collective is compiled, each rank hashes its schedule (each node's
op, name, dtype and static shape, in order) and the ranks compare the digests (one
allgather of 32 bytes). Only if they differ do they exchange the schedules themselves and
find the first entry that differs. This runs once per compiled Program, never per run.
"""

from __future__ import annotations

import hashlib

from graphc import shapes
from graphc.graph import Node
from graphc.program import Program
from graphc.distributed.comm import rank, size, world


class ScheduleMismatchError(RuntimeError):
    """Ranks compiled different schedules for a run that communicates."""


def describe(node: Node) -> str:
    types = "; ".join(f"{t.dtype.name} {shapes.fmt(t.shape)}" for t in node.types)
    return f"{node.op} '{node.name}' [{types}]"


def schedule_entries(program: Program) -> list[str]:
    return [describe(n) for n in program.schedule] + \
        [f"fetch '{t.name}'" for t in program.fetches]


def check_program(program: Program) -> None:
    """Raise ScheduleMismatchError on every rank if the ranks' schedules differ."""
    if size() == 1:
        return
    entries = schedule_entries(program)
    digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()
    digests = world().allgather(digest)
    if len(set(digests)) == 1:
        return
    everyone = world().allgather(entries)
    first = min(next((i for i, (a, b) in enumerate(zip(mine, everyone[0])) if a != b),
                     min(len(mine), len(everyone[0])))
                for mine in everyone[1:])
    lines = []
    for r, theirs in enumerate(everyone):
        where = theirs[first] if first < len(theirs) else "(the schedule ends here)"
        lines.append(f"  rank {r}: {where}")
    node = program.schedule[first] if first < len(program.schedule) else None
    site = f" (created at {node.site})" if node is not None else ""
    raise ScheduleMismatchError(
        f"rank {rank()}: the ranks built different graphs for this run; they must run the "
        f"same ops on tensors of the same shapes, in the same order, or their collectives "
        f"would hang or sum unrelated values. The first difference is entry {first} of the "
        f"schedule{site}:\n" + "\n".join(lines))
