"""Frame- and pixel-level evaluation: ROC AUC, EER, average precision and thresholds.

scikit-learn computes every curve; nothing here re-implements ROC. Scores are higher for more
anomalous frames, and a frame is flagged anomalous when ``score >= threshold``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from companion.errors import CompanionError

UCSD_COVERAGE = 0.4


class SingleClassError(CompanionError):
    """A metric that needs both normal and abnormal frames got only one class."""


@dataclass(frozen=True)
class FrameAUC:
    """Frame-level ROC AUC: pooled over all frames (micro) and averaged per video (macro).

    ``per_clip`` maps each clip to its AUC, or None for a clip with a single class; those clips
    are listed in ``skipped`` and left out of the macro average.
    """

    micro: float
    macro: float | None
    per_clip: dict[str, float | None]
    skipped: list[str]


@dataclass(frozen=True)
class ThresholdMetrics:
    """Precision, recall, F1 and confusion matrix ``[[tn, fp], [fn, tp]]`` at one threshold."""

    threshold: float
    precision: float
    recall: float
    f1: float
    confusion: list[list[int]]

    def as_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class PixelROC:
    """Pixel-level ROC by the UCSD criterion: TPR on abnormal frames, FPR on normal frames."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    eer: float

    @property
    def eer_threshold(self) -> float:
        """The per-pixel threshold of the curve's point nearest the EER (FPR closest to 1 - TPR).

        Introduced in notebook 05.
        """
        return float(self.thresholds[int(np.argmin(np.abs(self.fpr - (1 - self.tpr))))])


