"""The scores CSV (``clip,frame,label,score``, one row per frame): written by ``--scores`` of
``companion evaluate``, ``baseline`` and ``combine``, read back by ``companion combine``.
``companion evaluate`` adds a fifth column, ``scoring``: the name of the scoring that made the scores.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from companion.errors import ScoresFileError
from companion.scoring import ScoredClips

__all__ = ["COLUMNS", "read_scores", "write_scores"]

COLUMNS = ["clip", "frame", "label", "score"]


def write_scores(scored: ScoredClips, path: str | Path, scoring: str | None = None) -> Path:
    """Write every frame's score of ``scored`` to ``path`` (8 significant digits), with a ``scoring``
    column holding ``scoring`` when it is given."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = [] if scoring is None else [scoring]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS + (["scoring"] if extra else []))
        for clip, scores in scored.scores.items():
            for frame, label, score in zip(scored.frame_numbers[clip], scored.labels[clip], scores):
                writer.writerow([clip, int(frame), int(label), f"{score:.8g}", *extra])
    return path


def read_scores(path: str | Path) -> ScoredClips:
    """Scores from a ``--scores`` CSV (columns ``clip,frame,label,score``) of ``companion evaluate``
    or ``companion baseline``, taken to be normalised with ``--normalize train`` (their default for
    ``evaluate``; pass it to ``baseline``).
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
            if reader.fieldnames not in (COLUMNS, COLUMNS + ["scoring"]):
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
