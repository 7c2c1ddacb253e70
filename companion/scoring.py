"""Per-frame anomaly scores from a reconstruction model, normalisation and smoothing.

Every frame of every clip is scored: windows of ``seq_len`` frames slide with stride 1, and each
frame's error is the mean of its errors over all the windows that cover it (the first and last
frames are covered by fewer windows, but they are covered). The Keras project cut clips into
non-overlapping windows and silently lost the frames of the last incomplete window.

Convention used throughout the course: a *score* is higher for more anomalous frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from companion.cache import LoadedClip, load_clip
from companion.errors import CompanionError, DatasetNotFoundError
from companion.layout import Clip, UCSDDataset, find_datasets, open_dataset
from companion.tensors import max_inversion, sliding_windows, to_model_input

ScoreKind = Literal["mse", "psnr", "regularity"]
Normalization = Literal["train", "video", "none"]
SCORE_KINDS: tuple[str, ...] = ("mse", "psnr", "regularity")
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
    pixels, equal to the mean over covering windows of that frame's MSE). Introduced in notebook 05.
    """

    errors: np.ndarray
    maps: np.ndarray
    reconstruction: np.ndarray


@dataclass(frozen=True)
class TrainStats:
    """Mean and std of the training (normal) frames' scores. Introduced in notebook 05."""

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


def _aligned(out: torch.Tensor, x: torch.Tensor, config: object) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(prediction, target, frame offset) of a window: what each output step is compared with.

    A reconstruction model's output k is compared with input k. A next-frame model's output k
    (it has seen frames up to k: the ConvLSTM is causal) predicts frame k + 1; a frame-difference
    model's output k + 1 reconstructs the difference of frames k + 1 and k (step 0 has none of its
    own). Either way the first frame of a window gets no error of its own (offset 1).
    """
    if getattr(config, "target", "reconstruct") == "next":
        return out[:, :-1], x[:, 1:], 1
    if getattr(config, "signal", "frames") == "absdiff":
        return out[:, 1:], x[:, 1:], 1
    return out, x, 0


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
    model was trained with, and errors are measured against that model input, in the model's own
    signal (:func:`companion.signals.clip_signal`, then :func:`companion.model.model_signal`: a
    flow model's maps and ``reconstruction`` are in flow-speed images). ``model`` maps (B, T, 1, H, W) to the same shape;
    next-frame and frame-difference models (``model.config``) are compared with the frame each
    output step stands for, and the clip's first frame, which none of them predicts, takes the
    second frame's map. Raises ``ClipTooShortError`` when T < ``seq_len``. Introduced in notebook 05.
    """
    from companion.model import model_signal
    from companion.signals import clip_signal

    config = getattr(model, "config", None)
    frames = clip_signal(np.asarray(frames), config)
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
                x = to_model_input(np.array(windows[b : b + batch_size]), device)  # a writable copy
                if invert:
                    x = max_inversion(x)
                x = model_signal(x, config)
                pred, target, offset = _aligned(model(x), x, config)
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


