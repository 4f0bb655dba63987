"""Shared timing: medians of interleaved repetitions, so drift hits every column alike.

Two ways to interleave, and the benchmarks say which they print:

- one call per turn (block=1): every call starts with caches that another step filled.
  Each round starts one step later than the last: the step that runs first after another
  step's working set has left the caches pays for it (~10-20 us at the seed size), and
  rotating spreads that cost over every step alike.
- blocks of consecutive calls (block > 1): the steady state of a training loop, which runs
  one model's steps back to back. The first call of each block pays for the previous
  block's working set and is not counted; the other block - 1 calls are. A program whose
  working set is smaller (fused loops, updates in place, no temporaries) keeps more of it
  in cache from one step to the next, and only this measure shows that.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_medians(steps: dict[str, Callable[[], object]], repeats: int,
                        block: int = 1) -> dict[str, float]:
    """Median milliseconds per call of each step, running the steps in turn `repeats` times,
    `block` calls at a turn (of which the first is not counted when block > 1)."""
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            step = steps[name]
            for call in range(block):
                start = time.perf_counter()
                step()
                elapsed = time.perf_counter() - start
                if call or block == 1:
                    times[name].append(elapsed)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}
