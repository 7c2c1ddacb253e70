"""Sliding windows over clips and the (B, T, C, H, W) tensors the model eats.

Frames stay ``uint8`` in memory (one byte per pixel); a batch is converted to ``float32`` in
[0, 1] only when it is fed to the model. Introduced in notebook 02.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch

from companion.errors import CompanionError

__all__ = [
    "ClipLike",
    "ClipSlice",
    "WindowDataset",
    "max_inversion",
    "memory_bytes",
    "normal_frames",
    "sliding_windows",
    "to_model_input",
    "window_starts",
]


class ClipLike(Protocol):
    """What the window dataset needs from a clip (``companion.cache.LoadedClip`` has it)."""

    name: str
    frames: np.ndarray  # uint8 (T, H, W)
    labels: np.ndarray | None  # bool (T,), True = abnormal; None when unknown
    repaired: np.ndarray  # bool (T,), True = frame replaced by a neighbour


def _check_window(length: int, stride: int) -> None:
    if int(length) < 1:
        raise CompanionError(f"window length must be at least 1 frame, got {length}")
    if int(stride) < 1:
        raise CompanionError(f"window stride must be at least 1 frame, got {stride}")


def window_starts(n_frames: int, length: int, stride: int = 1) -> np.ndarray:
    """First-frame indices of every full window of ``length`` frames, ``stride`` frames apart.

    ``window_starts(200, 5, 1)`` gives 196 starts (0..195); a clip shorter than ``length``
    gives none. Introduced in notebook 02.
    """
    _check_window(length, stride)
    return np.arange(0, max(int(n_frames) - int(length) + 1, 0), int(stride), dtype=np.int64)


def sliding_windows(frames: np.ndarray, length: int, stride: int = 1) -> np.ndarray:
    """All windows of a clip as a read-only ``(N, length, H, W)`` view: no pixel is copied.

    Window ``i`` is ``frames[i * stride : i * stride + length]``. Built with numpy stride
    tricks, so it costs no memory; write to a copy (``np.array(w)``) if you must modify it.
    Introduced in notebook 02.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise CompanionError(f"sliding_windows expects frames of shape (T, H, W), got {frames.shape}")
    _check_window(length, stride)
    n = len(window_starts(frames.shape[0], length, stride))
    t, h, w = frames.strides
    return np.lib.stride_tricks.as_strided(
        frames, shape=(n, int(length), *frames.shape[1:]), strides=(t * int(stride), t, h, w), writeable=False
    )


