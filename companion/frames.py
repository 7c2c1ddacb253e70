"""Strict frame decoding and the integrity check of a clip.

Frames are decoded with Pillow and a full ``load()``: a truncated or damaged file raises instead
of coming back with garbage rows (OpenCV's behaviour on the official ``Test017/142.tif``).
Frames that cannot be used are repaired by the documented policy: replaced by the nearest valid
frame of the clip (the previous one on a tie) and marked as repaired.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from companion.errors import CorruptDataError
from companion.layout import Clip, number_runs


class CorruptFrameError(CorruptDataError):
    """A frame file that is empty or cannot be decoded; ``reason`` says which."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class FrameProblem:
    """One finding of :func:`check_clip`.

    ``file`` is relative to the dataset folder (``Test/Test017/142.tif``); ``kind`` is
    ``"corrupt"`` (undecodable, empty or wrong size: repaired), ``"duplicate"`` or ``"gap"``
    (reported, left as they are).
    """

    file: str
    reason: str
    repair: str
    kind: str = "corrupt"


@dataclass(frozen=True, eq=False)
class DecodedClip:
    """All frames of a clip after repair: ``frames`` uint8 (T, H, W), ``repaired`` bool (T,)."""

    frames: np.ndarray
    repaired: np.ndarray
    problems: tuple[FrameProblem, ...]


@contextlib.contextmanager
def _libtiff_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while decoding: libtiff prints errors there, bypassing Python.

    Whether it prints depends on which library last set libtiff's error handler (OpenCV sets its
    own), so its words are not kept: the exception says what failed, and a notebook's output
    does not change with whether a clip was already cached.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def read_frame(path: Path) -> np.ndarray:
    """Decode one frame strictly to uint8 (H, W) greyscale; raises :class:`CorruptFrameError`.

    Introduced in notebook 01.
    """
    try:
        size = path.stat().st_size
    except OSError as err:
        raise CorruptFrameError(path, f"cannot be read ({type(err).__name__}: {err.strerror})") from None
    if size == 0:
        raise CorruptFrameError(path, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings(), _libtiff_silenced():
            warnings.simplefilter("ignore")  # Pillow's warnings on damaged tags: the decode decides
            with Image.open(path) as image:
                image.load()  # decodes every strip: truncated data raises here
                return np.array(image if image.mode == "L" else image.convert("L"), dtype=np.uint8)
    except Exception as err:  # any decoder failure means the file is unusable
        raise CorruptFrameError(path, f"cannot be decoded ({type(err).__name__}: {err})") from None


def _nearest(valid: list[int], numbers: np.ndarray, i: int) -> int:
    """Position of the valid frame closest in frame number to position ``i`` (previous on a tie)."""
    k = bisect.bisect_left(valid, i)
    candidates = valid[max(k - 1, 0) : k + 1]
    return min(candidates, key=lambda j: (abs(int(numbers[j]) - int(numbers[i])), j))


def _gaps(clip: Clip, numbers: np.ndarray, folder: str, suffix: str) -> list[FrameProblem]:
    missing = sorted(set(range(1, int(numbers.max()) + 1)) - set(numbers.tolist()))
    width = len(clip.frames[0].stem)
    return [
        FrameProblem(
            f"{folder}/{a:0{width}d}{suffix}",
            f"frame(s) {a}-{b} missing (gap in the numbering)" if b > a else f"frame {a} missing",
            "none: the clip is shorter; labels follow the frame numbers",
            "gap",
        )
        for a, b in number_runs(missing)
    ]


def decode_clip(clip: Clip, expected_size: tuple[int, int] | None = None) -> DecodedClip:
    """Decode every frame of ``clip``, check it and apply the repair policy.

    ``expected_size`` (H, W) defaults to the most common size in the clip. Raises
    :class:`CorruptDataError` when the clip has no usable frame.
    """
    folder = f"{clip.split}/{clip.name}"
    if not clip.frames:
        raise CorruptDataError(f"{folder} has no frames; re-extract the clip from the archive")
    decoded: list[np.ndarray | None] = []
    reasons: dict[int, str] = {}
    for i, path in enumerate(clip.frames):
        try:
            decoded.append(read_frame(path))
        except CorruptFrameError as err:
            decoded.append(None)
            reasons[i] = err.reason
    sizes = Counter(a.shape for a in decoded if a is not None)
    if not sizes:
        raise CorruptDataError(f"{folder}: none of its {len(clip.frames)} frames can be decoded; re-extract the clip")
    size = tuple(expected_size) if expected_size is not None else sizes.most_common(1)[0][0]
    for i, a in enumerate(decoded):
        if a is not None and a.shape != size:
            reasons[i] = f"wrong size {a.shape[0]}x{a.shape[1]} (expected {size[0]}x{size[1]})"
    valid = [i for i in range(len(decoded)) if i not in reasons]
    if not valid:
        raise CorruptDataError(f"{folder}: no frame of the expected size {size[0]}x{size[1]}")
    numbers = clip.frame_numbers
    problems: list[FrameProblem] = []
    frames: list[np.ndarray] = []
    for i, frame in enumerate(decoded):
        if i in reasons:
            j = _nearest(valid, numbers, i)
            repair = f"replaced by {clip.frames[j].name} (nearest valid frame)"
            problems.append(FrameProblem(f"{folder}/{clip.frames[i].name}", reasons[i], repair))
            frame = decoded[j]
        frames.append(frame)  # type: ignore[arg-type]  # None only at positions in reasons
    seen: dict[bytes, int] = {}
    for i in valid:
        digest = hashlib.blake2b(frames[i].tobytes(), digest_size=16).digest()
        if digest in seen:
            first = clip.frames[seen[digest]].name
            problems.append(
                FrameProblem(f"{folder}/{clip.frames[i].name}", f"exact duplicate of {first}", "none: kept", "duplicate")
            )
        else:
            seen[digest] = i
    problems += _gaps(clip, numbers, folder, clip.frames[0].suffix)
    repaired = np.zeros(len(frames), dtype=bool)
    repaired[list(reasons)] = True
    return DecodedClip(np.stack(frames), repaired, tuple(problems))


def check_clip(clip: Clip, expected_size: tuple[int, int] | None = None) -> list[FrameProblem]:
    """Integrity check of one clip: undecodable, empty or wrong-size frames (with their repair),
    exact duplicates and gaps in the frame numbers. Introduced in notebook 01.
    """
    return list(decode_clip(clip, expected_size).problems)
