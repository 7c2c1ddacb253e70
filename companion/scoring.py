"""Per-frame anomaly scores from a model's errors, normalisation and smoothing.

Every frame of every clip is scored: windows of ``seq_len`` frames slide with stride 1, and each
frame's error is the mean of its errors over all the windows that cover it (the first and last
frames are covered by fewer windows, but they are covered). The Keras project cut clips into
non-overlapping windows and silently lost the frames of the last incomplete window.

Convention used throughout the course: a *score* is higher for more anomalous frames. The
commands that score a run or a baseline end to end are in :mod:`companion.evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from companion.errors import CompanionError
from companion.scorings import Normalization, ScoreKind
from companion.task import compared, config_of, model_input, model_view
from companion.tensors import sliding_windows, to_model_input

SCORE_KINDS: tuple[str, ...] = ("mse", "regularity")
NORMALIZATIONS: tuple[str, ...] = ("train", "video", "none")

#: One sentence per normalisation, for protocol strings and plot legends.
NORMALIZATION_PROTOCOL: dict[str, str] = {
    "none": "raw scores (no normalisation; uses no test-set information)",
    "train": "z-scores with the mean and std of the training frames' scores (uses no test-set information)",
    "video": "per-video min-max normalisation (the protocol of most papers; USES TEST-SET INFORMATION: "
    "each test video's own minimum and maximum)",
}


class ClipTooShortError(CompanionError):
    """A clip has fewer frames than the model's window."""


@dataclass(frozen=True)
class ClipErrors:
    """Reconstruction errors of one clip, each frame averaged over the windows covering it.

    ``maps`` (T, H, W) squared error per pixel, ``reconstruction`` (T, H, W) the mean
    reconstruction, ``errors`` (T,) the per-frame mean squared error (the mean of ``maps`` over
    pixels, equal to the mean over covering windows of that frame's MSE).
    """

    errors: np.ndarray
    maps: np.ndarray
    reconstruction: np.ndarray


@dataclass(frozen=True)
class TrainStats:
    """Mean and std of the training (normal) frames' scores."""

    mean: float
    std: float


def window_coverage(n_frames: int, seq_len: int) -> np.ndarray:
    """How many stride-1 windows of ``seq_len`` cover each of ``n_frames`` frames. Introduced in notebook 05."""
    _check_length(n_frames, seq_len, "clip")
    starts = np.arange(n_frames - seq_len + 1)
    coverage = np.zeros(n_frames, dtype=np.int64)
    for k in range(seq_len):
        coverage[starts + k] += 1
    return coverage


def _check_length(n_frames: int, seq_len: int, name: str) -> None:
    if n_frames < seq_len:
        raise ClipTooShortError(
            f"{name} has {n_frames} frames, fewer than the model's window of {seq_len}; "
            f"score clips of at least {seq_len} frames (or train a model with a shorter seq_len)"
        )


