"""Metrics on crafted scores with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from companion.metrics import (
    PixelCheck,
    SingleClassError,
    at_threshold,
    average_precision,
    equal_error_rate,
    frame_auc,
    frame_report,
    pixel_check,
    pixel_roc,
    threshold_best_f1,
    threshold_mean_std,
    threshold_percentile,
    ucsd_detected,
    ucsd_pixel_scores,
)


def test_perfect_scores_give_auc_one_and_eer_zero() -> None:
    y = np.array([0, 0, 0, 1, 1], bool)
    s = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    auc = frame_auc({"a": y}, {"a": s})
    assert auc.micro == auc.macro == 1.0
    assert equal_error_rate(y, s) == 0.0
    assert average_precision(y, s) == 1.0


def test_micro_and_macro_differ_and_single_class_clip_is_named_and_skipped() -> None:
    labels = {"A": np.array([0, 1], bool), "B": np.array([0, 1], bool), "C": np.array([0, 0], bool)}
    # each clip ranks its own frames perfectly, but clip B's scores sit above clip A's
    scores = {"A": np.array([0.1, 0.3]), "B": np.array([0.5, 0.7]), "C": np.array([0.0, 0.2])}
    auc = frame_auc(labels, scores)
    assert auc.macro == 1.0
    assert auc.per_clip == {"A": 1.0, "B": 1.0, "C": None}
    assert auc.skipped == ["C"]
    # pooled: abnormal {0.3, 0.7} vs normal {0.1, 0.5, 0.0, 0.2}: 0.3 beats 3 of 4, 0.7 beats 4 of 4
    assert auc.micro == pytest.approx(7 / 8)


def test_eer_on_known_cases() -> None:
    y = np.array([0, 0, 1, 1], bool)
    # normal {0.1, 0.6}, abnormal {0.4, 0.9}: ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1); fpr = 1 - tpr at .5
    assert equal_error_rate(y, np.array([0.1, 0.6, 0.4, 0.9])) == pytest.approx(0.5)
    # normal {.1, .2, .9}, abnormal {.5}: ROC (0,0) (1/3,0) (1/3,1) (1,1); the crossing is at fpr 1/3
    y2 = np.array([0, 0, 0, 1], bool)
    assert equal_error_rate(y2, np.array([0.1, 0.2, 0.9, 0.5])) == pytest.approx(1 / 3)


def test_single_class_pool_is_refused() -> None:
    with pytest.raises(SingleClassError, match="both normal and abnormal"):
        frame_auc({"a": np.zeros(3, bool)}, {"a": np.arange(3.0)})


def test_thresholds_from_training_errors() -> None:
    train = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert threshold_mean_std(train) == pytest.approx(3.0 + 2 * np.sqrt(2.0))
    assert threshold_mean_std(train, k=1) == pytest.approx(3.0 + np.sqrt(2.0))
    assert threshold_percentile(train, 50) == 3.0
    assert threshold_percentile(train, 100) == 5.0


def test_f1_optimal_threshold_uses_only_the_validation_split() -> None:
    val_scores = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    val_labels = np.array([0, 0, 0, 1, 1, 1], bool)
    t = threshold_best_f1(val_scores, val_labels)
    assert t == 0.4  # one of the validation scores; F1 = 1 on validation
    assert at_threshold(val_labels, val_scores, t).f1 == 1.0
    # a test split where another threshold would be better does not move it: it is never seen
    test_scores, test_labels = np.array([0.3, 0.36, 0.5]), np.array([0, 1, 1], bool)
    assert at_threshold(test_labels, test_scores, t).recall == 0.5
    assert threshold_best_f1(val_scores, val_labels) == t


def test_metrics_at_a_threshold() -> None:
    y = np.array([0, 0, 0, 1, 1, 1], bool)
    s = np.array([0.1, 0.6, 0.2, 0.7, 0.3, 0.9])
    m = at_threshold(y, s, 0.5)  # flagged: 0.6 (fp), 0.7, 0.9 (tp); missed 0.3
    assert m.confusion == [[2, 1], [1, 2]]
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3) and m.f1 == pytest.approx(2 / 3)
    none = at_threshold(y, s, 5.0)
    assert none.precision == 0.0 and none.recall == 0.0 and none.f1 == 0.0


def test_frame_report_keys() -> None:
    labels = {"A": np.array([0, 0, 1, 1], bool), "B": np.zeros(3, bool)}
    scores = {"A": np.array([0.1, 0.2, 0.8, 0.9]), "B": np.array([0.1, 0.3, 0.2])}
    r = frame_report(labels, scores, train_scores=np.array([0.1, 0.2, 0.3]))
    assert r["n_frames"] == 7 and r["n_abnormal_frames"] == 2
    assert r["per_clip"] == {"A": 1.0, "B": None} and r["skipped_single_class"] == ["B"]
    assert set(r["thresholds"]) == {"mean_plus_2_std", "percentile_99"}
    assert r["thresholds"]["mean_plus_2_std"]["confusion"] == [[5, 0], [0, 2]]


def _square_mask(t: int = 1) -> np.ndarray:
    m = np.zeros((t, 10, 10), bool)
    m[:, 2:7, 2:7] = True  # 25 anomalous pixels
    return m


def test_ucsd_forty_percent_criterion() -> None:
    mask = _square_mask()[0]
    err = np.zeros((10, 10))
    err[2:4, 2:7] = 1.0  # 10 of 25 anomalous pixels = 40%: detected
    assert ucsd_detected(err, mask, threshold=0.5)
    err[3, 6] = 0.0  # 9 of 25 = 36%: not detected, although pixels are flagged
    assert not ucsd_detected(err, mask, threshold=0.5)
    err2 = np.zeros((10, 10))
    err2[0:5, 0:10] = 1.0  # 50 flagged pixels but only rows 2-4 of the square: 15/25 = 60%
    assert ucsd_detected(err2, mask, threshold=0.5)


def test_pixel_roc_by_the_ucsd_criterion() -> None:
    masks = np.concatenate([_square_mask(2), np.zeros((2, 10, 10), bool)])
    maps = np.zeros((4, 10, 10))
    maps[0][_square_mask()[0]] = 0.9  # abnormal frame, well localised
    maps[1, 0, 0] = 5.0  # abnormal frame: big error, but outside the mask -> never 40% covered
    maps[2, 9, 9] = 0.5  # normal frames: false positive once any pixel is flagged
    maps[3, 9, 9] = 0.2
    scores, abnormal = ucsd_pixel_scores(maps, masks)
    assert abnormal.tolist() == [True, True, False, False]
    np.testing.assert_allclose(scores, [0.9, 0.0, 0.5, 0.2])
    roc = pixel_roc(maps, masks)
    assert roc.auc == pytest.approx(0.5)  # frame 0 beats both normals, frame 1 none
    assert roc.eer == pytest.approx(0.5)
    for i, t in enumerate(roc.thresholds[1:], start=1):  # the sweep agrees with the criterion
        detected = [ucsd_detected(maps[f], masks[f], t) for f in (0, 1)]
        assert roc.tpr[i] == pytest.approx(np.mean(detected))
        assert roc.fpr[i] == pytest.approx(np.mean(maps[2:].reshape(2, -1).max(axis=1) >= t))


def test_pixel_eer_threshold_is_where_false_alarms_and_misses_balance() -> None:
    masks = np.concatenate([_square_mask(3), np.zeros((3, 10, 10), bool)])
    maps = np.zeros((6, 10, 10))
    maps[0][masks[0]], maps[1][masks[1]] = 0.9, 0.6  # two abnormal frames, well localised
    maps[2, 0, 0] = 5.0  # one abnormal frame with its error outside the mask: never detected
    maps[3, 9, 9], maps[4, 9, 9], maps[5, 9, 9] = 0.7, 0.3, 0.1  # three normal frames
    roc = pixel_roc(maps, masks)
    # at 0.6: normal frame 3 flagged (FPR 1/3), abnormal frame 2 missed (miss rate 1/3)
    assert roc.eer_threshold == 0.6
    assert [ucsd_detected(maps[f], masks[f], 0.6) for f in (0, 1, 2)] == [True, True, False]


def test_pixel_check_counts_flags_inside_and_outside_the_mask() -> None:
    mask = _square_mask()[0]  # 25 anomalous pixels
    err = np.zeros((10, 10))
    err[2:4, 2:7] = 1.0  # 10 of them flagged: 40%
    err[0, 0] = err[9, 9] = 1.0  # and two pixels outside
    assert pixel_check(err, mask, 0.5) == PixelCheck(in_mask=0.4, detected=True, outside=2)
    assert pixel_check(err, mask, 2.0) == PixelCheck(in_mask=0.0, detected=False, outside=0)
