"""A fixed combination of frame scores: the sum of scores z-scored with their training statistics.

Two detectors that fail on different frames help each other: the sum of their train-normalised
scores (each in units of its own spread on normal training frames, so neither dominates by scale)
is a fixed, unlearned combination, and always reported as such. Introduced in notebook 05.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from companion.errors import CompanionError, ScoresFileError
from companion.scoring import ScoredClips

__all__ = ["combine_scores", "read_scores"]


def combine_scores(parts: Mapping[str, ScoredClips]) -> ScoredClips:
    """Per frame, the sum of the ``parts``' scores; every part normalised with ``normalize="train"``.

    The parts must score the same frames of the same clips with the same labels. The training
    scores (and so the thresholds) are dropped: the parts' training frames need not be the same
    frames. Introduced in notebook 05.
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
    return ScoredClips(first.labels, scores, first.frame_numbers, first.repaired, None, "train", test_info, protocol)


def read_scores(path: str | Path) -> ScoredClips:
    """Scores from a ``--scores`` CSV (columns ``clip,frame,label,score``) of ``companion evaluate``
    or ``companion baseline``, taken to be normalised with ``--normalize train`` (their default for
    ``evaluate``; pass it to ``baseline``). Introduced in notebook 05.
    """
    path = Path(path)
    if path.is_dir():
        raise ScoresFileError(f"{path} is a folder, not a scores CSV: pass the file written by `companion evaluate ... --scores FILE`")
    if not path.is_file():
        raise ScoresFileError(f"{path} does not exist: write it with `companion evaluate ... --scores {path}`")
    rows: dict[str, list[tuple[int, int, float]]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a BOM from a spreadsheet is fine
            reader = csv.DictReader(f)
            if reader.fieldnames != ["clip", "frame", "label", "score"]:
                raise ScoresFileError(
                    f"{path} is not a scores CSV: its header is {reader.fieldnames}, expected clip,frame,label,score"
                )
            for row in reader:
                line = reader.line_num
                try:
                    frame, label, score = int(row["frame"]), int(row["label"]), float(row["score"])
                except (TypeError, ValueError):
                    raise ScoresFileError(f"{path}, line {line}: cannot read {row}") from None
                if not math.isfinite(score):
                    raise ScoresFileError(
                        f"{path}, line {line}: the score of {row['clip']} frame {frame} is {row['score']!r}, not a "
                        "finite number; score the clips again (a model whose training diverged gives NaN errors)"
                    )
                rows.setdefault(row["clip"], []).append((frame, label, score))
    except UnicodeDecodeError:
        raise ScoresFileError(
            f"{path} is not a scores CSV: it is not text (binary data?); pass the file written by "
            "`companion evaluate ... --scores FILE` or `companion baseline ... --scores FILE`"
        ) from None
    except csv.Error as err:
        raise ScoresFileError(f"{path} is not a scores CSV: {err}") from None
    if not rows:
        raise ScoresFileError(f"{path} holds no frames: score some clips into it with `companion evaluate ... --scores FILE`")
    numbers = {c: np.array([r[0] for r in v]) for c, v in rows.items()}
    labels = {c: np.array([r[1] for r in v], dtype=bool) for c, v in rows.items()}
    scores = {c: np.array([r[2] for r in v]) for c, v in rows.items()}
    return ScoredClips(labels, scores, numbers, {c: [] for c in rows}, None, "train", False, f"scores read from {path}")
