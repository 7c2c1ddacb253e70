"""Per-location error normalisation and region scoring: where a frame is abnormal, not how busy it is.

Introduced in notebook 06.

A plain reconstruction model scores a frame by its mean squared error, so the more people in a
frame, the larger its score, normal or not: on real UCSD Ped1 footage that loses to plain
frame-difference motion energy. Two fixes that need no retraining:

1. *per-location normalisation*: divide each pixel's error by the typical error at that pixel on
   normal training frames (:func:`pixel_statistics`, :func:`normalize_maps`), so busy walkways and
   the far field weigh alike;
2. *region scoring*: score a frame by its most abnormal region, the maximum over patches of the
   mean (normalised) error (:func:`patch_max`), rather than by the frame mean.

:func:`companion.evaluation.score_checkpoint_regions` is what ``companion evaluate --region N``
runs. The training statistics (the mean error map) come from the training frames the checkpoint
records, never from the evaluated clips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from companion.errors import CompanionError

__all__ = [
    "PIXEL_NORMS",
    "PixelStats",
    "RegionSettings",
    "describe_regions",
    "normalize_maps",
    "patch_max",
    "pixel_statistics",
    "region_scores",
]

PixelNorm = Literal["ratio", "z", "none"]
PIXEL_NORMS: tuple[str, ...] = ("ratio", "z", "none")


@dataclass(frozen=True)
class PixelStats:
    """Mean and standard deviation of the error per pixel (H, W) over the normal training frames,
    and how many frames gave them.
    """

    mean: np.ndarray
    n_frames: int
    std: np.ndarray


@dataclass(frozen=True)
class RegionSettings:
    """How error maps become frame scores. Introduced in notebook 06.

    ``patch``: side of the square patches in pixels of the model's input (0: the whole frame,
    i.e. the frame mean); patches slide by ``patch // 2``. ``percentile``: instead of patches,
    score each frame by this percentile of its pixels (99: the 1% most abnormal pixels decide;
    needs ``patch=0``). ``pixel_norm``: ``"ratio"`` divides each pixel's error by its training
    mean (floored at ``floor`` times the mean of the whole mean map, so that pixels that never
    change do not divide by ~0); ``"z"`` is the one-sided z-score ``max(0, (e - mean) / std)``
    against the same training frames (std floored the same way); ``"none"`` keeps raw errors.
    """

    patch: int = 16
    pixel_norm: PixelNorm = "ratio"
    floor: float = 0.1
    percentile: float = 0.0

    def __post_init__(self) -> None:
        if self.patch < 0:
            raise CompanionError(f"the region patch must be >= 0 pixels (0 = whole frame), got {self.patch}")
        if not 0 <= self.percentile <= 100:
            raise CompanionError(f"the pixel percentile must be in [0, 100] (0 = off), got {self.percentile}")
        if self.percentile and self.patch:
            raise CompanionError(
                f"choose patches (patch={self.patch}) or a pixel percentile (percentile={self.percentile:g}), not both"
            )
        if self.pixel_norm not in PIXEL_NORMS:
            raise CompanionError(f"unknown per-pixel normalisation {self.pixel_norm!r}; choose one of {', '.join(PIXEL_NORMS)}")
        if not self.floor > 0:
            raise CompanionError(f"the normalisation floor must be > 0, got {self.floor}")


def pixel_statistics(maps: Iterable[np.ndarray]) -> PixelStats:
    """Per-pixel mean and std over all frames of the items, each (T, H, W): error maps of normal
    training frames here, the frames themselves for :func:`companion.baselines.fit_background`.

    Introduced in notebook 06.
    """
    total: np.ndarray | None = None
    squares: np.ndarray | None = None
    n = 0
    for m in maps:
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 3:
            raise CompanionError(f"expected maps (T, H, W), got shape {m.shape}")
        if total is None:
            total, squares = np.zeros(m.shape[1:]), np.zeros(m.shape[1:])
        elif m.shape[1:] != total.shape:
            raise CompanionError(f"maps of different sizes {m.shape[1:]} and {total.shape}: load or score them at one size")
        total += m.sum(axis=0)
        squares += (m**2).sum(axis=0)
        n += len(m)
    if total is None or squares is None or n < 1:
        raise CompanionError("per-pixel statistics need at least one normal training frame")
    mean = total / n
    std = np.sqrt(np.maximum(squares / n - mean**2, 0.0))
    return PixelStats(mean=mean.astype(np.float32), n_frames=n, std=std.astype(np.float32))


def _floored(values: np.ndarray, floor: float) -> np.ndarray:
    level = float(values.mean())
    return np.maximum(values, floor * level if level > 0 else np.finfo(np.float32).tiny)


def normalize_maps(maps: np.ndarray, stats: PixelStats, floor: float = 0.1, how: PixelNorm = "ratio") -> np.ndarray:
    """Error maps (T, H, W) measured against the typical training error at each pixel.

    ``how="ratio"``: divided by ``max(stats.mean, floor * stats.mean.mean())``; 1 means "as wrong
    as usual here". ``how="z"``: ``max(0, (maps - stats.mean) / max(stats.std, floor * stats.std.mean()))``,
    how many of this pixel's usual deviations the error lies above its usual level (a pixel less
    wrong than usual is not abnormal: 0). Introduced in notebook 06.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.shape[-2:] != stats.mean.shape:
        raise CompanionError(f"error maps of size {maps.shape[-2:]} but the statistics are {stats.mean.shape}")
    if how == "z":
        return np.maximum((maps - stats.mean) / _floored(stats.std, floor), 0.0)
    if how != "ratio":
        raise CompanionError(f"unknown per-pixel normalisation {how!r}; choose ratio or z")
    return maps / _floored(stats.mean, floor)


