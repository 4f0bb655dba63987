"""Writing files so that readers never see half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomically(target: str | os.PathLike[str], write: Callable[[IO[bytes]], object]
                     ) -> Path:
    """Call write(f) on a temporary file beside `target`, flush it to disk, then rename it
    over `target`: readers see the old file or the new one. On failure nothing is left."""
    target = Path(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
