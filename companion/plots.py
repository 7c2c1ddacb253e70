"""The course's plots of scores, ROC curves and error maps, in one style set once.

Every function draws on ``ax`` when given (else on a new figure of the course's size) and
returns the Axes or Figure; every plot of a score shows the ground truth beside it.
Introduced in notebook 01.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from companion.metrics import concat, frame_auc, roc

FIGSIZE = (6.4, 3.2)
SQUARE = (4.2, 4.0)
ABNORMAL_COLOR = "tab:red"
NORMAL_COLOR = "tab:blue"

COURSE_STYLE: dict[str, object] = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "gray",
    "lines.linewidth": 1.2,
}


def use_course_style() -> None:
    """Set the course's matplotlib style (small fixed sizes, grid, grey images). Introduced in notebook 01."""
    mpl.rcParams.update(COURSE_STYLE)


def _axes(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def frame_strip(
    frames: np.ndarray, titles: list[str] | None = None, suptitle: str | None = None, axes: np.ndarray | None = None
) -> Figure:
    """Frames (N, H, W) side by side in one row, grey 0-255, no ticks."""
    if axes is None:
        axes = plt.subplots(1, len(frames), figsize=(1.6 * len(frames), 1.6), squeeze=False)[1][0]
    for i, (ax, frame) in enumerate(zip(axes, frames)):
        ax.imshow(frame, cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if titles:
            ax.set_title(titles[i], fontsize=8)
    fig = axes[0].figure
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _spans(labels: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) 0-based indices of each run of True."""
    y = np.concatenate([[False], np.asarray(labels, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(y.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def shade_ground_truth(ax: Axes, labels: np.ndarray, label: str = "ground truth: abnormal") -> None:
    """Shade the abnormal frames (1-based frame axis) on ``ax``."""
    for i, (a, b) in enumerate(_spans(labels)):
        ax.axvspan(a + 0.5, b + 1.5, color=ABNORMAL_COLOR, alpha=0.15, lw=0, label=label if i == 0 else None)


def roc_curves(
    methods: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
    normalization: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Frame-level ROC curves of several methods on one axis; legend with micro and macro AUC.

    ``methods`` maps a name to ``(labels_by_clip, scores_by_clip)``. Each curve pools all frames
    (micro); the legend gives the micro AUC and the macro AUC (mean over clips with both
    classes). ``normalization`` names how the scores were normalised (shown in the title).
    Introduced in notebook 05.
    """
    ax = _axes(ax, SQUARE)
    for name, (labels, scores) in methods.items():
        auc = frame_auc(labels, scores)
        fpr, tpr, _ = roc(concat(labels), concat(scores))
        macro = "n/a" if auc.macro is None else f"{auc.macro:.3f}"
        ax.plot(fpr, tpr, label=f"{name}: micro AUC {auc.micro:.3f}, macro AUC {macro}")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8, label="chance (AUC 0.5)")
    ax.set_xlabel("false-positive rate (normal frames flagged)")
    ax.set_ylabel("true-positive rate (abnormal frames flagged)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_title("Frame-level ROC, curves pooled over all frames (micro)" + (f"\nscores: {normalization}" if normalization else ""))
    ax.legend(loc="lower right")
    return ax


def score_timeline(
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float | None = None,
    ax: Axes | None = None,
    title: str = "Anomaly score per frame",
    score_label: str = "anomaly score",
) -> Axes:
    """One clip's score per frame (1-based) with the abnormal frames shaded and the threshold drawn.

    ``labels`` None (an unlabelled clip) is said in the title rather than drawn as all-normal.
    Introduced in notebook 05.
    """
    ax = _axes(ax)
    frames = np.arange(1, len(scores) + 1)
    if labels is not None:
        shade_ground_truth(ax, labels)
    ax.plot(frames, scores, color="black", label="score")
    if threshold is not None:
        ax.axhline(threshold, color=ABNORMAL_COLOR, ls="--", lw=1, label=f"threshold {threshold:.3g}")
        flagged = np.asarray(scores) >= threshold
        ax.plot(frames[flagged], np.asarray(scores)[flagged], "o", ms=2, color=ABNORMAL_COLOR, label="flagged frames")
    ax.set_xlim(0.5, len(scores) + 0.5)
    ax.set_xlabel("frame")
    ax.set_ylabel(score_label)
    ax.set_title(title if labels is not None else f"{title} (no ground truth for this clip)")
    ax.legend(loc="upper left")
    return ax


def score_histograms(
    scores: np.ndarray,
    labels: np.ndarray,
    threshold: float | None = None,
    ax: Axes | None = None,
    bins: int = 40,
    score_label: str = "anomaly score",
) -> Axes:
    """Histograms (densities) of the scores of normal and of abnormal frames, threshold drawn.

    Introduced in notebook 05.
    """
    ax = _axes(ax)
    s, y = np.asarray(scores, dtype=float).ravel(), np.asarray(labels, dtype=bool).ravel()
    edges = np.histogram_bin_edges(s, bins=bins)
    ax.hist(s[~y], bins=edges, density=True, alpha=0.55, color=NORMAL_COLOR, label=f"normal frames ({(~y).sum()})")
    ax.hist(s[y], bins=edges, density=True, alpha=0.55, color=ABNORMAL_COLOR, label=f"abnormal frames ({y.sum()})")
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", lw=1, label=f"threshold {threshold:.3g}")
    ax.set_xlabel(score_label)
    ax.set_ylabel("density (fraction of frames per unit score)")
    ax.set_title("Scores of normal vs abnormal frames (ground truth)")
    ax.legend()
    return ax


def error_heatmaps(
    maps: np.ndarray,
    frame_indices: list[int],
    frames: np.ndarray | None = None,
    masks: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    error_label: str = "squared error",
) -> Figure:
    """Per-pixel error maps of the chosen frames (0-based indices), one column each.

    With ``frames`` a first row shows the frames; ``masks`` outline the truly anomalous pixels
    (green contour); ``labels`` name each frame normal/abnormal. One colour scale for all maps.
    Introduced in notebook 05.
    """
    rows = 2 if frames is not None else 1
    n = len(frame_indices)
    fig, axes = plt.subplots(rows, n, figsize=(1.9 * n + 0.8, 1.7 * rows + 0.4), squeeze=False)
    vmax = float(np.max([maps[i].max() for i in frame_indices])) or 1.0
    image = None
    for col, i in enumerate(frame_indices):
        state = "" if labels is None else (" abnormal" if labels[i] else " normal")
        if frames is not None:
            axes[0, col].imshow(frames[i], cmap="gray")
            axes[0, col].set_title(f"frame {i + 1}{state}")
        heat = axes[rows - 1, col]
        image = heat.imshow(maps[i], cmap="inferno", vmin=0, vmax=vmax)
        if masks is not None and np.asarray(masks[i]).any():
            heat.contour(np.asarray(masks[i], dtype=float), levels=[0.5], colors="lime", linewidths=0.8)
        heat.set_title(f"error, frame {i + 1}" if frames is not None else f"frame {i + 1}{state}")
        for a in axes[:, col]:
            a.set_xticks([])
            a.set_yticks([])
            a.grid(False)
    axes[rows - 1, 0].set_ylabel("error map")
    if frames is not None:
        axes[0, 0].set_ylabel("input")
    fig.colorbar(image, ax=axes[rows - 1, :].tolist(), label=error_label, shrink=0.9)
    fig.suptitle("Per-pixel reconstruction error" + (" (green: ground-truth anomaly mask)" if masks is not None else ""))
    return fig


KIND_COLORS = {"baseline": "tab:gray", "model": "tab:blue", "combination": "tab:purple"}


def journey_chart(rows: list[dict], goal: float | None = None, reference: str | None = None, ax: Axes | None = None) -> Axes:
    """Micro AUC of several methods as horizontal bars, one dot per fold, in the order given.

    Each row holds ``label``, ``micro_train`` (mean over folds), ``fold_micro_train`` (one per
    fold) and ``kind`` ("baseline", "model" or "combination": the bar's colour). ``goal`` draws a
    vertical target line; ``reference`` (a label) draws that row's mean as a dashed line, the bar
    to beat. Introduced in notebook 06.
    """
    ax = _axes(ax, (7.5, 0.32 * len(rows) + 1.6))
    lo = min(min([r["micro_train"], *r.get("fold_micro_train", [])]) for r in rows)
    left = max(0.0, np.floor(lo * 10) / 10 - 0.05)
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows):
        color = KIND_COLORS.get(row.get("kind", "model"), "tab:blue")
        ax.barh(yi, row["micro_train"] - left, left=left, color=color, alpha=0.55, height=0.7)
        folds = row.get("fold_micro_train", [])
        ax.plot(folds, [yi] * len(folds), "o", color="black", ms=2.5, label="one fold" if yi == y[0] else None)
        ax.text(left + 0.005, yi, f"{row['micro_train']:.3f}", va="center", fontsize=7)  # inside the bar, clear of the dots
    if goal is not None:
        ax.axvline(goal, color="tab:green", ls="-", lw=1, label=f"goal: micro AUC {goal:g}")
    if reference is not None:
        ref = next((r for r in rows if r["label"] == reference), None)
        if ref is None:
            raise ValueError(f"reference {reference!r} is not one of the rows' labels")
        ax.axvline(ref["micro_train"], color=ABNORMAL_COLOR, ls="--", lw=1, label=f"{reference}: {ref['micro_train']:.3f}")
    for kind, color in KIND_COLORS.items():
        if any(r.get("kind", "model") == kind for r in rows):
            ax.barh([np.nan], [np.nan], color=color, alpha=0.55, label=kind)
    ax.set_yticks(y, [r["label"] for r in rows])
    ax.set_xlim(left, 1.0)
    ax.set_xlabel("frame-level AUC, micro (pooled frames), training-statistics normalisation")
    ax.set_title("Held-out clips: mean over folds (bars) and each fold (dots)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7)  # below the axes: no bar hidden
    return ax
