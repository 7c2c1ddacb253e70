"""Baselines scored on exactly the same frames as the model: one score per frame, higher = more anomalous.

:func:`companion.evaluation.score_baseline` is what ``companion baseline`` runs. Introduced in notebook 05.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from companion.errors import CompanionError
from companion.regions import pixel_statistics
from companion.signals import flow_magnitude


def _as_float(frames: np.ndarray) -> np.ndarray:
    """uint8 frames to float32 in [0, 1]; float frames (taken to be in [0, 1]) as float32."""
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise CompanionError(f"expected frames of shape (T, H, W), got {frames.shape}")
    return frames.astype(np.float32) / 255.0 if frames.dtype == np.uint8 else frames.astype(np.float32)


def motion_energy(frames: np.ndarray) -> np.ndarray:
    """Frame-difference motion energy: mean |I_t - I_{t-1}| per frame (intensities in [0, 1]).

    The first frame has no predecessor and gets the second frame's score, so every frame is
    scored. Introduced in notebook 05.
    """
    x = _as_float(frames)
    if len(x) < 2:
        raise CompanionError(f"motion energy needs at least 2 frames, the clip has {len(x)}")
    energy = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2), dtype=np.float64)
    return np.concatenate([energy[:1], energy])


def squared_difference(frames: np.ndarray) -> np.ndarray:
    """Mean squared frame difference per frame: the error of predicting "the next frame equals this one".

    Every next-frame predictor must beat this to have learned anything. The first frame gets
    the second frame's score.
    """
    x = _as_float(frames)
    if len(x) < 2:
        raise CompanionError(f"the squared frame difference needs at least 2 frames, the clip has {len(x)}")
    energy = (np.diff(x, axis=0) ** 2).mean(axis=(1, 2), dtype=np.float64)
    return np.concatenate([energy[:1], energy])


def flow_energy(frames: np.ndarray) -> np.ndarray:
    """Mean optical-flow speed per frame (pixels per frame): motion energy that knows speed."""
    return flow_magnitude(frames).mean(axis=(1, 2), dtype=np.float64)


@dataclass(frozen=True)
class BackgroundModel:
    """Per-pixel Gaussian background: ``mean`` and ``std`` (H, W) of the training frames in [0, 1]."""

    mean: np.ndarray
    std: np.ndarray
    n_frames: int


def fit_background(clips: Iterable[np.ndarray], min_std: float = 1.0 / 255.0) -> BackgroundModel:
    """Fit the per-pixel mean and std on training (normal) frames; each item is frames (T, H, W).

    ``std`` is floored at ``min_std`` (one grey level) so that never-changing pixels do not
    divide by zero. Introduced in notebook 05.
    """
    stats = pixel_statistics(_as_float(frames) for frames in clips)
    if stats.n_frames < 2:
        raise CompanionError("the background model needs at least 2 training frames")
    return BackgroundModel(mean=stats.mean, std=np.maximum(stats.std, min_std).astype(np.float32), n_frames=stats.n_frames)


def background_zmaps(model: BackgroundModel, frames: np.ndarray) -> np.ndarray:
    """Per-pixel |z| = |I - mean| / std of each frame, (T, H, W): the background model's error maps.

    Introduced in notebook 05.
    """
    x = _as_float(frames)
    if x.shape[1:] != model.mean.shape:
        raise CompanionError(f"frames of size {x.shape[1:]} but the background was fitted at {model.mean.shape}")
    return np.abs(x - model.mean) / model.std


def background_scores(
    model: BackgroundModel,
    frames: np.ndarray,
    reduce: Literal["mean", "percentile"] = "percentile",
    q: float = 99.0,
) -> np.ndarray:
    """Per-frame score of the background model: the mean or the ``q``-th percentile of |z|.

    Introduced in notebook 05.
    """
    z = background_zmaps(model, frames).reshape(len(frames), -1)
    if reduce == "mean":
        return z.mean(axis=1, dtype=np.float64)
    if reduce == "percentile":
        return np.percentile(z, q, axis=1).astype(np.float64)
    raise CompanionError(f"unknown reduction {reduce!r}; choose 'mean' or 'percentile'")


BASELINES: dict[str, str] = {
    "motion": "frame-difference motion energy (mean |I_t - I_(t-1)|; no training)",
    "motion-sq": "squared frame difference (mean (I_t - I_(t-1))^2, the error of copying the last frame; no training)",
    "background": "per-pixel Gaussian background model (99th percentile of |z| per frame)",
    "flow": "optical-flow energy (mean Farneback flow speed per frame; no training)",
    "flow-background": "per-pixel Gaussian model of optical-flow speed (99th percentile of |z| per frame)",
}
#: Smallest per-pixel std of the flow-speed model, in pixels per frame (never-moving pixels).
FLOW_MIN_STD = 0.05


Method = Literal["motion", "motion-sq", "background", "flow", "flow-background"]
#: The baselines fitted on training frames (the others only give training scores).
FITTED = ("background", "flow-background")


def baseline_scorer(method: Method, train: Iterable[tuple[np.ndarray, np.ndarray]]) -> Callable[[np.ndarray], np.ndarray]:
    """The per-frame score function of a baseline of :data:`BASELINES`, frames (T, H, W) -> (T,).

    The Gaussian models (:data:`FITTED`) are fitted on ``train``: ``(frames, keep)`` per training
    clip, ``keep`` marking its normal, unrepaired frames (maps are computed on whole clips, then
    kept).
    """
    if method not in BASELINES:
        raise CompanionError(f"unknown baseline {method!r}; choose one of {', '.join(BASELINES)}")
    if method not in FITTED:
        return {"motion": motion_energy, "motion-sq": squared_difference, "flow": flow_energy}[method]
    maps: Callable[[np.ndarray], np.ndarray] = (lambda f: f) if method == "background" else flow_magnitude
    min_std = 1.0 / 255.0 if method == "background" else FLOW_MIN_STD
    model = fit_background((maps(frames)[keep] for frames, keep in train), min_std=min_std)
    return lambda frames: background_scores(model, maps(frames))