def _pooled(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise CompanionError(f"{y.size} labels but {s.size} scores: score every labelled frame exactly once")
    if y.all() or not y.any():
        raise SingleClassError(
            f"all {y.size} frames are {'abnormal' if y.any() else 'normal'}: ROC needs both normal and abnormal frames; "
            "evaluate on more clips"
        )
    return y, s


def concat(by_clip: dict[str, np.ndarray]) -> np.ndarray:
    """Concatenate per-clip arrays in the dict's order (the pooled, micro view). Introduced in notebook 05."""
    return np.concatenate([np.asarray(v).ravel() for v in by_clip.values()])


def frame_auc(labels: dict[str, np.ndarray], scores: dict[str, np.ndarray]) -> FrameAUC:
    """Micro (pooled) and macro (per-video mean) frame-level ROC AUC. Introduced in notebook 05.

    Single-class clips get None in ``per_clip``, are named in ``skipped`` and are left out of the
    macro mean (macro is None when every clip is single-class).
    """
    if labels.keys() != scores.keys():
        raise CompanionError("labels and scores must cover the same clips")
    per_clip: dict[str, float | None] = {}
    for name in labels:
        y = np.asarray(labels[name]).astype(bool)
        per_clip[name] = float(roc_auc_score(y, scores[name])) if 0 < y.sum() < y.size else None
    micro = float(roc_auc_score(*_pooled(concat(labels), concat(scores))))
    valid = [v for v in per_clip.values() if v is not None]
    return FrameAUC(
        micro=micro,
        macro=float(np.mean(valid)) if valid else None,
        per_clip=per_clip,
        skipped=[k for k, v in per_clip.items() if v is None],
    )


def roc(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled ROC curve ``(fpr, tpr, thresholds)`` (scikit-learn)."""
    fpr, tpr, thresholds = roc_curve(*_pooled(labels, scores))
    return fpr, tpr, thresholds


def _eer_from_curve(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Where the ROC curve crosses fpr = 1 - tpr (linear between its points)."""
    gap = fpr + tpr - 1.0  # non-decreasing along the curve, from -1 to +1
    i = int(np.argmax(gap >= 0))
    if i == 0 or gap[i] == 0:
        return float(fpr[i])
    t = -gap[i - 1] / (gap[i] - gap[i - 1])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def equal_error_rate(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate: the false-positive rate where it equals the miss rate (1 - TPR).

    The crossing is interpolated linearly between ROC points. Introduced in notebook 05.
    """
    fpr, tpr, _ = roc(labels, scores)
    return _eer_from_curve(fpr, tpr)


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve, scikit-learn)."""
    return float(average_precision_score(*_pooled(labels, scores)))


def threshold_mean_std(train_scores: np.ndarray, k: float = 2.0) -> float:
    """The Keras project's threshold: mean + ``k`` std of the training (normal) frames' scores.

    Introduced in notebook 05.
    """
    s = np.asarray(train_scores, dtype=np.float64).ravel()
    return float(s.mean() + k * s.std())


def threshold_percentile(train_scores: np.ndarray, q: float = 99.0) -> float:
    """The ``q``-th percentile of the training (normal) frames' scores. Introduced in notebook 05."""
    return float(np.percentile(np.asarray(train_scores, dtype=np.float64).ravel(), q))


def threshold_best_f1(val_scores: np.ndarray, val_labels: np.ndarray) -> float:
    """The threshold maximising F1 on a VALIDATION split (never pass the test frames).

    It is one of the validation scores; ties go to the highest threshold. Introduced in notebook 05.
    """
    y, s = _pooled(val_labels, val_scores)
    precision, recall, thresholds = precision_recall_curve(y, s)
    p, r = precision[:-1], recall[:-1]
    f1 = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)
    best = np.flatnonzero(f1 == f1.max())[-1]
    return float(thresholds[best])


def at_threshold(labels: np.ndarray, scores: np.ndarray, threshold: float) -> ThresholdMetrics:
    """Precision, recall, F1 and confusion matrix when ``score >= threshold`` flags a frame.

    Precision is 0 when nothing is flagged. Introduced in notebook 05.
    """
    y = np.asarray(labels).astype(bool).ravel()
    pred = np.asarray(scores, dtype=np.float64).ravel() >= threshold
    (tn, fp), (fn, tp) = confusion_matrix(y, pred, labels=[False, True])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdMetrics(
        threshold=float(threshold),
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
        confusion=[[int(tn), int(fp)], [int(fn), int(tp)]],
    )


def frame_report(
    labels: dict[str, np.ndarray],
    scores: dict[str, np.ndarray],
    train_scores: np.ndarray | None = None,
    k: float = 2.0,
    q: float = 99.0,
) -> dict:
    """All frame-level metrics as a JSON-ready dict (the CLI's ``evaluate``/``baseline`` output).

    Keys: ``auc_micro``, ``auc_macro``, ``per_clip``, ``skipped_single_class``, ``eer``,
    ``average_precision``, ``n_frames``, and, given the training frames' scores (on the same scale
    as ``scores``), ``thresholds``: ``mean_plus_k_std`` and ``percentile`` with the metrics at each.
    """
    y, s = concat(labels), concat(scores)
    auc = frame_auc(labels, scores)
    report: dict = {
        "auc_micro": auc.micro,
        "auc_macro": auc.macro,
        "per_clip": auc.per_clip,
        "skipped_single_class": auc.skipped,
        "eer": equal_error_rate(y, s),
        "average_precision": average_precision(y, s),
        "n_frames": int(y.size),
        "n_abnormal_frames": int(y.astype(bool).sum()),
    }
    if train_scores is not None:
        report["thresholds"] = {
            f"mean_plus_{k:g}_std": at_threshold(y, s, threshold_mean_std(train_scores, k)).as_dict(),
            f"percentile_{q:g}": at_threshold(y, s, threshold_percentile(train_scores, q)).as_dict(),
        }
    return report


def ucsd_pixel_scores(
    error_maps: np.ndarray, masks: np.ndarray, coverage: float = UCSD_COVERAGE
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame scores that turn the UCSD pixel-level criterion into an ordinary ROC.

    A pixel is flagged when its error is >= the threshold. An abnormal frame (its mask has any
    anomalous pixel) counts as detected when at least ``coverage`` (40%) of its anomalous pixels
    are flagged, i.e. when the threshold is at most the ``ceil(coverage * n)``-th largest error
    inside its mask: that value is its score. A normal frame is a false positive when any pixel is
    flagged, i.e. its score is its largest error. Returns ``(scores, is_abnormal)`` over frames.
    """
    maps = np.asarray(error_maps, dtype=np.float64)
    m = np.asarray(masks).astype(bool)
    if maps.shape != m.shape:
        raise CompanionError(
            f"error maps {maps.shape} and masks {m.shape} differ: load the masks at the model's frame size"
        )
    abnormal = m.reshape(len(m), -1).any(axis=1)
    scores = maps.reshape(len(maps), -1).max(axis=1)
    for t in np.flatnonzero(abnormal):
        inside = np.sort(maps[t][m[t]])[::-1]
        scores[t] = inside[int(np.ceil(coverage * inside.size)) - 1]
    return scores, abnormal


def ucsd_detected(error_map: np.ndarray, mask: np.ndarray, threshold: float, coverage: float = UCSD_COVERAGE) -> bool:
    """UCSD criterion for one abnormal frame: are >= ``coverage`` of its anomalous pixels flagged?

    Introduced in notebook 05.
    """
    m = np.asarray(mask).astype(bool)
    if not m.any():
        raise CompanionError("the mask has no anomalous pixel: the 40% criterion applies to abnormal frames only")
    return bool((np.asarray(error_map)[m] >= threshold).mean() >= coverage)


@dataclass(frozen=True)
class PixelCheck:
    """One abnormal frame at one per-pixel threshold: the share of its mask's pixels flagged
    (``in_mask``), whether that detects it by the UCSD criterion (``detected``), and how many
    pixels outside the mask are flagged (``outside``)."""

    in_mask: float
    detected: bool
    outside: int


def pixel_check(error_map: np.ndarray, mask: np.ndarray, threshold: float, coverage: float = UCSD_COVERAGE) -> PixelCheck:
    """Where one abnormal frame's flagged pixels fall, at ``threshold``: inside its mask (and is that
    enough for :func:`ucsd_detected`?) or outside it. Introduced in notebook 05.
    """
    m = np.asarray(mask).astype(bool)
    flagged = np.asarray(error_map) >= threshold
    return PixelCheck(float(flagged[m].mean()), ucsd_detected(error_map, m, threshold, coverage), int(flagged[~m].sum()))


def pixel_roc(error_maps: np.ndarray, masks: np.ndarray, coverage: float = UCSD_COVERAGE) -> PixelROC:
    """Pixel-level ROC and EER by the UCSD 40% criterion, sweeping the per-pixel threshold.

    ``error_maps`` and ``masks`` are (T, H, W) frames of clips that have masks (concatenate clips
    along T). Introduced in notebook 05.
    """
    scores, abnormal = ucsd_pixel_scores(error_maps, masks, coverage)
    fpr, tpr, thresholds = roc(abnormal, scores)
    return PixelROC(
        fpr=fpr,
        tpr=tpr,
        thresholds=thresholds,
        auc=float(roc_auc_score(abnormal, scores)),
        eer=_eer_from_curve(fpr, tpr),
    )
