"""Where the course keeps generated data and caches, and how a file is written so that it is
never half written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def cache_dir() -> Path:
    """Root folder for generated datasets, decoded-frame caches and downloads.

    ``$COMPANION_CACHE`` when set, else ``~/.cache/companion``. Introduced in notebook 01.
    """
    return Path(os.environ.get("COMPANION_CACHE") or Path.home() / ".cache" / "companion")


def write_atomic(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file beside it, flushed to disk, then
    ``os.replace``: an interruption leaves the old file or the new one, never half of one, and no
    temporary file. The cache, checkpoints and run histories are written this way."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
