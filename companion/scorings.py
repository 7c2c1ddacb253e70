"""Named scorings of a trained run: what a run records, and what ``companion evaluate`` uses by default.

A scoring is one score of a run's errors, or the fixed sum of several, each z-scored with the
statistics of the run's training frames (:func:`companion.evaluation.score_outputs` computes it).
:data:`companion.settings.RECOMMENDED_SCORING` names the scoring each configuration records when it
is trained. This module imports no torch, so that ``companion --help`` can list the scorings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from companion.errors import CompanionError
from companion.regions import RegionSettings
from companion.settings import DEFAULT_SCORING, recommended_scoring

if TYPE_CHECKING:
    from companion.scoring import ScoreKind

__all__ = ["PIXEL_Z_P99", "SCORINGS", "ScorePart", "Scoring", "ScoringChoice", "choose_scoring"]


#: A part of a scoring: a frame score kind (of the per-frame mean squared error), or region settings.
ScorePart = Union["ScoreKind", RegionSettings]


@dataclass(frozen=True)
class Scoring:
    """A named way to score a run: one part, or the fixed sum of its parts' train-normalised scores.

    ``parts`` maps a name (it appears in the protocol) to a score kind or :class:`RegionSettings`.
    """

    parts: Mapping[str, ScorePart]
    about: str

    @property
    def needs_maps(self) -> bool:
        """Whether a part scores error maps (else the per-frame errors suffice)."""
        return any(isinstance(part, RegionSettings) for part in self.parts.values())


PIXEL_Z_P99 = RegionSettings(patch=0, pixel_norm="z", percentile=99)

#: The scorings a run can record (:data:`companion.settings.RECOMMENDED_SCORING` names one per
#: configuration) and ``companion evaluate --scoring`` chooses from.
SCORINGS: dict[str, Scoring] = {
    "mse": Scoring({"frame mean": "mse"}, "the frame mean of the squared errors"),
    "zp99": Scoring({"pixel-z p99": PIXEL_Z_P99}, "the 99th percentile of each frame's per-pixel z-scores"),
    "mean+zp99": Scoring(
        {"frame mean": "mse", "pixel-z p99": PIXEL_Z_P99},
        "the frame mean plus the 99th percentile of the per-pixel z-scores, each z-scored with the training "
        "frames' statistics, then summed",
    ),
}


@dataclass(frozen=True)
class ScoringChoice:
    """The scoring an evaluation uses and why: ``recorded`` is False when the run records none."""

    name: str
    source: str
    recorded: bool = True

    @property
    def scoring(self) -> Scoring:
        return SCORINGS[self.name]


def choose_scoring(run: str | Path, given: str | None = None) -> ScoringChoice:
    """``given`` (a name of :data:`SCORINGS`), else the scoring the run in ``run`` records, else ``mse``.

    A run trained before runs recorded their scoring is scored with ``mse``, and the choice says so.
    """
    if given is not None:
        if given not in SCORINGS:
            raise CompanionError(f"unknown scoring {given!r}; choose one of {', '.join(SCORINGS)}")
        return ScoringChoice(given, "chosen with --scoring")
    from companion.checkpoints import load_checkpoint

    ckpt = load_checkpoint(run)
    name = ckpt.get("scoring")
    if name is None:
        config = ckpt["model_config"].get("name")
        advice = recommended_scoring(config)
        hint = f"; its configuration {config!r} is now scored with {advice} (--scoring {advice})" if advice != DEFAULT_SCORING else ""
        why = f"the run records no scoring (trained before runs recorded one): the default, {DEFAULT_SCORING}{hint}"
        return ScoringChoice(DEFAULT_SCORING, why, recorded=False)
    if name not in SCORINGS:
        raise CompanionError(
            f"{run} records the scoring {name!r}, which this version of companion does not know: choose one of "
            f"{', '.join(SCORINGS)} with --scoring, or use the companion version that trained the run"
        )
    return ScoringChoice(name, "recorded by the run")