def reconstruction_errors(
    model: torch.nn.Module,
    frames: np.ndarray,
    seq_len: int,
    invert: bool = False,
    batch_size: int = 8,
    progress: bool = True,
    name: str = "clip",
) -> ClipErrors:
    """Score every frame of one clip with stride-1 windows, batched under ``torch.no_grad``.

    ``frames`` (T, H, W) are uint8 or floats in [0, 1]; ``invert`` applies the max-inversion the
    model was trained with, and errors are measured against that model input, in what the model
    sees (:func:`companion.task.model_view`: a flow model's maps and ``reconstruction`` are in
    flow-speed images). ``model`` maps (B, T, 1, H, W) to the same shape; each output step is
    compared with the frame it stands for (:func:`companion.task.compared`: a next-frame model's
    output k with frame k + 1), and the clip's first frame, which a next-frame model never
    predicts, takes the second frame's map. Raises ``ClipTooShortError`` when T < ``seq_len``.
    Introduced in notebook 05.
    """
    config = config_of(model)
    frames = model_view(np.asarray(frames), config)
    n_frames = len(frames)
    _check_length(n_frames, seq_len, name)
    windows = sliding_windows(frames, seq_len)
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    err_sum = np.zeros(frames.shape, dtype=np.float32)
    rec_sum = np.zeros(frames.shape, dtype=np.float32)
    cover = np.zeros(n_frames, dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for b in tqdm(range(0, len(windows), batch_size), desc=f"scoring {name}", disable=not progress, leave=False):
                x = model_input(np.array(windows[b : b + batch_size]), device, invert)  # a writable copy
                pred, target, offset = compared(model(x), x, config)
                err = ((pred - target) ** 2).squeeze(2).cpu().numpy()
                pred = pred.squeeze(2).cpu().numpy()
                starts = np.arange(b, b + len(err))
                for k in range(err.shape[1]):  # within a batch, starts + k are distinct frames
                    err_sum[starts + k + offset] += err[:, k]
                    rec_sum[starts + k + offset] += pred[:, k]
                    cover[starts + k + offset] += 1
    finally:
        model.train(was_training)
    if cover[0] == 0:  # a shifted target never predicts frame 0: it takes frame 1's map
        err_sum[0], rec_sum[0], cover[0] = err_sum[1], rec_sum[1], cover[1]
    maps = err_sum / cover[:, None, None]
    return ClipErrors(errors=maps.mean(axis=(1, 2), dtype=np.float64), maps=maps, reconstruction=rec_sum / cover[:, None, None])


def position_errors(model: torch.nn.Module, frames: np.ndarray, seq_len: int) -> np.ndarray:
    """The error at each position of every stride-1 window of one clip: ``(windows, steps)``.

    Row ``s`` holds, for the window starting at frame ``s``, the mean squared error of each output
    step against the frame it stands for (:func:`companion.task.compared`: ``seq_len`` steps for an
    autoencoder, ``seq_len - 1`` for a next-frame model). All windows of the clip go through the
    model in one batch, in the mode it is in, on its device, without gradients. What
    :func:`reconstruction_errors` averages away: a frame's error at each place in the window.
    Introduced in notebook 05.
    """
    config = config_of(model)
    frames = model_view(np.asarray(frames), config)
    _check_length(len(frames), seq_len, "clip")
    params = list(model.parameters())
    x = to_model_input(np.array(sliding_windows(frames, seq_len)), params[0].device if params else "cpu")
    with torch.no_grad():
        pred, target, _ = compared(model(x), x, config)
        return ((pred - target) ** 2).mean(dim=(2, 3, 4)).cpu().numpy()


def regularity(errors: np.ndarray) -> np.ndarray:
    """Regularity score of Hasan et al. 2016 for one clip: ``s(t) = 1 - (e(t) - min e) / max e``.

    Written as in the paper (divided by ``max e``, not ``max e - min e``); 1 = most regular frame.
    It uses the clip's own minimum and maximum, so on test clips it USES TEST-SET INFORMATION
    (the whole video must be seen before any frame is scored).
    """
    e = np.asarray(errors, dtype=np.float64)
    top = e.max()
    if top <= 0:
        return np.ones_like(e)
    return 1.0 - (e - e.min()) / top


def frame_scores(errors: np.ndarray, kind: ScoreKind = "mse") -> np.ndarray:
    """Anomaly score per frame of one clip from its per-frame MSE; higher = more anomalous.

    ``mse``: the error itself; ``regularity``: ``1 - s(t)`` of Hasan et al. (per-clip min-max:
    uses test information on test clips).
    """
    if kind == "mse":
        return np.asarray(errors, dtype=np.float64)
    if kind == "regularity":
        return 1.0 - regularity(errors)
    raise CompanionError(f"unknown score kind {kind!r}; choose one of {', '.join(SCORE_KINDS)}")


def uses_test_information(normalize: Normalization, kind: ScoreKind = "mse") -> bool:
    """Whether scores made this way depend on test-set statistics."""
    return normalize == "video" or kind == "regularity"


def smooth(scores: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of one clip's scores over ``window`` frames (length kept).

    The clip's edges are padded with the edge values. ``window`` <= 1 returns the scores
    unchanged. Introduced in notebook 05.
    """
    s = np.asarray(scores, dtype=np.float64)
    if window <= 1:
        return s.copy()
    half = window // 2
    weights = np.full(2 * half + 1, 1.0 / (2 * half + 1))
    return np.convolve(np.pad(s, half, mode="edge"), weights, mode="valid")


def train_statistics(train_scores: np.ndarray) -> TrainStats:
    """Mean and std of the training frames' scores (normal frames only)."""
    s = np.asarray(train_scores, dtype=np.float64).ravel()
    if s.size < 2:
        raise CompanionError("training statistics need the scores of at least 2 training frames")
    return TrainStats(mean=float(s.mean()), std=float(s.std()))


def normalize_scores(
    scores: dict[str, np.ndarray],
    method: Normalization = "train",
    stats: TrainStats | None = None,
) -> dict[str, np.ndarray]:
    """Normalise each clip's scores: ``train`` (default), ``video`` or ``none``.

    ``train`` z-scores with ``stats`` from the training frames (no test information);
    ``video`` min-max scales each clip by its own range (USES TEST-SET INFORMATION; a constant
    clip becomes all zeros); ``none`` returns copies. Introduced in notebook 05.
    """
    if method == "none":
        return {k: np.asarray(v, dtype=np.float64).copy() for k, v in scores.items()}
    if method == "train":
        if stats is None:
            raise CompanionError("normalize='train' needs the training statistics: pass stats=train_statistics(...)")
        std = stats.std if stats.std > 0 else 1.0
        return {k: (np.asarray(v, dtype=np.float64) - stats.mean) / std for k, v in scores.items()}
    if method == "video":
        out = {}
        for k, v in scores.items():
            v = np.asarray(v, dtype=np.float64)
            span = v.max() - v.min()
            out[k] = (v - v.min()) / span if span > 0 else np.zeros_like(v)
        return out
    raise CompanionError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALIZATIONS)}")


