"""Named scorings of a trained run: what a run records, and what ``companion evaluate`` uses by default.

A scoring is one score of a run's errors, or the fixed sum of several, each z-scored with the
statistics of the run's training frames (:func:`companion.evaluation.score_outputs` computes it).
:data:`companion.settings.RECOMMENDED_SCORING` names the scoring each configuration records when it
is trained. This module imports no torch, so that ``companion --help`` can list the scorings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Union

from companion.regions import RegionSettings

__all__ = ["Normalization", "PIXEL_Z_P99", "SCORINGS", "ScoreKind", "ScorePart", "Scoring", "ScoringChoice"]

#: A frame score of the per-frame mean squared error (``companion evaluate --score``).
ScoreKind = Literal["mse", "regularity"]
#: How frame scores are normalised (``--normalize``): the training frames' statistics, per-video
#: min-max (uses test information), or none.
Normalization = Literal["train", "video", "none"]


#: A part of a scoring: a frame score kind (of the per-frame mean squared error), or region settings.
ScorePart = Union[ScoreKind, RegionSettings]


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
