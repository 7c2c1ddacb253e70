"""Widgets update their text and image when the slider moves (no browser needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from companion.widgets import frame_scrubber, threshold_explorer  # noqa: E402


def test_threshold_slider_updates_precision_recall_and_confusion() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    labels = np.array([0, 0, 1, 0, 1, 1], bool)
    w = threshold_explorer(scores, labels, value=0.5)
    assert "precision 0.667, recall 0.667" in w.text.value and "1 (FP)" in w.text.value
    before = w.image.value
    w.slider.value = 0.25
    assert "precision 0.750, recall 1.000" in w.text.value
    assert "2 (TN)" in w.text.value and "0 (FN)" in w.text.value and "3 (TP)" in w.text.value
    assert w.image.value != before and len(w.image.value) > 0


def test_frame_scrubber_follows_the_slider() -> None:
    rng = np.random.default_rng(0)
    frames = (rng.random((6, 8, 10)) * 255).astype(np.uint8)
    rec = rng.random((6, 8, 10)).astype(np.float32)
    maps = rng.random((6, 8, 10)).astype(np.float32)
    labels = np.array([0, 0, 0, 1, 1, 0], bool)
    w = frame_scrubber(frames, rec, maps, maps.mean(axis=(1, 2)), labels, threshold=0.5, name="Test003")
    assert "frame 1/6" in w.text.value and "ground truth: normal" in w.text.value
    before = w.image.value
    w.slider.value = 4
    assert "frame 4/6" in w.text.value and "ground truth: abnormal" in w.text.value
    assert w.image.value != before
    assert w._marker.get_xdata()[0] == 4
