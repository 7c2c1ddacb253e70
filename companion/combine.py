"""A fixed combination of frame scores: the sum of scores z-scored with their training statistics.

Two detectors that fail on different frames help each other: the sum of their train-normalised
scores (each in units of its own spread on normal training frames, so neither dominates by scale)
is a fixed, unlearned combination, and always reported as such. Introduced in notebook 06.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from companion.errors import CompanionError
from companion.scoring import ScoredClips

__all__ = ["combine_scores"]


def combine_scores(parts: Mapping[str, ScoredClips], shared_training_frames: bool = False) -> ScoredClips:
    """Per frame, the sum of the ``parts``' scores; every part normalised with ``normalize="train"``.

    The parts must score the same frames of the same clips with the same labels. The training
    scores (and so the thresholds) are dropped: the parts' training frames need not be the same
    frames. With ``shared_training_frames`` (the parts score the same training frames in the same
    order, as the scores of one run do) they are summed too, so thresholds still apply.
    Introduced in notebook 06.
    """
    if len(parts) < 2:
        raise CompanionError(f"a combination needs at least two score sets, got {len(parts)}")
    items = list(parts.items())
    first_name, first = items[0]
    for name, part in items:
        if part.normalize != "train":
            raise CompanionError(
                f"{name} is normalised with {part.normalize!r}: combine scores z-scored with their own training "
                "statistics (--normalize train), or the larger scale decides alone"
            )
        if list(part.scores) != list(first.scores):
            raise CompanionError(f"{name} scores clips {list(part.scores)} but {first_name} scores {list(first.scores)}")
        for clip in first.scores:
            same = np.array_equal(part.frame_numbers[clip], first.frame_numbers[clip]) and np.array_equal(
                part.labels[clip], first.labels[clip]
            )
            if not same:
                raise CompanionError(f"{name} and {first_name} differ on the frames or labels of {clip}")
    scores = {clip: np.sum([p.scores[clip] for _, p in items], axis=0) for clip in first.scores}
    protocol = "Fixed combination (not learned): the sum of train-normalised scores of " + " + ".join(
        f"[{name}: {part.protocol}]" for name, part in items
    )
    test_info = any(p.uses_test_information for _, p in items)
    train = None
    if shared_training_frames:
        pools = [p.train_scores for _, p in items]
        if any(pool is None or len(pool) != len(first.train_scores) for pool in pools):
            raise CompanionError("shared_training_frames: every part must hold the training scores of the same frames")
        train = np.sum(pools, axis=0)
    return ScoredClips(first.labels, scores, first.frame_numbers, first.repaired, train, "train", test_info, protocol)
