"""Where the course keeps generated data and caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root folder for generated datasets, decoded-frame caches and downloads.

    ``$COMPANION_CACHE`` when set, else ``~/.cache/companion``. Introduced in notebook 01.
    """
    return Path(os.environ.get("COMPANION_CACHE") or Path.home() / ".cache" / "companion")
