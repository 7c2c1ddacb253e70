"""The course's honesty guards, each checked against an independent, hand-computed fact.

Each test fails for one deliberate bug of issue 11: abnormal frames in the training statistics,
a masked frame counted anyway, a "train" z-score that forgets to divide by the standard deviation.
"""

from __future__ import annotations

import numpy as np
from types import SimpleNamespace

from companion.scoring import postprocess
from companion.tensors import normal_frames


def test_train_normalisation_is_a_z_score_of_the_normal_training_frames_only() -> None:
    # Training clip: frames 0-3 normal (errors 4, 6, 8, 6: mean 6, std sqrt(2)), frame 4 masked out (error 100).
    train_errors = np.array([4.0, 6.0, 8.0, 6.0, 100.0])
    keep = np.array([True, True, True, True, False])
    test = {"Test001": np.array([6.0, 6.0 + np.sqrt(2.0), 6.0 - 2 * np.sqrt(2.0)])}
    scores, pooled = postprocess(test, {"Train001": (train_errors, keep)}, normalize="train")
    np.testing.assert_allclose(scores["Test001"], [0.0, 1.0, -2.0], atol=1e-12)  # (x - 6) / sqrt(2), by hand
    np.testing.assert_allclose(pooled, [-np.sqrt(2.0), 0.0, np.sqrt(2.0), 0.0], atol=1e-12)  # 4 frames: 100 never counted


def test_normal_frames_leaves_out_repaired_and_abnormal_frames() -> None:
    clip = SimpleNamespace(name="Test001", repaired=np.array([False, True, False, False]),
                           labels=np.array([False, False, True, False]))
    assert normal_frames(clip, by_labels=True).tolist() == [True, False, False, True]
    assert normal_frames(clip, by_labels=False).tolist() == [True, False, True, True]