def to_model_input(frames: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """Frames ``(T, H, W)`` or a batch ``(B, T, H, W)`` -> float32 tensor ``(B, T, 1, H, W)`` in [0, 1].

    ``uint8`` input is divided by 255 (after moving to ``device``, so only bytes travel);
    floating input is taken to be in [0, 1] already. ``(B, T, 1, H, W)`` passes through.
    Introduced in notebook 02.
    """
    x = torch.from_numpy(np.ascontiguousarray(frames)) if isinstance(frames, np.ndarray) else frames
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim == 4:
        x = x.unsqueeze(2)
    if x.ndim != 5 or x.shape[2] != 1:
        raise CompanionError(
            f"expected frames (T, H, W), a batch (B, T, H, W) or (B, T, 1, H, W); got shape {tuple(x.shape)}"
        )
    if device is not None:
        x = x.to(device, non_blocking=True)
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if x.is_floating_point():
        return x.float()
    raise CompanionError(f"expected uint8 frames (0..255) or floats in [0, 1], got dtype {x.dtype}")


def max_inversion(x: torch.Tensor) -> torch.Tensor:
    """The challenge report's transform ``max(x, 1 - x)`` on inputs in [0, 1] (result in [0.5, 1]).

    Dark and bright pixels end up alike, which reduces sensitivity to lighting flicker.
    Introduced in notebook 02.
    """
    return torch.maximum(x, 1 - x)


def memory_bytes(shape: Sequence[int], dtype: Any = np.uint8) -> int:
    """Bytes an array of ``shape`` and ``dtype`` (numpy or torch, e.g. ``torch.float32``) occupies.

    ``memory_bytes((8, 5, 1, 128, 128), torch.float32)`` is 2,621,440 (2.5 MiB).
    Introduced in notebook 02.
    """
    itemsize = dtype.itemsize if isinstance(dtype, torch.dtype) else np.dtype(dtype).itemsize
    return int(math.prod(int(s) for s in shape)) * int(itemsize)


def normal_frames(clip: ClipLike, by_labels: bool) -> np.ndarray:
    """Bool (T,): the frames of ``clip`` that may train a model or give its training statistics.

    Never a repaired frame; with ``by_labels=True`` (training on the ground-truth-normal frames of
    Test clips) never a frame labelled abnormal either. Introduced in notebook 05.
    """
    keep = ~np.asarray(clip.repaired, dtype=bool)
    if by_labels:
        if clip.labels is None:
            raise CompanionError(f"clip {clip.name} has no frame labels, so its normal frames cannot be chosen by them")
        keep &= ~np.asarray(clip.labels, dtype=bool)
    return keep


class ClipSlice:
    """Frames ``start:stop`` of a clip, still ``ClipLike`` (a view: nothing is copied).

    Used to hold out the tail of a single clip for validation.
    """

    def __init__(self, clip: ClipLike, start: int = 0, stop: int | None = None, name: str | None = None):
        sl = slice(start, stop)
        self.name = name or f"{clip.name}[{start}:{'' if stop is None else stop}]"
        self.frames = clip.frames[sl]
        self.labels = None if clip.labels is None else np.asarray(clip.labels)[sl]
        self.repaired = np.asarray(clip.repaired)[sl]


class WindowDataset(torch.utils.data.Dataset):
    """Windows of ``length`` frames, ``stride`` apart, over several clips; items are uint8 ``(length, H, W)``.

    Windows that touch a repaired frame are always skipped (never train on a guessed frame);
    with ``skip_abnormal=True`` windows that touch a frame labelled abnormal are skipped too
    (how the course trains on the ground-truth-normal frames of test clips). The counts are in
    ``skipped_repaired`` and ``skipped_abnormal``; ``index[i]`` is ``(clip_number, start)``.
    The default collate stacks items into a uint8 ``(B, length, H, W)`` batch: convert it with
    :func:`to_model_input`. Introduced in notebook 02.
    """

    def __init__(self, clips: Sequence[ClipLike], length: int, stride: int = 1, skip_abnormal: bool = False):
        _check_window(length, stride)
        self.clips = list(clips)
        self.length, self.stride, self.skip_abnormal = int(length), int(stride), bool(skip_abnormal)
        self.skipped_repaired = 0
        self.skipped_abnormal = 0
        self._views: list[np.ndarray] = []
        index: list[tuple[int, int]] = []
        for ci, clip in enumerate(self.clips):
            frames = np.asarray(clip.frames)
            if frames.dtype != np.uint8:
                raise CompanionError(f"clip {clip.name}: expected uint8 frames, got {frames.dtype}")
            n = frames.shape[0]
            starts = window_starts(n, self.length, self.stride)
            self._views.append(sliding_windows(frames, self.length, self.stride))
            bad_repaired = _touches(np.asarray(clip.repaired, dtype=bool), starts, self.length)
            if skip_abnormal:
                if clip.labels is None:
                    raise CompanionError(
                        f"clip {clip.name} has no frame labels, so its abnormal frames cannot be skipped; "
                        "use clips with ground truth (Test clips listed in the .m file)"
                    )
                bad_abnormal = _touches(np.asarray(clip.labels, dtype=bool), starts, self.length) & ~bad_repaired
            else:
                bad_abnormal = np.zeros(len(starts), dtype=bool)
            self.skipped_repaired += int(bad_repaired.sum())
            self.skipped_abnormal += int(bad_abnormal.sum())
            keep = ~(bad_repaired | bad_abnormal)
            index += [(ci, int(i)) for i in np.flatnonzero(keep)]
        self._index = index

    @property
    def index(self) -> list[tuple[int, int]]:
        """``(clip_number, first_frame)`` of every kept window, in order."""
        return [(ci, i * self.stride) for ci, i in self._index]

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i: int) -> torch.Tensor:
        ci, wi = self._index[i]
        return torch.from_numpy(np.array(self._views[ci][wi]))  # one small uint8 copy per window

    def __repr__(self) -> str:
        return (
            f"WindowDataset({len(self)} windows of {self.length} frames, stride {self.stride}, "
            f"{len(self.clips)} clips; skipped {self.skipped_repaired} touching repaired frames, "
            f"{self.skipped_abnormal} touching abnormal frames)"
        )


def _touches(flags: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """For each window start, whether any of its ``length`` frames is flagged."""
    if len(starts) == 0:
        return np.zeros(0, dtype=bool)
    csum = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
    return (csum[starts + length] - csum[starts]) > 0
