"""Baselines scored on exactly the same frames as the model: one score per frame, higher = more anomalous.

Introduced in notebook 05.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np

from companion.cache import load_clip
from companion.errors import CompanionError
from companion.layout import UCSDDataset, open_dataset
from companion.regions import pixel_statistics
from companion.scoring import (
    Normalization,
    ScoredClips,
    describe_scores,
    labelled_clips,
    overlap_warning,
    postprocess,
    uses_test_information,
)

if TYPE_CHECKING:
    from companion.train import TrainResult


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
    the second frame's score. Introduced in notebook 05.
    """
    x = _as_float(frames)
    if len(x) < 2:
        raise CompanionError(f"the squared frame difference needs at least 2 frames, the clip has {len(x)}")
    energy = (np.diff(x, axis=0) ** 2).mean(axis=(1, 2), dtype=np.float64)
    return np.concatenate([energy[:1], energy])


def flow_magnitude(frames: np.ndarray) -> np.ndarray:
    """Dense optical-flow speed per pixel, (T, H, W) in pixels per frame (OpenCV's Farneback).

    Flow from frame t - 1 to frame t; the first frame gets the second frame's map, so every
    frame has one. Introduced in notebook 05.
    """
    x = np.asarray(frames)
    if x.ndim != 3 or len(x) < 2:
        raise CompanionError(f"optical flow needs frames (T, H, W) with T >= 2, got shape {x.shape}")
    grey = x if x.dtype == np.uint8 else np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    speeds = [
        np.linalg.norm(cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 9, 3, 5, 1.1, 0), axis=2)
        for a, b in zip(grey[:-1], grey[1:])
    ]
    return np.stack(speeds[:1] + speeds).astype(np.float32)


def flow_energy(frames: np.ndarray) -> np.ndarray:
    """Mean optical-flow speed per frame (pixels per frame): motion energy that knows speed.

    Introduced in notebook 05.
    """
    return flow_magnitude(frames).mean(axis=(1, 2), dtype=np.float64)


@dataclass(frozen=True)
class BackgroundModel:
    """Per-pixel Gaussian background: ``mean`` and ``std`` (H, W) of the training frames in [0, 1].

    Introduced in notebook 05.
    """

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


def training_frames(ds: UCSDDataset, train_clips: str | None, size: tuple[int, int] | None) -> tuple[dict, str]:
    """Normal frames to fit on: ``{clip: (LoadedClip, keep mask)}`` and a sentence saying which.

    The Train split when the dataset has one (``train_clips`` selects among it); else the
    ground-truth-normal frames of the Test clips ``train_clips`` (NOT the paper protocol).
    Repaired frames are never kept. Empty when there is nothing to fit on. Introduced in notebook 05.
    """
    if ds.clips.get("Train"):
        chosen, on_test = ds.select("train", train_clips), False
    elif train_clips is not None:
        chosen, on_test = labelled_clips(ds, train_clips), True
    else:
        return {}, f"none ({ds.name} has no Train split and no --train-clips were given; no training thresholds)"
    out = {}
    for clip in chosen:
        loaded = load_clip(clip, size=size)
        keep = ~loaded.repaired & (~np.asarray(clip.labels, dtype=bool) if on_test else True)
        out[clip.name] = (loaded, keep)
    names = ", ".join(out)
    if on_test:
        return out, (
            f"the ground-truth-normal frames of {ds.name} Test clips {names} "
            f"({ds.name} has no Train split; NOT the paper protocol)"
        )
    return out, f"the {len(out)} Train clips of {ds.name} (the paper protocol)"


def _role(method: str, trained: bool) -> str:
    if not trained:
        return ""
    fitted = method in ("background", "flow-background")
    return " (fitted the model, gave the training scores)" if fitted else " (gave the training scores only)"


def score_baseline(
    method: Literal["motion", "motion-sq", "background", "flow", "flow-background"],
    root: str | Path,
    clips: str | None = None,
    train_clips: str | None = None,
    dataset: str = "ped1",
    size: tuple[int, int] | None = None,
    normalize: Normalization = "none",
    smooth_window: int = 0,
) -> ScoredClips:
    """Score every frame of the chosen labelled Test clips with a baseline (see :data:`BASELINES`).

    Training frames (see :func:`training_frames`) fit the Gaussian models and give every
    baseline its training scores for thresholds and ``normalize="train"``. Introduced in notebook 05.
    """
    if method not in BASELINES:
        raise CompanionError(f"unknown baseline {method!r}; choose one of {', '.join(BASELINES)}")
    ds = open_dataset(root, dataset=dataset)
    chosen = labelled_clips(ds, clips)
    train, trained = training_frames(ds, train_clips, size)
    if method in ("background", "flow-background"):
        if not train:
            raise CompanionError(f"the {method} model needs training frames: {trained}. Pass --train-clips (e.g. 1-4)")
        maps = (lambda f: f) if method == "background" else flow_magnitude
        min_std = 1.0 / 255.0 if method == "background" else FLOW_MIN_STD
        model = fit_background((maps(loaded.frames)[keep] for loaded, keep in train.values()), min_std=min_std)

        def score(frames: np.ndarray) -> np.ndarray:
            return background_scores(model, maps(frames))
    else:
        score = {"motion": motion_energy, "motion-sq": squared_difference, "flow": flow_energy}[method]
    test_raw, labels, numbers, repaired = {}, {}, {}, {}
    for clip in chosen:
        loaded = load_clip(clip, size=size)
        test_raw[clip.name] = score(loaded.frames)
        labels[clip.name] = np.asarray(clip.labels, dtype=bool)
        numbers[clip.name] = clip.frame_numbers
        repaired[clip.name] = clip.frame_numbers[loaded.repaired].tolist()
    train_raw = {name: (score(loaded.frames), keep) for name, (loaded, keep) in train.items()}
    scores, train_scores = postprocess(test_raw, train_raw, normalize, smooth_window)
    names = list(test_raw)
    overlap = overlap_warning(names, [] if ds.clips.get("Train") else list(train))
    test_info = uses_test_information(normalize) or bool(overlap)
    protocol = " ".join(
        part
        for part in (
            overlap,
            f"Baseline: {BASELINES[method]}; training frames: {trained}{_role(method, bool(train))}.",
            f"Scores: {describe_scores(normalize, smooth_window=smooth_window)}.",
            f"Evaluated on every frame of {len(names)} {ds.name} Test clip(s) ({', '.join(names)})"
            + (f" at {size[0]}x{size[1]} pixels." if size else " at full size."),
            f"Uses test-set information: {'YES' if test_info else 'no'}"
            + (" (training frames of the evaluated clips were chosen with their ground truth)" if overlap else "")
            + ".",
        )
        if part
    )
    return ScoredClips(labels, scores, numbers, repaired, train_scores, normalize, test_info, protocol)


def train_conv_autoencoder(root: str | Path, out: str | Path | None, **options: Any) -> TrainResult:
    """The 2D convolutional autoencoder ablation: the same model without recurrence, same training.

    Calls :func:`companion.train.train` with ``recurrent=False`` (``build_model(config,
    recurrent=False)``: each ConvLSTM layer becomes a per-frame convolution); ``options`` are
    ``train``'s. Score it like the ConvLSTM run (``companion evaluate OUT ROOT``). Introduced in notebook 05.
    """
    from companion.train import train

    return train(root, out, recurrent=False, **options)
