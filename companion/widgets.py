"""Interactive views for notebook 05: a frame scrubber and a threshold slider.

Each widget redraws a matplotlib figure into an ``ipywidgets.Image`` and updates an ``HTML``
text, so it works in any Jupyter front end (no interactive backend) and can be tested without
a browser: create it, set ``widget.slider.value``, read ``widget.text.value``.
Introduced in notebook 05.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from companion.metrics import at_threshold
from companion.plots import COURSE_STYLE, score_histograms, score_timeline


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)
    return buffer.getvalue()


class FrameScrubber(widgets.VBox):
    """Frame, reconstruction and error map of the frame under the slider, and its place on the timeline.

    ``frames``, ``reconstruction`` and ``error_maps`` are (T, H, W); ``scores`` (T,) one per frame;
    ``labels`` (T,) the ground truth or None.
    """

    def __init__(
        self,
        frames: np.ndarray,
        reconstruction: np.ndarray,
        error_maps: np.ndarray,
        scores: np.ndarray,
        labels: np.ndarray | None,
        threshold: float | None = None,
        name: str = "clip",
    ) -> None:
        self.frames, self.scores, self.labels = frames, np.asarray(scores, dtype=float), labels
        self.reconstruction, self.error_maps, self.threshold, self.name = reconstruction, error_maps, threshold, name
        with mpl.rc_context(COURSE_STYLE):
            self._build_figure(threshold, name)
        self.slider = widgets.IntSlider(value=1, min=1, max=len(frames), description="frame", continuous_update=False)
        self.image = widgets.Image(format="png")
        self.text = widgets.HTML()
        self.slider.observe(self._on_change, names="value")
        super().__init__([self.slider, self.text, self.image])
        self._draw(1)

    def _build_figure(self, threshold: float | None, name: str) -> None:
        frames, reconstruction, error_maps = self.frames, self.reconstruction, self.error_maps
        self.figure = Figure(figsize=(8.0, 4.6), dpi=80, layout="constrained")
        grid = self.figure.add_gridspec(2, 3, height_ratios=[1.2, 1])
        panels = [self.figure.add_subplot(grid[0, c]) for c in range(3)]
        vmax = float(np.max(error_maps)) or 1.0
        self._images = [
            panels[0].imshow(frames[0], cmap="gray", vmin=0, vmax=255 if frames.dtype == np.uint8 else 1),
            panels[1].imshow(reconstruction[0], cmap="gray", vmin=0, vmax=1),
            panels[2].imshow(error_maps[0], cmap="inferno", vmin=0, vmax=vmax),
        ]
        for ax, title in zip(panels, ("input frame", "reconstruction", "squared error (shared scale)")):
            ax.set_title(title)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        self.figure.colorbar(self._images[2], ax=panels[2], shrink=0.8, label="squared error")
        timeline = self.figure.add_subplot(grid[1, :])
        score_timeline(self.scores, self.labels, threshold, ax=timeline, title=f"{name}: anomaly score per frame")
        self._marker = timeline.axvline(1, color="tab:green", lw=1.5)

    def _on_change(self, change: dict) -> None:
        self._draw(int(change["new"]))

    def _draw(self, frame: int) -> None:
        i = frame - 1
        for image, data in zip(self._images, (self.frames, self.reconstruction, self.error_maps)):
            image.set_data(data[i])
        self._marker.set_xdata([frame, frame])
        truth = "no ground truth" if self.labels is None else ("abnormal" if self.labels[i] else "normal")
        flag = "" if self.threshold is None else (", flagged" if self.scores[i] >= self.threshold else ", not flagged")
        self.text.value = (
            f"<b>{self.name}</b> frame {frame}/{len(self.frames)}: score {self.scores[i]:.4g}{flag}; "
            f"ground truth: {truth}"
        )
        self.image.value = _png(self.figure)


def frame_scrubber(
    frames: np.ndarray,
    reconstruction: np.ndarray,
    error_maps: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float | None = None,
    name: str = "clip",
) -> FrameScrubber:
    """A :class:`FrameScrubber` widget for one clip. Introduced in notebook 05."""
    return FrameScrubber(frames, reconstruction, error_maps, scores, labels, threshold, name)


class ThresholdExplorer(widgets.VBox):
    """A threshold slider that updates precision, recall, F1 and the confusion matrix live.

    ``scores`` and ``labels`` are pooled over frames (higher score = more anomalous; a frame is
    flagged when ``score >= threshold``).
    """

    def __init__(self, scores: np.ndarray, labels: np.ndarray, value: float | None = None) -> None:
        self.scores = np.asarray(scores, dtype=float).ravel()
        self.labels = np.asarray(labels, dtype=bool).ravel()
        lo, hi = float(self.scores.min()), float(self.scores.max())
        step = (hi - lo) / 200 if hi > lo else 1.0
        start = float(np.median(self.scores)) if value is None else float(value)
        self.slider = widgets.FloatSlider(
            value=start, min=lo, max=hi + step, step=step, description="threshold", readout_format=".4g",
            continuous_update=False,
        )  # fmt: skip
        with mpl.rc_context(COURSE_STYLE):
            self.figure = Figure(figsize=(6.0, 2.8), dpi=80, layout="constrained")
            ax = self.figure.add_subplot()
            score_histograms(self.scores, self.labels, ax=ax)
            self._line = ax.axvline(start, color="black", ls="--", lw=1, label="threshold")
            ax.legend()
        self.text = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.slider.observe(self._on_change, names="value")
        super().__init__([self.slider, self.text, self.image])
        self._draw(start)

    def _on_change(self, change: dict) -> None:
        self._draw(float(change["new"]))

    def _draw(self, threshold: float) -> None:
        m = at_threshold(self.labels, self.scores, threshold)
        (tn, fp), (fn, tp) = m.confusion
        self.text.value = (
            f"threshold {threshold:.4g}: precision {m.precision:.3f}, recall {m.recall:.3f}, F1 {m.f1:.3f}"
            "<table style='border-collapse:collapse'>"
            "<tr><td></td><th>predicted normal</th><th>predicted abnormal</th></tr>"
            f"<tr><th>truly normal</th><td>{tn} (TN)</td><td>{fp} (FP)</td></tr>"
            f"<tr><th>truly abnormal</th><td>{fn} (FN)</td><td>{tp} (TP)</td></tr></table>"
        )
        self._line.set_xdata([threshold, threshold])
        self.image.value = _png(self.figure)


def threshold_explorer(scores: np.ndarray, labels: np.ndarray, value: float | None = None) -> ThresholdExplorer:
    """A :class:`ThresholdExplorer` widget over pooled frame scores. Introduced in notebook 05."""
    return ThresholdExplorer(scores, labels, value)
