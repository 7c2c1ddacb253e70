"""The course's plots of scores, ROC curves and error maps, in one style set once.

Every function draws on ``ax`` when given (else on a new figure of the course's size) and
returns the Axes or Figure; every plot of a score shows the ground truth beside it.
Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from companion.events import surrounding_median
from companion.groundtruth import ranges_of
from companion.metrics import PixelROC, concat, frame_auc, roc

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


def reconstruction_grid(
    windows: Sequence[tuple[str, np.ndarray, np.ndarray]],
    column_titles: Sequence[Sequence[str]],
    error_max: float | None = None,
) -> Figure:
    """Windows and what a model made of them, frame by frame, one column per frame.

    ``windows`` holds ``(name, inputs, outputs)`` with inputs and outputs ``(T, H, W)`` in [0, 1];
    ``column_titles`` one title per frame of each window. Each window gets a row of inputs and a
    row of outputs (grey, 0 to 1) and, given ``error_max``, a row of squared errors on the colour
    scale 0 to ``error_max`` (inferno). Rows are labelled "input", "output", "error", the first
    after the window's name when it has one. Introduced in notebook 04.
    """
    n_t = len(column_titles[0])
    kinds = ["input", "output"] + (["error"] if error_max is not None else [])
    n_rows = len(kinds) * len(windows)
    fig, axes = plt.subplots(n_rows, n_t, figsize=(1.25 * n_t, 0.65 + 0.825 * n_rows), squeeze=False)
    for block, ((name, inputs, outputs), titles) in enumerate(zip(windows, column_titles)):
        x, y = np.asarray(inputs), np.asarray(outputs)
        images = [(x, 1, "gray"), (y, 1, "gray")] + ([((y - x) ** 2, error_max, "inferno")] if error_max is not None else [])
        for r, (img, vmax, cmap) in enumerate(images):
            row = axes[len(kinds) * block + r]
            for t, ax in enumerate(row):
                ax.imshow(img[t], vmin=0, vmax=vmax, cmap=cmap)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
            row[0].set_ylabel(f"{name}\n{kinds[r]}" if name and r == 0 else kinds[r], fontsize=7)
        for ax, title in zip(axes[len(kinds) * block], titles):
            ax.set_title(title, fontsize=7)
    return fig


def learning_curves(
    history: Mapping[str, Sequence[float]],
    val_clips: Sequence[str] = (),
    title: str = "Learning curves",
    loss_label: str = "reconstruction loss (MSE per pixel)",
    ax: Axes | None = None,
) -> Axes:
    """Training and validation loss per epoch (a run's ``history``), log scale.

    The training loss is averaged during each epoch, while the weights change; the validation
    loss after it (the legend says so, and names ``val_clips``). Introduced in notebook 04.
    """
    ax = _axes(ax, (6.4, 3.0))
    ax.plot(history["epoch"], history["train_loss"], "o-", label="training windows (during the epoch)")
    held_out = f" ({', '.join(val_clips)})" if val_clips else ""
    ax.plot(history["epoch"], history["val_loss"], "s-", label=f"validation windows{held_out}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(loss_label)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    return ax


def speed_boxplot(by_speed: Mapping[int, np.ndarray], clip: str, about: str = "the clip", ax: Axes | None = None) -> Axes:
    """Box plots of the window errors of the clip named ``clip`` played at several speeds
    (:func:`companion.events.speed_errors`), one box per speed; ``about`` says which clip it is on
    the speed axis. Introduced in notebook 04.
    """
    ax = _axes(ax, (5.6, 3.0))
    ax.boxplot([by_speed[s] for s in by_speed], tick_labels=[f"{s}x" for s in by_speed])
    ax.set_xlabel(f"playback speed of {about} (0x: one frame repeated)")
    ax.set_ylabel("window reconstruction error (MSE)")
    ax.set_title(f"Same frames, different speeds: {clip}")
    return ax


def shade_ground_truth(ax: Axes, labels: np.ndarray, label: str = "ground truth: abnormal") -> None:
    """Shade the abnormal frames (1-based frame axis) on ``ax``."""
    for i, (a, b) in enumerate(ranges_of(labels)):
        ax.axvspan(a - 0.5, b + 0.5, color=ABNORMAL_COLOR, alpha=0.15, lw=0, label=label if i == 0 else None)


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


def score_timelines(
    scores: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray | None],
    threshold: float | None = None,
    score_label: str = "anomaly score",
) -> Figure:
    """:func:`score_timeline` of every clip, one panel each (titled with the clip's name), stacked
    on a shared frame axis; the legend on the first panel only. Introduced in notebook 05.
    """
    fig, axes = plt.subplots(len(scores), 1, figsize=(7.5, 1.7 * len(scores)), sharex=True, squeeze=False)
    for i, (ax, name) in enumerate(zip(axes[:, 0], scores)):
        score_timeline(scores[name], labels.get(name), threshold, ax=ax, title=name, score_label=score_label)
        ax.get_legend().set_visible(i == 0)
    return fig


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


def pixel_roc_curves(rocs: Mapping[str, PixelROC], ax: Axes | None = None) -> Axes:
    """Pixel-level ROC curves (:func:`companion.metrics.pixel_roc`, the UCSD 40% criterion) of
    several methods on one axis; the legend gives each one's AUC and EER. Introduced in notebook 05.
    """
    ax = _axes(ax, (4.6, 4.2))
    for name, p in rocs.items():
        ax.plot(p.fpr, p.tpr, label=f"{name}: AUC {p.auc:.3f}, EER {p.eer:.2f}")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
    ax.set_xlabel("false-positive rate (normal frames with any pixel flagged)")
    ax.set_ylabel("true-positive rate (abnormal frames, >= 40% of mask flagged)")
    ax.set_title("Pixel-level ROC (UCSD criterion)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=7)
    return ax


def scores_around(
    scores: Mapping[str, np.ndarray],
    frame: int,
    clip: str,
    event: str = "event",
    title: str = "Scores around a one-frame event",
    before: int = 10,
    after: int = 11,
    ax: Axes | None = None,
) -> Axes:
    """Each method's scores on the frames around ``frame`` (0-based), relative to the median of the
    surrounding frames (:func:`companion.events.surrounding_median`), on a log scale.

    ``scores`` maps a method to its scores of the clip named ``clip``; the frames from ``before``
    frames before ``frame`` to ``after`` after it are drawn (1-based on the axis), and ``frame``
    is marked with the label ``event``. Introduced in notebook 05.
    """
    ax = _axes(ax, (6.4, 3.0))
    n = min(len(s) for s in scores.values())
    shown = np.arange(max(frame - before, 0), min(frame + after + 1, n))
    for name, s in scores.items():
        ax.plot(shown + 1, np.asarray(s)[shown] / surrounding_median(s, frame), "o-", ms=3, label=name)
    ax.axvline(frame + 1, color="grey", ls=":", lw=1, label=event)
    ax.set_yscale("log")
    ax.set_xlabel(f"frame of {clip}")
    ax.set_ylabel("score / median of the surrounding frames")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


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
