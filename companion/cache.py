"""Decode once, reload fast: clips cached as uint8 ``.npy`` files under ``cache_dir()/"frames"``.

One ``.npy`` per clip and target size, with a small JSON sidecar holding the source key (file
names, sizes and modification times of the frames), the repaired frames and the problems found.
A changed source gives a new key and the clip is decoded again. Files are written to a temporary
name and moved into place, so an interrupted run never leaves a half-written cache entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from companion.errors import CompanionError, CorruptDataError
from companion.frames import FrameProblem, decode_clip, read_frame
from companion.layout import MASK_NAME, Clip, file_number, numbered_files
from companion.paths import cache_dir, write_atomic

CACHE_VERSION = 1


@dataclass(frozen=True, eq=False)
class LoadedClip:
    """A decoded clip: ``frames`` uint8 (T, H, W), ``labels`` bool (T,) or None, ``repaired``
    bool (T,) marking frames replaced by a neighbour, and the problems found while decoding.

    Introduced in notebook 01.
    """

    name: str
    frames: np.ndarray
    labels: np.ndarray | None
    repaired: np.ndarray
    problems: tuple[FrameProblem, ...] = ()


def _source_key(clip: Clip) -> str:
    stats = [(p.name, st.st_size, st.st_mtime_ns) for p in clip.frames for st in [p.stat()]]
    text = json.dumps([CACHE_VERSION, str(clip.path.resolve()), stats])
    return hashlib.sha256(text.encode()).hexdigest()


def _entry(clip: Clip, size: tuple[int, int] | None) -> Path:
    """Cache path (without suffix) of ``clip`` at ``size``; one per clip folder and size."""
    where = hashlib.sha256(str(clip.path.resolve()).encode()).hexdigest()[:12]
    tag = "native" if size is None else f"{size[0]}x{size[1]}"
    return cache_dir() / "frames" / f"{clip.path.parent.parent.name}-{clip.name}-{tag}-{where}"


def _store(entry: Path, key: str, loaded: LoadedClip) -> None:
    meta = {
        "key": key,
        "shape": list(loaded.frames.shape),
        "repaired": np.flatnonzero(loaded.repaired).tolist(),
        "problems": [dataclasses.asdict(p) for p in loaded.problems],
    }
    write_atomic(entry.with_suffix(".npy"), lambda f: np.save(f, loaded.frames, allow_pickle=False))
    write_atomic(entry.with_suffix(".json"), lambda f: f.write(json.dumps(meta).encode()))


def _fetch(entry: Path, key: str, clip: Clip) -> LoadedClip | None:
    """The cached clip when its key matches, else None (missing, stale or damaged entries)."""
    try:
        meta = json.loads(entry.with_suffix(".json").read_text())
        if meta["key"] != key:
            return None
        frames = np.load(entry.with_suffix(".npy"), allow_pickle=False)
        if frames.dtype != np.uint8 or list(frames.shape) != meta["shape"]:
            return None
        repaired = np.zeros(len(frames), dtype=bool)
        repaired[meta["repaired"]] = True
        problems = tuple(FrameProblem(**p) for p in meta["problems"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return LoadedClip(clip.name, frames, clip.labels, repaired, problems)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in size):
        raise CompanionError(f"size must be (height, width) in pixels, e.g. (64, 96); got {size!r}")
    return int(size[0]), int(size[1])


def load_clip(clip: Clip, size: tuple[int, int] | None = None) -> LoadedClip:
    """Frames of ``clip`` as uint8 (T, H, W), resized to ``size`` (H, W) with area interpolation.

    The first call decodes and checks every frame (corrupt ones are repaired, see
    ``LoadedClip.repaired``) and caches the result; later calls read the cache. Introduced in
    notebook 01.
    """
    key = _source_key(clip)
    size = None if size is None else _check_size(size)
    entry = _entry(clip, size)
    cached = _fetch(entry, key, clip)
    if cached is not None:
        return cached
    if size is None:
        decoded = decode_clip(clip)
        loaded = LoadedClip(clip.name, decoded.frames, clip.labels, decoded.repaired, decoded.problems)
    else:
        native = load_clip(clip)
        if native.frames.shape[1:] == size:
            return native
        height, width = size
        frames = np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in native.frames])
        loaded = dataclasses.replace(native, frames=frames)
    _store(entry, key, loaded)
    return loaded


def load_masks(clip: Clip, size: tuple[int, int] | None = None) -> np.ndarray | None:
    """Pixel masks of ``clip`` as bool (T, H, W), one per frame, or None when it has none.

    Masks (0/255 BMP) are resized with area interpolation and thresholded at one half.
    Introduced in notebook 05.
    """
    if clip.mask_dir is None:
        return None
    by_number = {file_number(p.name): p for p in numbered_files(clip.mask_dir, MASK_NAME)[0]}
    numbers = clip.frame_numbers.tolist()
    missing = [n for n in numbers if n not in by_number]
    if missing:
        raise CorruptDataError(
            f"{clip.mask_dir} lacks masks for {len(missing)} frame(s) of {clip.name} (first: {missing[0]}); re-extract it"
        )
    masks = []
    for n in numbers:
        mask = read_frame(by_number[n]).astype(np.float32) / 255.0
        if size is not None:
            height, width = _check_size(size)
            mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)
        masks.append(mask >= 0.5)
    if len({m.shape for m in masks}) > 1:
        raise CorruptDataError(f"the masks in {clip.mask_dir} do not all have the same size")
    return np.stack(masks)
