"""Plots return figures with labelled axes and draw the ground truth beside every score."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.metrics import pixel_roc  # noqa: E402
from companion.plots import (  # noqa: E402
    COURSE_STYLE,
    error_heatmaps,
    frame_strip,
    journey_chart,
    learning_curves,
    pixel_roc_curves,
    reconstruction_grid,
    roc_curves,
    score_histograms,
    score_timeline,
    score_timelines,
    scores_around,
    speed_boxplot,
    use_course_style,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _example() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    labels = {"Test001": np.array([0, 0, 1, 1, 0], bool), "Test002": np.array([0, 1, 1, 0, 0], bool)}
    scores = {"Test001": np.array([0.1, 0.2, 0.9, 0.8, 0.3]), "Test002": np.array([0.5, 0.6, 0.7, 0.2, 0.1])}
    return labels, scores


def test_style_sets_fixed_small_figures() -> None:
    use_course_style()
    assert tuple(matplotlib.rcParams["figure.figsize"]) == COURSE_STYLE["figure.figsize"]
    assert plt.figure().get_size_inches().tolist() == list(COURSE_STYLE["figure.figsize"])


def test_roc_curves_legend_names_micro_and_macro() -> None:
    labels, scores = _example()
    ax = roc_curves({"model": (labels, scores), "motion": (labels, {k: -v for k, v in scores.items()})}, "z-scores")
    assert "false-positive rate" in ax.get_xlabel() and "true-positive rate" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("model: micro AUC") and "macro AUC" in texts[0]
    assert "micro" in ax.get_title() and "z-scores" in ax.get_title()


def test_timeline_shades_ground_truth_and_draws_threshold() -> None:
    labels, scores = _example()
    ax = score_timeline(scores["Test001"], labels["Test001"], threshold=0.5)
    assert ax.get_xlabel() == "frame" and ax.get_ylabel() == "anomaly score" and ax.get_title()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ground truth: abnormal" in texts and any(t.startswith("threshold") for t in texts)
    shaded = [p for p in ax.patches]  # one span: frames 3-4 (1-based)
    assert len(shaded) == 1
    assert shaded[0].get_x() == pytest.approx(2.5) and shaded[0].get_width() == pytest.approx(2.0)
    unlabelled = score_timeline(scores["Test001"], None)
    assert "no ground truth" in unlabelled.get_title()


def test_histograms_and_heatmaps_are_labelled() -> None:
    labels, scores = _example()
    ax = score_histograms(np.concatenate(list(scores.values())), np.concatenate(list(labels.values())), 0.5)
    assert ax.get_xlabel() == "anomaly score" and "density" in ax.get_ylabel() and ax.get_title()
    maps = np.random.default_rng(0).random((5, 6, 8))
    masks = np.zeros((5, 6, 8), bool)
    masks[2, 1:3, 1:3] = True
    fig = error_heatmaps(maps, [1, 2], frames=maps, masks=masks, labels=labels["Test001"])
    titles = [a.get_title() for a in fig.axes]
    assert "frame 3 abnormal" in titles and "error, frame 3" in titles
    assert any(a.get_ylabel() == "squared error" for a in fig.axes)  # the colour bar
    assert fig.get_suptitle()


def test_frame_strip_shows_every_frame_with_its_title() -> None:
    frames = np.stack([np.full((8, 12), v, dtype=np.uint8) for v in (0, 128, 255)])
    fig = frame_strip(frames, titles=["a", "b", "c"], suptitle="three frames")
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    assert fig._suptitle.get_text() == "three frames"
    plt.close(fig)


def test_journey_chart_draws_every_method_the_goal_and_the_bar_to_beat() -> None:
    rows = [
        {"label": "motion energy", "micro_train": 0.81, "fold_micro_train": [0.75, 0.9, 0.8], "kind": "baseline"},
        {"label": "model", "micro_train": 0.86, "fold_micro_train": [0.8, 0.95, 0.83], "kind": "model"},
    ]
    ax = journey_chart(rows, goal=0.85, reference="motion energy")
    assert {t.get_text() for t in ax.get_yticklabels()} == {"motion energy", "model"}
    assert "micro" in ax.get_xlabel() and "normalisation" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "goal: micro AUC 0.85" in legend and "motion energy: 0.810" in legend and "baseline" in legend
    with pytest.raises(ValueError, match="reference"):
        journey_chart(rows, reference="nope")


def test_reconstruction_grid_shows_inputs_outputs_and_squared_errors() -> None:
    x, y = np.full((3, 4, 5), 0.5), np.full((3, 4, 5), 0.25)
    fig = reconstruction_grid([("Train004", x, y), ("Test001", y, y)], [["a", "b", "c"], ["d", "e", "f"]], error_max=0.1)
    assert len(fig.axes) == 6 * 3  # two windows of three rows, three frames each
    rows = np.array(fig.axes).reshape(6, 3)
    assert [ax.get_ylabel() for ax in rows[:, 0]] == ["Train004\ninput", "output", "error", "Test001\ninput", "output", "error"]
    assert [ax.get_title() for ax in rows[0]] == ["a", "b", "c"] and [ax.get_title() for ax in rows[3]] == ["d", "e", "f"]
    error = rows[2, 0].get_images()[0]
    assert np.asarray(error.get_array()) == pytest.approx(np.full((4, 5), 0.0625))  # (0.25 - 0.5)^2
    assert error.get_clim() == (0, 0.1) and np.asarray(rows[5, 0].get_images()[0].get_array()).max() == 0
    pair = reconstruction_grid([("", x, y)], [["t = 0", "t = 1", "t = 2"]])
    assert len(pair.axes) == 2 * 3 and [pair.axes[0].get_ylabel(), pair.axes[3].get_ylabel()] == ["input", "output"]


def test_learning_curves_draw_both_losses_per_epoch() -> None:
    history = {"epoch": [1, 2, 3], "train_loss": [0.02, 0.01, 0.005], "val_loss": [0.015, 0.008, 0.004]}
    ax = learning_curves(history, ["Train004"], title="run")
    (train_line, val_line) = ax.get_lines()
    assert list(train_line.get_ydata()) == history["train_loss"] and list(val_line.get_ydata()) == history["val_loss"]
    assert ax.get_xlabel() == "epoch" and "MSE" in ax.get_ylabel() and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "validation windows (Train004)"


def test_score_timelines_one_panel_per_clip_one_legend() -> None:
    labels, scores = _example()
    fig = score_timelines(scores, labels, threshold=0.5, score_label="z-score")
    assert [ax.get_title() for ax in fig.axes] == ["Test001", "Test002"]
    assert [ax.get_legend().get_visible() for ax in fig.axes] == [True, False]
    assert all(ax.get_ylabel() == "z-score" for ax in fig.axes)


def test_pixel_roc_curves_label_each_method() -> None:
    masks = np.zeros((4, 6, 6), bool)
    masks[:2, 1:4, 1:4] = True
    maps = np.random.default_rng(0).random((4, 6, 6))
    ax = pixel_roc_curves({"model": pixel_roc(maps, masks)})
    p = pixel_roc(maps, masks)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"model: AUC {p.auc:.3f}, EER {p.eer:.2f}"]
    assert "false-positive rate" in ax.get_xlabel() and "40%" in ax.get_ylabel() and ax.get_title()


def test_scores_around_divides_by_the_surrounding_median() -> None:
    flat = np.full(40, 2.0)
    flat[20] = 20.0  # ten times its surroundings
    ax = scores_around({"model": flat}, 20, "Test001", event="glitch")
    (line,) = ax.get_lines()[:1]
    assert list(line.get_xdata()) == list(range(11, 33))  # frames 11-32 (1-based) around frame 21
    assert line.get_ydata()[10] == 10.0 and set(np.delete(line.get_ydata(), 10)) == {1.0}
    assert ax.get_xlabel() == "frame of Test001" and "median" in ax.get_ylabel() and ax.get_yscale() == "log"
    assert "glitch" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_speed_boxplot_one_box_per_speed() -> None:
    ax = speed_boxplot({0: np.array([1.0, 2.0]), 1: np.array([1.0, 3.0]), 2: np.array([2.0, 2.5])}, "Train004", "the validation clip")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0x", "1x", "2x"]
    assert "speed of the validation clip" in ax.get_xlabel() and "MSE" in ax.get_ylabel() and "Train004" in ax.get_title()
    assert [line.get_ydata()[0] for line in ax.get_lines()[5::7]] == [1.5, 2.0, 2.25]  # the medians