def patch_max(maps: np.ndarray, patch: int, stride: int | None = None) -> np.ndarray:
    """Per frame, the largest mean over square ``patch`` x ``patch`` regions of ``maps`` (T, H, W).

    Patches slide by ``stride`` (default ``patch // 2``, at least 1) and are clipped to the frame
    (a patch larger than the frame is the whole frame). ``patch=0`` gives the frame mean.
    Computed with an integral image: exact, and fast enough for every frame.
    """
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim != 3:
        raise CompanionError(f"expected maps (T, H, W), got shape {m.shape}")
    if patch <= 0:
        return m.mean(axis=(1, 2))
    T, H, W = m.shape
    ph, pw = min(patch, H), min(patch, W)
    step = max(1, stride if stride is not None else patch // 2)
    ii = np.zeros((T, H + 1, W + 1))
    ii[:, 1:, 1:] = m.cumsum(axis=1).cumsum(axis=2)
    ys = np.unique(np.r_[np.arange(0, H - ph + 1, step), H - ph])
    xs = np.unique(np.r_[np.arange(0, W - pw + 1, step), W - pw])
    y0, x0 = ys[:, None], xs[None, :]
    sums = ii[:, y0 + ph, x0 + pw] - ii[:, y0, x0 + pw] - ii[:, y0 + ph, x0] + ii[:, y0, x0]
    return sums.reshape(T, -1).max(axis=1) / (ph * pw)


def region_scores(maps: np.ndarray, stats: PixelStats | None, settings: RegionSettings) -> np.ndarray:
    """Frame scores (T,) from error maps: per-pixel normalisation (when asked), then :func:`patch_max`
    or, with ``settings.percentile``, that percentile of each frame's pixels.
    """
    if settings.pixel_norm != "none":
        if stats is None:
            raise CompanionError("per-pixel normalisation needs the training statistics: pass pixel_statistics(...)")
        maps = normalize_maps(maps, stats, settings.floor, settings.pixel_norm)
    if settings.percentile:
        m = np.asarray(maps, dtype=np.float64)
        return np.percentile(m.reshape(len(m), -1), settings.percentile, axis=1)
    return patch_max(maps, settings.patch)


def describe_regions(settings: RegionSettings) -> str:
    """The region scoring in words, for protocol strings."""
    if settings.percentile:
        where = f"the {settings.percentile:g}th percentile over the pixels"
    elif settings.patch == 0:
        where = "the frame mean"
    else:
        where = f"the maximum over {settings.patch}x{settings.patch}-pixel patches (stride {max(1, settings.patch // 2)}) of the mean"
    norm = {
        "ratio": f"each pixel's squared error divided by its mean over the normal training frames (floor {settings.floor:g} x the map's mean)",
        "z": f"each pixel's one-sided z-score max(0, (error - mean) / std) against the normal training frames (std floor {settings.floor:g} x the std map's mean)",
        "none": "raw per-pixel squared errors",
    }[settings.pixel_norm]
    return f"region score: {where} of {norm}"
