"""The real sample's cross-validation folds, every figure computed by the package (real_ped1.py,
real_ped1_nested.py).

The sample has 9 labelled Test clips and no Train split. A fold trains on the ground-truth-normal
frames of some clips and scores every frame of others. Nothing here re-implements a score: a run
is scored by :func:`companion.evaluation.score_with` over its :func:`companion.evaluation.run_outputs`
(what ``companion evaluate`` runs), a baseline by :func:`companion.evaluation.score_baseline` (what
``companion baseline`` runs), a fixed sum by :func:`companion.combine.combine_scores` (``companion
combine``), an AUC by :func:`companion.metrics.frame_auc`. What this module adds is the choice of
frames: :func:`subset` keeps, of a run's outputs over all 9 clips, the training clips that give the
statistics and the clips that are scored (a fold's evaluated clips, or a validation clip with the
other training clips), so that one pass of the model serves every variant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from companion.combine import combine_scores
from companion.evaluation import RunOutputs, run_outputs, score_baseline, score_with
from companion.metrics import frame_auc
from companion.regions import RegionSettings
from companion.scoring import Normalization, ScoredClips, normalize_scores
from companion.scorings import PIXEL_Z_P99, SCORINGS, Scoring

#: fold -> (training clips, evaluated clips): every clip is evaluated exactly once
FOLDS: dict[int, tuple[str, str]] = {1: ("2,3,5,6,8,17", "1,4,7"), 2: ("1,3,4,6,7,17", "2,5,8"), 3: ("1,2,4,5,7,8", "3,6,17")}
SIZE = (64, 96)  # every baseline and every recipe's model input
#: the figures of one assessment: micro/macro AUC with training-statistics and per-video normalisation
KEYS = ("micro_train", "macro_train", "micro_video", "macro_video")


def names(spec: str) -> list[str]:
    """``["Test002", "Test003"]`` for ``"2,3"``."""
    return [f"Test{int(x):03d}" for x in spec.split(",")]


def spec(clips: list[str]) -> str:
    """``"2,3"`` for ``["Test002", "Test003"]`` (the CLI's ``--clips``)."""
    return ",".join(str(int(n.removeprefix("Test"))) for n in clips)


def run_maps(run: Path, root: Path, size: tuple[int, int] = SIZE) -> RunOutputs:
    """A run's error maps (in the model's own signal) over its training clips and every labelled
    Test clip; the run must work at ``size``, the size every method is scored at."""
    out = run_outputs(run, root, lambda e: e.maps, progress=False)
    shape = next(iter(out.test.values())).shape[1:]
    if shape != size:
        raise SystemExit(f"{run} works at {shape}; this benchmark scores every method at {size}")
    return out


def subset(out: RunOutputs, train: list[str], test: list[str]) -> RunOutputs:
    """``out`` with only the training clips ``train`` (their normal frames give the statistics) and
    the scored clips ``test`` (in that order); ``test`` may hold training clips of the run (a
    validation clip), whose outputs :func:`run_outputs` computed once."""
    frames = out.frames
    outputs = {**out.train, **out.test}
    chosen = dataclasses.replace(
        frames,
        test={n: frames.test[n] for n in test},
        frame_numbers={n: frames.frame_numbers[n] for n in test},
        train={n: frames.train[n] for n in train},
    )
    return dataclasses.replace(out, frames=chosen, test={n: outputs[n] for n in test}, train={n: out.train[n] for n in train})


@dataclasses.dataclass(frozen=True)
class Scorer:
    """Scores the clips ``test`` with statistics from the normal frames of the clips ``train``.

    ``summed``: a fixed sum of train-normalised scores (only ``normalize="train"``); its per-video
    figure is the per-video min-max of the sum.
    """

    score: Callable[[list[str], list[str], Normalization], ScoredClips]
    summed: bool = False


def run_scorer(out: RunOutputs, scoring: Scoring, smooth: int = 0) -> Scorer:
    """A run's outputs scored with ``scoring`` (``companion evaluate``), smoothed over ``smooth`` frames."""
    return Scorer(lambda tr, te, norm: score_with(subset(out, tr, te), scoring, norm, smooth), len(scoring.parts) > 1)


def baseline_scorer(root: Path, method: str, smooth: int = 0, size: tuple[int, int] = SIZE) -> Scorer:
    """A baseline of the package at ``size`` (``companion baseline METHOD --size 64x96``)."""

    def score(tr: list[str], te: list[str], norm: Normalization) -> ScoredClips:
        return score_baseline(method, root, clips=spec(te), train_clips=spec(tr), dataset="ped1", size=size,  # type: ignore[arg-type]
                              normalize=norm, smooth_window=smooth)  # fmt: skip

    return Scorer(score)


def summed(*parts: Scorer) -> Scorer:
    """The fixed sum of the parts' train-normalised scores (``companion combine``)."""
    return Scorer(lambda tr, te, _norm: combine_scores({str(i): p.score(tr, te, "train") for i, p in enumerate(parts)}), True)


def assess(scorer: Scorer, train: list[str], test: list[str]) -> dict[str, float | None]:
    """Micro/macro frame AUC over ``test`` with "train" and "video" normalisation (:data:`KEYS`)."""
    scored = scorer.score(train, test, "train")
    video = normalize_scores(scored.scores, "video") if scorer.summed else scorer.score(train, test, "video").scores
    out: dict[str, float | None] = {}
    for how, scores in (("train", scored.scores), ("video", video)):
        auc = frame_auc(scored.labels, scores)
        out[f"micro_{how}"], out[f"macro_{how}"] = auc.micro, auc.macro
    return out


#: the scoring variants of a run's error maps (each also smoothed over :data:`SMOOTHS` frames)
MAP_VARIANTS: dict[str, Scoring] = {
    "frame-mean": SCORINGS["mse"],
    **{
        f"ratio p{p}": Scoring({f"ratio p{p}": RegionSettings(patch=p, pixel_norm="ratio")}, f"per-pixel ratio, {p}x{p} patch max")
        for p in (0, 8, 16, 32)
    },
    "raw p16": Scoring({"raw p16": RegionSettings(patch=16, pixel_norm="none")}, "raw error, 16x16 patch max"),
    "z p99": Scoring({"z p99": PIXEL_Z_P99}, SCORINGS["zp99"].about),
}
SMOOTHS = (0, 9)


def run_variants(out: RunOutputs, root: Path) -> dict[str, Scorer]:
    """Every scoring variant of a run (label -> scorer), and the fixed sums "mean+zp99" (the
    recommended scoring) and "mean+zp99+motion-sq" (plus the squared frame difference)."""
    variants = {f"{label} s{sm}": run_scorer(out, scoring, sm) for sm in SMOOTHS for label, scoring in MAP_VARIANTS.items()}
    recommended = run_scorer(out, SCORINGS["mean+zp99"])
    return variants | {"mean+zp99": recommended, "mean+zp99+motion-sq": summed(recommended, baseline_scorer(root, "motion-sq"))}


def baseline_variants(root: Path) -> dict[str, dict[str, Scorer]]:
    """The package's baselines on the sample (method -> label -> scorer), raw and smoothed, and the
    fixed sum motion-sq + flow-background."""
    frame_means = {m: {f"frame-mean s{sm}": baseline_scorer(root, m, sm) for sm in SMOOTHS} for m in ("motion", "motion-sq", "flow")}
    return frame_means | {
        "flow-background": {f"p99 |z| s{sm}": baseline_scorer(root, "flow-background", sm) for sm in SMOOTHS},
        "motion-sq+flow-background": {"sum s0": summed(baseline_scorer(root, "motion-sq"), baseline_scorer(root, "flow-background"))},
    }
