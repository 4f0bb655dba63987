"""Shared timing: medians of interleaved repetitions, so drift hits every column alike."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_medians(steps: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median milliseconds per call of each step, running the steps in turn `repeats` times.
    Each round starts one step later than the last: the step that runs first after another
    step's working set has left the caches pays for it (~10-20 us at the seed size), and
    rotating spreads that cost over every step alike."""
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            step = steps[name]
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}