def psnr(mse: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio in dB per frame, ``10 log10(peak^2 / mse)``; high = well reconstructed.

    Introduced in notebook 05.
    """
    mse = np.asarray(mse, dtype=np.float64)
    return 10.0 * np.log10(peak**2 / np.maximum(mse, np.finfo(np.float64).tiny))


def regularity(errors: np.ndarray) -> np.ndarray:
    """Regularity score of Hasan et al. 2016 for one clip: ``s(t) = 1 - (e(t) - min e) / max e``.

    Written as in the paper (divided by ``max e``, not ``max e - min e``); 1 = most regular frame.
    It uses the clip's own minimum and maximum, so on test clips it USES TEST-SET INFORMATION
    (the whole video must be seen before any frame is scored). Introduced in notebook 05.
    """
    e = np.asarray(errors, dtype=np.float64)
    top = e.max()
    if top <= 0:
        return np.ones_like(e)
    return 1.0 - (e - e.min()) / top


def frame_scores(errors: np.ndarray, kind: ScoreKind = "mse") -> np.ndarray:
    """Anomaly score per frame of one clip from its per-frame MSE; higher = more anomalous.

    ``mse``: the error itself; ``psnr``: minus the PSNR in dB; ``regularity``: ``1 - s(t)`` of
    Hasan et al. (per-clip min-max: uses test information on test clips). Introduced in notebook 05.
    """
    if kind == "mse":
        return np.asarray(errors, dtype=np.float64)
    if kind == "psnr":
        return -psnr(errors)
    if kind == "regularity":
        return 1.0 - regularity(errors)
    raise CompanionError(f"unknown score kind {kind!r}; choose one of {', '.join(SCORE_KINDS)}")


def uses_test_information(normalize: Normalization, kind: ScoreKind = "mse") -> bool:
    """Whether scores made this way depend on test-set statistics. Introduced in notebook 05."""
    return normalize == "video" or kind == "regularity"


def smooth(scores: np.ndarray, window: int, method: Literal["mean", "gaussian"] = "mean") -> np.ndarray:
    """Centred temporal smoothing of one clip's scores over ``window`` frames (length kept).

    ``mean``: moving average; ``gaussian``: Gaussian weights with sigma = window / 4, truncated to
    the window. The clip's edges are padded with the edge values. ``window`` <= 1 returns the
    scores unchanged. Introduced in notebook 05.
    """
    s = np.asarray(scores, dtype=np.float64)
    if window <= 1:
        return s.copy()
    half = window // 2
    offsets = np.arange(-half, half + 1)
    if method == "mean":
        weights = np.ones(len(offsets))
    elif method == "gaussian":
        weights = np.exp(-0.5 * (offsets / (window / 4.0)) ** 2)
    else:
        raise CompanionError(f"unknown smoothing {method!r}; choose 'mean' or 'gaussian'")
    weights /= weights.sum()
    return np.convolve(np.pad(s, half, mode="edge"), weights, mode="valid")


def train_statistics(train_scores: np.ndarray) -> TrainStats:
    """Mean and std of the training frames' scores (normal frames only). Introduced in notebook 05."""
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
    normalised and whether test information was used. Introduced in notebook 05.
    """

    labels: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    frame_numbers: dict[str, np.ndarray]
    repaired: dict[str, list[int]]
    train_scores: np.ndarray | None
    normalize: str
    uses_test_information: bool
    protocol: str


def labelled_clips(ds: UCSDDataset, spec: str | None) -> list[Clip]:
    """Test clips named by ``spec`` (all when None), each with ground truth, else a clear error.

    Introduced in notebook 05.
    """
    clips = ds.select("test", spec)
    unlabelled = [c.name for c in clips if c.labels is None]
    if unlabelled:
        raise CompanionError(
            f"{', '.join(unlabelled)} of {ds.name} have no ground truth in {ds.gt_file or 'the .m file'}: "
            "choose labelled Test clips with --clips"
        )
    if not clips:
        raise CompanionError(f"no Test clips selected in {ds.name} (clips={spec!r})")
    return clips


def overlap_warning(evaluated: list[str], trained: list[str]) -> str:
    """A loud sentence when evaluated clips also trained the model, else ''. Introduced in notebook 05."""
    both = [name for name in evaluated if name in set(trained)]
    if not both:
        return ""
    return (
        f"WARNING: evaluated clip(s) {', '.join(both)} also provided training frames (their normal frames); "
        "scores on them are optimistic and not comparable with published results."
    )


KIND_PROTOCOL: dict[str, str] = {
    "mse": "per-frame mean squared reconstruction error",
    "psnr": "minus the per-frame PSNR",
    "regularity": "1 - the regularity score of Hasan et al. 2016 (per-clip min-max: uses test-set information)",
}


def describe_scores(normalize: str, kind: str | None = None, smooth_window: int = 0) -> str:
    """How scores were made, in words: score kind (when given), smoothing, normalisation.

    Introduced in notebook 05.
    """
    parts = [KIND_PROTOCOL[kind]] if kind else []
    if smooth_window > 1:
        parts.append(f"smoothed by a centred (non-causal) {smooth_window}-frame moving average")
    parts.append(f"normalisation: {NORMALIZATION_PROTOCOL[normalize]}")
    return "; ".join(parts)


@dataclass(frozen=True)
class RunOutputs:
    """A checkpoint's model run over its own training clips and over the evaluated clips.

    ``train`` maps each training clip to ``(output, keep)``, ``keep`` marking its normal,
    unrepaired frames; ``test`` maps each evaluated clip to its output; ``output`` is what the
    caller's ``reduce`` made of the clip's :class:`ClipErrors`. ``trained`` says which frames
    trained the model. Introduced in notebook 05.
    """

    run: Path
    checkpoint: dict
    dataset: str
    train: dict[str, tuple[np.ndarray, np.ndarray]]
    test: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    frame_numbers: dict[str, np.ndarray]
    repaired: dict[str, list[int]]
    trained: str

    def protocol(self, scores: str, normalize: str, test_information: bool) -> tuple[str, bool]:
        """The protocol sentence of these outputs scored as ``scores``, and whether test information was used."""
        names = list(self.test)
        on_test = self.checkpoint["data"]["train_on"] == "normal-test-frames"
        overlap = overlap_warning(names, list(self.train) if on_test else [])
        test_info = test_information or bool(overlap)
        text = " ".join(
            part
            for part in (
                overlap,
                f"Model {self.run.name} trained on {self.trained}.",
                f"Scores: {scores}.",
                f"Evaluated on every frame of {len(names)} {self.dataset} Test clip(s) ({', '.join(names)}).",
                f"Uses test-set information: {'YES' if test_info else 'no'}"
                + (" (training frames of the evaluated clips were chosen with their ground truth)" if overlap else "")
                + ".",
            )
            if part
        )
        return text, test_info


def run_checkpoint(
    run: str | Path,
    root: str | Path,
    reduce: Callable[[ClipErrors], np.ndarray],
    clips: str | None = None,
    dataset: str | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> RunOutputs:
    """Run the model in ``run`` over every frame of its training clips and of the chosen Test clips.

    The model and its preprocessing (size, max-inversion, window) come from ``RUN/checkpoint.pt``
    (:func:`companion.train.load_model`); the training clips are those the checkpoint records
    (its Train clips; for ``train_on="normal-test-frames"`` its training Test clips), found under
    ``root``. Introduced in notebook 05.
    """
    from companion.train import load_model

    run = Path(run)
    model, ckpt = load_model(run / "checkpoint.pt" if run.is_dir() else run)
    prep, data = ckpt["preprocessing"], ckpt["data"]
    size, seq_len, invert = (prep["height"], prep["width"]), int(prep["seq_len"]), bool(prep["max_inversion"])
    present = find_datasets(root)
    if data["dataset"] not in present:
        raise DatasetNotFoundError(
            f"{run} was trained on {data['dataset']} (at {data.get('root', 'another path')}), but {root} holds "
            f"{', '.join(present)}: pass a ROOT that holds {data['dataset']} (its training clips give the training "
            "statistics and thresholds; --dataset chooses only the Test clips' dataset), or train a run on this data"
        )
    train_ds = open_dataset(root, dataset=data["dataset"])
    ds = train_ds if dataset is None else open_dataset(root, dataset=dataset)
    chosen = labelled_clips(ds, clips)
    on_test = data["train_on"] == "normal-test-frames"
    split = "Test" if on_test else "Train"
    by_name = {c.name: c for c in train_ds.clips[split]}
    missing = [n for n in data["clips"] if n not in by_name]
    if missing:
        raise CompanionError(
            f"the training clips {', '.join(missing)} recorded in {run} are not in {train_ds.root}/{split}: pass the "
            "ROOT the model was trained on (its training frames give the training statistics and thresholds)"
        )

    def output(clip: Clip) -> tuple[LoadedClip, np.ndarray]:
        loaded = load_clip(clip, size=size)
        return loaded, reduce(reconstruction_errors(model, loaded.frames, seq_len, invert, batch_size, progress, clip.name))

    train = {}
    for name in data["clips"]:
        loaded, out = output(by_name[name])
        keep = ~loaded.repaired & (~np.asarray(by_name[name].labels, dtype=bool) if on_test else True)
        train[name] = (out, keep)
    test, labels, numbers, repaired = {}, {}, {}, {}
    for clip in chosen:
        loaded, test[clip.name] = output(clip)
        labels[clip.name] = np.asarray(clip.labels, dtype=bool)
        numbers[clip.name] = clip.frame_numbers
        repaired[clip.name] = clip.frame_numbers[loaded.repaired].tolist()
    trained = (
        f"the ground-truth-normal frames of {train_ds.name} Test clips {', '.join(data['clips'])} (NOT the paper protocol)"
        if on_test
        else f"the {len(data['clips'])} Train clips of {train_ds.name} (the paper protocol)"
    )
    return RunOutputs(run, ckpt, ds.name, train, test, labels, numbers, repaired, trained)


def score_checkpoint(
    run: str | Path,
    root: str | Path,
    clips: str | None = None,
    dataset: str | None = None,
    normalize: Normalization = "train",
    kind: ScoreKind = "mse",
    smooth_window: int = 0,
    batch_size: int = 8,
    progress: bool = True,
) -> ScoredClips:
    """Score every frame of the chosen labelled Test clips with the model in ``run``.

    The training statistics come from the training data the checkpoint records (see
    :func:`run_checkpoint`). Repaired frames are scored and listed, and left out of the
    training statistics. Introduced in notebook 05.
    """
    runs = run_checkpoint(run, root, lambda e: frame_scores(e.errors, kind), clips, dataset, batch_size, progress)
    scores, train_scores = postprocess(runs.test, runs.train, normalize, smooth_window)
    protocol, test_info = runs.protocol(
        describe_scores(normalize, kind, smooth_window), normalize, uses_test_information(normalize, kind)
    )
    return ScoredClips(runs.labels, scores, runs.frame_numbers, runs.repaired, train_scores, normalize, test_info, protocol)