def postprocess(
    test: dict[str, np.ndarray],
    train: dict[str, tuple[np.ndarray, np.ndarray]] | None,
    normalize: Normalization = "train",
    smooth_window: int = 0,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Smooth each clip's scores, then normalise; training clips go through the same steps.

    ``train`` maps a training clip to ``(scores of all its frames, bool mask of the frames that
    count as normal training frames)``; the result is the test scores and the pooled training
    scores on the same scale (so that thresholds from training scores apply to test scores).
    ``normalize="train"`` takes its statistics from those training frames. Introduced in notebook 05.
    """
    if normalize == "train" and not train:
        raise CompanionError("normalize='train' needs training frames: give the training clips, or use 'none' or 'video'")
    test_s = {k: smooth(v, smooth_window) for k, v in test.items()}
    if not train:
        return normalize_scores(test_s, normalize), None
    train_s = {k: smooth(v, smooth_window) for k, (v, _) in train.items()}
    raw_pool = np.concatenate([train_s[k][keep] for k, (_, keep) in train.items()])
    stats = train_statistics(raw_pool) if normalize == "train" else None
    train_n = normalize_scores(train_s, normalize, stats)
    pooled = np.concatenate([train_n[k][keep] for k, (_, keep) in train.items()])
    return normalize_scores(test_s, normalize, stats), pooled


@dataclass(frozen=True)
class ScoredClips:
    """Final per-frame scores of the evaluated clips (higher = more anomalous) and how they were made.

    ``frame_numbers`` are 1-based (from the file names); ``repaired`` lists, per clip, the frame
    numbers that were replaced by a neighbour when decoding (scored, but not real footage);
    ``train_scores`` are the training frames' scores on the same scale (None without training
    frames); ``protocol`` says in plain words which frames trained what, how scores were
    normalised and whether test information was used.
    """

    labels: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    frame_numbers: dict[str, np.ndarray]
    repaired: dict[str, list[int]]
    train_scores: np.ndarray | None
    normalize: str
    uses_test_information: bool
    protocol: str


KIND_PROTOCOL: dict[str, str] = {
    "mse": "per-frame mean squared reconstruction error",
    "regularity": "1 - the regularity score of Hasan et al. 2016 (per-clip min-max: uses test-set information)",
}


def describe_scores(normalize: str, kind: str | None = None, smooth_window: int = 0) -> str:
    """How scores were made, in words: score kind (when given), smoothing, normalisation."""
    parts = [KIND_PROTOCOL[kind]] if kind else []
    if smooth_window > 1:
        parts.append(f"smoothed by a centred (non-causal) {smooth_window}-frame moving average")
    parts.append(f"normalisation: {NORMALIZATION_PROTOCOL[normalize]}")
    return "; ".join(parts)
