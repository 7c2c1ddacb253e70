"""Evaluation end to end: which frames are scored, which frames fit the scores, and the protocol.

``companion evaluate`` runs :func:`score_run` with the scoring the run records (one of
:data:`companion.scorings.SCORINGS`), or, with ``--score``/``--region`` options, :func:`score_checkpoint` or
:func:`score_checkpoint_regions`; ``companion baseline`` runs :func:`score_baseline`. All of them
score every frame of the chosen labelled Test clips, fit their statistics on the normal,
unrepaired frames of the training clips only (:func:`companion.tensors.normal_frames`), and say
in one sentence (:func:`protocol`) which frames trained what, how the scores were made and
whether test-set information was used. Introduced in notebook 05.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from companion.baselines import BASELINES, FITTED, Method, baseline_scorer
from companion.cache import LoadedClip, load_clip
from companion.checkpoints import CHECKPOINT_NAME, load_checkpoint, load_model
from companion.combine import combine_scores
from companion.errors import CompanionError, DatasetNotFoundError
from companion.layout import Clip, UCSDDataset, find_datasets, open_dataset
from companion.regions import RegionSettings, describe_regions, pixel_statistics, region_scores
from companion.scoring import (
    ClipErrors,
    Normalization,
    ScoredClips,
    ScoreKind,
    describe_scores,
    frame_scores,
    postprocess,
    reconstruction_errors,
    uses_test_information,
)
from companion.scorings import SCORINGS, Scoring, ScoringChoice
from companion.settings import DEFAULT_SCORING, recommended_scoring
from companion.task import config_of, describe_errors
from companion.tensors import normal_frames

__all__ = [
    "choose_scoring",
    "outputs_for_scoring",
    "score_outputs",
    "score_run",
    "score_with",
    "EvaluationFrames",
    "evaluation_frames",
    "labelled_clips",
    "overlap_warning",
    "protocol",
    "RunOutputs",
    "run_outputs",
    "score_baseline",
    "score_checkpoint",
    "score_checkpoint_regions",
    "trained_on",
]


def labelled_clips(ds: UCSDDataset, spec: str | None) -> list[Clip]:
    """Test clips named by ``spec`` (all when None), each with ground truth, else a clear error."""
    clips = ds.select("test", spec)
    unlabelled = [c.name for c in clips if c.labels is None]
    if unlabelled:
        raise CompanionError(
            f"{', '.join(unlabelled)} of {ds.name} have no ground truth in {ds.gt_file or 'the .m file'}: "
            "choose labelled Test clips with --clips"
        )
    if not clips:
        raise CompanionError(f"no Test clips selected in {ds.name} (clips={spec!r})")
    return clips


def overlap_warning(evaluated: list[str], trained: list[str]) -> str:
    """A loud sentence when evaluated clips also trained the model, else ''."""
    both = [name for name in evaluated if name in set(trained)]
    if not both:
        return ""
    return (
        f"WARNING: evaluated clip(s) {', '.join(both)} also provided training frames (their normal frames); "
        "scores on them are optimistic and not comparable with published results."
    )


def trained_on(dataset: str, names: list[str], on_test: bool, why: str = "") -> str:
    """Which frames trained (or fitted) a method, in words."""
    if on_test:
        return f"the ground-truth-normal frames of {dataset} Test clips {', '.join(names)} ({why}NOT the paper protocol)"
    return f"the {len(names)} Train clips of {dataset} (the paper protocol)"


def protocol(
    head: str, scores: str, dataset: str, evaluated: list[str], trained: list[str], test_information: bool, where: str = "."
) -> tuple[str, bool]:
    """The protocol sentence of an evaluation, and whether it used test-set information.

    ``head`` says what was trained on which frames; ``scores`` how the scores were made;
    ``trained`` lists the Test clips whose normal frames trained the method (an overlap with the
    ``evaluated`` clips is a loud WARNING and counts as test information); ``where`` ends the
    sentence on the evaluated frames (their size, for baselines). Introduced in notebook 06.
    """
    overlap = overlap_warning(evaluated, trained)
    test_info = test_information or bool(overlap)
    parts = (
        overlap,
        head,
        f"Scores: {scores}.",
        f"Evaluated on every frame of {len(evaluated)} {dataset} Test clip(s) ({', '.join(evaluated)}){where}",
        f"Uses test-set information: {'YES' if test_info else 'no'}"
        + (" (training frames of the evaluated clips were chosen with their ground truth)" if overlap else "")
        + ".",
    )
    return " ".join(part for part in parts if part), test_info


@dataclass(frozen=True)
class EvaluationFrames:
    """The frames an evaluation scores, and those it fits on.

    ``test``: every chosen labelled Test clip (``frame_numbers``: 1-based, from the file names);
    ``train``: each training clip with its :func:`companion.tensors.normal_frames` mask (normal,
    unrepaired frames: the only ones that fit statistics); ``on_test``: the training frames are
    Test clips' normal frames, chosen with their ground truth; ``trained``: which, in words.
    """

    dataset: str
    test: dict[str, LoadedClip]
    frame_numbers: dict[str, np.ndarray]
    train: dict[str, tuple[LoadedClip, np.ndarray]]
    on_test: bool
    trained: str


def evaluation_frames(
    test: list[Clip], dataset: str, train: list[Clip], train_dataset: str, on_test: bool,
    size: tuple[int, int] | None, why: str = "",
) -> EvaluationFrames:
    """Load the evaluated clips and the training clips (at ``size``) with their masks."""
    loaded = {c.name: load_clip(c, size=size) for c in train}
    return EvaluationFrames(
        dataset=dataset,
        test={c.name: load_clip(c, size=size) for c in test},
        frame_numbers={c.name: c.frame_numbers for c in test},
        train={name: (clip, normal_frames(clip, on_test)) for name, clip in loaded.items()},
        on_test=on_test,
        trained=trained_on(train_dataset, list(loaded), on_test, why),
    )


def _scored(
    frames: EvaluationFrames, test_raw: dict[str, np.ndarray], train_raw: dict[str, np.ndarray], normalize: Normalization,
    smooth_window: int, head: str, scores: str, test_information: bool, where: str = ".",
) -> ScoredClips:
    """The final :class:`ScoredClips` of raw scores: smoothed, normalised with the training frames, described."""
    train = {name: (train_raw[name], keep) for name, (_, keep) in frames.train.items()}
    final, train_scores = postprocess(test_raw, train, normalize, smooth_window)
    evaluated = list(frames.test)
    text, test_info = protocol(
        head, scores, frames.dataset, evaluated, list(frames.train) if frames.on_test else [], test_information, where
    )
    labels = {name: np.asarray(clip.labels, dtype=bool) for name, clip in frames.test.items()}
    repaired = {name: frames.frame_numbers[name][clip.repaired].tolist() for name, clip in frames.test.items()}
    return ScoredClips(labels, final, frames.frame_numbers, repaired, train_scores, normalize, test_info, text)


# --------------------------------------------------------------------------------------------
# a trained run


@dataclass(frozen=True)
class RunOutputs:
    """A run's model over its own training clips and the evaluated clips.

    ``test`` and ``train`` map each clip to what ``reduce`` made of its
    :class:`companion.scoring.ClipErrors`; ``head`` begins the protocol ("Model RUN trained on
    ..."); ``errors`` names the model's errors in words.
    """

    frames: EvaluationFrames
    test: dict[str, np.ndarray]
    train: dict[str, np.ndarray]
    head: str
    errors: str


def run_outputs(
    run: str | Path,
    root: str | Path,
    reduce: Callable[[ClipErrors], np.ndarray],
    clips: str | None = None,
    dataset: str | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> RunOutputs:
    """Run the model in ``run`` over every frame of its training clips and of the chosen Test clips.

    The model and its preprocessing (size, max-inversion, window) come from ``RUN/checkpoint.pt``
    (:func:`companion.checkpoints.load_model`); the training clips are those the checkpoint records
    (its Train clips; for ``train_on="normal-test-frames"`` its training Test clips), found under
    ``root``; a clip that is both is run once.
    """
    run = Path(run)
    model, ckpt = load_model(run / CHECKPOINT_NAME if run.is_dir() else run)
    prep, data = ckpt["preprocessing"], ckpt["data"]
    size, seq_len, invert = (prep["height"], prep["width"]), int(prep["seq_len"]), bool(prep["max_inversion"])
    present = find_datasets(root)
    if data["dataset"] not in present:
        raise DatasetNotFoundError(
            f"{run} was trained on {data['dataset']} (at {data.get('root', 'another path')}), but {root} holds "
            f"{', '.join(present)}: pass a ROOT that holds {data['dataset']} (its training clips give the training "
            "statistics and thresholds; --dataset chooses only the Test clips' dataset), or train a run on this data"
        )
    train_ds = open_dataset(root, dataset=data["dataset"])
    ds = train_ds if dataset is None else open_dataset(root, dataset=dataset)
    chosen = labelled_clips(ds, clips)
    on_test = data["train_on"] == "normal-test-frames"
    split = "Test" if on_test else "Train"
    by_name = {c.name: c for c in train_ds.clips[split]}
    missing = [n for n in data["clips"] if n not in by_name]
    if missing:
        raise CompanionError(
            f"the training clips {', '.join(missing)} recorded in {run} are not in {train_ds.root}/{split}: pass the "
            "ROOT the model was trained on (its training frames give the training statistics and thresholds)"
        )
    frames = evaluation_frames(chosen, ds.name, [by_name[n] for n in data["clips"]], train_ds.name, on_test, size)

    def output(name: str, clip: LoadedClip) -> np.ndarray:
        return reduce(reconstruction_errors(model, clip.frames, seq_len, invert, batch_size, progress, name))

    train = {name: output(name, clip) for name, (clip, _) in frames.train.items()}
    same_clips = on_test and ds.name == train_ds.name  # an evaluated clip that also trained: its outputs once
    test = {name: train[name] if same_clips and name in train else output(name, clip) for name, clip in frames.test.items()}
    return RunOutputs(frames, test, train, f"Model {run.name} trained on {frames.trained}.", describe_errors(config_of(model)))


def score_checkpoint(
    run: str | Path,
    root: str | Path,
    clips: str | None = None,
    dataset: str | None = None,
    normalize: Normalization = "train",
    kind: ScoreKind = "mse",
    smooth_window: int = 0,
    batch_size: int = 8,
    progress: bool = True,
) -> ScoredClips:
    """Score every frame of the chosen labelled Test clips with the model in ``run``.

    The training statistics come from the training data the checkpoint records (see
    :func:`run_outputs`): the normal, unrepaired frames of its training clips. Repaired frames
    are scored and listed. Introduced in notebook 06.
    """
    out = run_outputs(run, root, lambda e: e.errors, clips, dataset, batch_size, progress)
    return _kind_scored(out, kind, normalize, smooth_window)


def _frame_errors(output: np.ndarray) -> np.ndarray:
    """A clip's per-frame mean squared errors from what :func:`run_outputs` kept: the errors, or the maps
    (their mean over the pixels, computed as :class:`companion.scoring.ClipErrors` computes it)."""
    return output if output.ndim == 1 else output.mean(axis=(1, 2), dtype=np.float64)


def _kind_scored(out: RunOutputs, kind: ScoreKind, normalize: Normalization, smooth_window: int) -> ScoredClips:
    """Frame scores of kind ``kind`` from a run's outputs (errors or error maps)."""
    test = {name: frame_scores(_frame_errors(o), kind) for name, o in out.test.items()}
    train = {name: frame_scores(_frame_errors(o), kind) for name, o in out.train.items()}
    scores = describe_scores(normalize, kind, smooth_window)
    test_info = uses_test_information(normalize, kind)
    return _scored(out.frames, test, train, normalize, smooth_window, out.head, scores, test_info)


def _region_scored(out: RunOutputs, settings: RegionSettings, normalize: Normalization, smooth_window: int) -> ScoredClips:
    """Region scores from a run's error maps; the per-pixel statistics from its normal training frames."""
    per_pixel = settings.pixel_norm != "none"
    stats = pixel_statistics(out.train[n][keep] for n, (_, keep) in out.frames.train.items()) if per_pixel else None
    test = {name: region_scores(m, stats, settings) for name, m in out.test.items()}
    train = {name: region_scores(m, stats, settings) for name, m in out.train.items()}
    scores = (
        f"{out.errors}; {describe_regions(settings)}"
        + (", the per-pixel statistics from the same training frames" if per_pixel else "")
        + f"; {describe_scores(normalize, None, smooth_window)}"
    )
    return _scored(out.frames, test, train, normalize, smooth_window, out.head, scores, uses_test_information(normalize))


def score_checkpoint_regions(
    run: str | Path,
    root: str | Path,
    clips: str | None = None,
    dataset: str | None = None,
    normalize: Normalization = "train",
    settings: RegionSettings | None = None,
    smooth_window: int = 0,
    batch_size: int = 8,
    progress: bool = True,
) -> ScoredClips:
    """Like :func:`score_checkpoint`, with region scores (``companion evaluate --region``).

    The error maps of the checkpoint's training frames (the normal, unrepaired frames of the
    clips it records, validation clip included) give the per-pixel statistics; every frame of the
    evaluated clips is then scored by :func:`companion.regions.region_scores`, smoothed and
    normalised as ``score_checkpoint`` does. Introduced in notebook 06.
    """
    settings = settings or RegionSettings()
    out = run_outputs(run, root, lambda e: e.maps, clips, dataset, batch_size, progress)
    return _region_scored(out, settings, normalize, smooth_window)


# --------------------------------------------------------------------------------------------
# named scorings: what a run records, what `companion evaluate` uses by default


def _check_normalization(scoring: Scoring, normalize: Normalization, name: str) -> None:
    """Raise when a scoring of several parts is asked for another normalisation than ``train``."""
    if len(scoring.parts) > 1 and normalize != "train":
        single = " or ".join(n for n, s in SCORINGS.items() if len(s.parts) == 1)
        raise CompanionError(
            f"the {name} scoring sums scores z-scored with the training frames' statistics: use "
            f"--normalize train (the default), or a one-part scoring (--scoring {single})"
        )


def score_outputs(out: RunOutputs, choice: ScoringChoice, normalize: Normalization = "train", smooth_window: int = 0) -> ScoredClips:
    """Score a run's outputs (:func:`run_outputs`; error maps when ``choice.scoring.needs_maps``).

    A scoring of several parts is the fixed sum of their scores, each z-scored with the
    statistics of the run's training frames (:func:`companion.combine.combine_scores`), so it
    needs ``normalize="train"``. The protocol begins with the scoring's name and where it came from.
    """
    scored = score_with(out, choice.scoring, normalize, smooth_window, choice.name)
    return replace(scored, protocol=f"Scoring {choice.name} ({choice.source}): {choice.scoring.about}. {scored.protocol}")


def score_with(
    out: RunOutputs, scoring: Scoring, normalize: Normalization = "train", smooth_window: int = 0, name: str = "this"
) -> ScoredClips:
    """Score a run's outputs with any :class:`companion.scorings.Scoring`, named or not (the benchmarks'
    variants): each part smoothed and normalised with the training frames; several parts summed
    (:func:`companion.combine.combine_scores`, which needs ``normalize="train"``)."""
    _check_normalization(scoring, normalize, name)
    parts = {
        part_name: _region_scored(out, part, normalize, smooth_window)
        if isinstance(part, RegionSettings)
        else _kind_scored(out, part, normalize, smooth_window)
        for part_name, part in scoring.parts.items()
    }
    return next(iter(parts.values())) if len(parts) == 1 else combine_scores(parts, shared_training_frames=True)


def score_run(
    run: str | Path,
    root: str | Path,
    choice: ScoringChoice | None = None,
    clips: str | None = None,
    dataset: str | None = None,
    normalize: Normalization = "train",
    smooth_window: int = 0,
    batch_size: int = 8,
    progress: bool = True,
) -> ScoredClips:
    """Score every frame of the chosen labelled Test clips with the run's scoring (``companion evaluate``).

    ``choice`` defaults to :func:`choose_scoring` (the scoring the run records); the model runs
    once over the clips, whatever the number of parts.
    """
    choice = choice or choose_scoring(run)
    _check_normalization(choice.scoring, normalize, choice.name)  # before the model runs
    return score_outputs(outputs_for_scoring(run, root, choice, clips, dataset, batch_size, progress), choice, normalize, smooth_window)


def outputs_for_scoring(
    run: str | Path, root: str | Path, choice: ScoringChoice, clips: str | None = None, dataset: str | None = None,
    batch_size: int = 8, progress: bool = True,
) -> RunOutputs:
    """:func:`run_outputs` keeping what ``choice`` scores (error maps, or only the per-frame errors):
    score them with :func:`score_outputs`, as many times as needed (other smoothing, other normalisation)."""
    reduce = (lambda e: e.maps) if choice.scoring.needs_maps else (lambda e: e.errors)
    return run_outputs(run, root, reduce, clips, dataset, batch_size, progress)


# --------------------------------------------------------------------------------------------
# a baseline


def _role(method: str, trained: bool) -> str:
    if not trained:
        return ""
    return " (fitted the model, gave the training scores)" if method in FITTED else " (gave the training scores only)"


def score_baseline(
    method: Method,
    root: str | Path,
    clips: str | None = None,
    train_clips: str | None = None,
    dataset: str = "ped1",
    size: tuple[int, int] | None = None,
    normalize: Normalization = "none",
    smooth_window: int = 0,
) -> ScoredClips:
    """Score every frame of the chosen labelled Test clips with a baseline (see :data:`companion.baselines.BASELINES`).

    The training frames are the Train split when the dataset has one (``train_clips`` selects
    among it), else the ground-truth-normal frames of the Test clips ``train_clips`` (NOT the paper
    protocol); they fit the Gaussian models and give every baseline its training scores for
    thresholds and ``normalize="train"``. Introduced in notebook 05.
    """
    if method not in BASELINES:
        raise CompanionError(f"unknown baseline {method!r}; choose one of {', '.join(BASELINES)}")
    ds = open_dataset(root, dataset=dataset)
    chosen = labelled_clips(ds, clips)
    on_test = not ds.clips.get("Train")
    if not on_test:
        train = ds.select("train", train_clips)
    else:
        train = [] if train_clips is None else labelled_clips(ds, train_clips)
    frames = evaluation_frames(chosen, ds.name, train, ds.name, on_test, size, f"{ds.name} has no Train split; ")
    trained = frames.trained
    if on_test and train_clips is None:
        trained = f"none ({ds.name} has no Train split and no --train-clips were given; no training thresholds)"
    if method in FITTED and not train:
        raise CompanionError(f"the {method} model needs training frames: {trained}. Pass --train-clips (e.g. 1-4)")
    score = baseline_scorer(method, ((clip.frames, keep) for clip, keep in frames.train.values()))
    test = {name: score(clip.frames) for name, clip in frames.test.items()}
    train_raw = {name: score(clip.frames) for name, (clip, _) in frames.train.items()}
    head = f"Baseline: {BASELINES[method]}; training frames: {trained}{_role(method, bool(train))}."
    where = f" at {size[0]}x{size[1]} pixels." if size else " at full size."
    scores = describe_scores(normalize, smooth_window=smooth_window)
    return _scored(frames, test, train_raw, normalize, smooth_window, head, scores, uses_test_information(normalize), where)


def choose_scoring(run: str | Path, given: str | None = None) -> ScoringChoice:
    """``given`` (a name of :data:`SCORINGS`), else the scoring the run in ``run`` records, else ``mse``.

    A run trained before runs recorded their scoring is scored with ``mse``, and the choice says so.
    """
    if given is not None:
        if given not in SCORINGS:
            raise CompanionError(f"unknown scoring {given!r}; choose one of {', '.join(SCORINGS)}")
        return ScoringChoice(given, "chosen with --scoring")
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
