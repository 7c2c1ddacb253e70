"""benchmarks/sample_folds.py: the real sample's folds are scored by the package, and the committed
figures of benchmarks/real_ped1.py are what the package computes today."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from experiments import train_or_reuse  # noqa: E402
from sample_folds import FOLDS, assess, baseline_variants, names, run_maps, run_scorer, spec, subset  # noqa: E402

from companion.evaluation import score_run  # noqa: E402
from companion.metrics import frame_auc  # noqa: E402
from companion.model import ModelConfig  # noqa: E402
from companion.scorings import SCORINGS, ScoringChoice  # noqa: E402

SUMMARY = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "real_ped1_summary.json"
TINY = ModelConfig(name="tiny", seq_len=3, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))


def test_names_and_spec_are_inverse() -> None:
    assert names("2,3,17") == ["Test002", "Test003", "Test017"]
    assert spec(names("1,4,7")) == "1,4,7"
    every = sorted(x for tr, ev in FOLDS.values() for x in ev.split(","))
    assert every == sorted("1,2,3,4,5,6,7,8,17".split(",")), "each clip is evaluated exactly once"


def test_a_subset_scores_as_the_command_line_does(synth_root: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    train_or_reuse(synth_root, run, config=TINY, clips="1,2", train_on="train", epochs=1, stride=4, seed=0)
    out = run_maps(run, synth_root, size=(16, 16))
    tests, trains = list(out.test), list(out.train)
    scoring = SCORINGS["mean+zp99"]
    cli = score_run(run, synth_root, ScoringChoice("mean+zp99", "test"), progress=False)  # companion evaluate RUN ROOT
    mine = run_scorer(out, scoring).score(trains, tests, "train")
    for clip in tests:
        np.testing.assert_allclose(mine.scores[clip], cli.scores[clip], rtol=1e-12)
    assert assess(run_scorer(out, scoring), trains, tests)["micro_train"] == frame_auc(cli.labels, cli.scores).micro
    # fewer training clips: other statistics, the same outputs
    one = subset(out, trains[:1], tests[1:])
    assert list(one.train) == trains[:1] and list(one.test) == tests[1:] and list(one.frames.train) == trains[:1]
    assert one.test[tests[1]] is out.test[tests[1]]
    fewer = run_scorer(out, scoring).score(trains[:1], tests, "train")
    assert not np.allclose(fewer.scores[tests[0]], mine.scores[tests[0]]), "the statistics come from the chosen clips"


def test_the_committed_baseline_figures_are_the_packages(ped1_sample: Path) -> None:
    """benchmarks/real_ped1.py's fold-1 figures for two rows, recomputed by the package now."""
    rows = {r["label"]: r for r in json.loads(SUMMARY.read_text())["rows"]}
    variants = baseline_variants(ped1_sample)
    train, evaluated = names(FOLDS[1][0]), names(FOLDS[1][1])
    for label, method, variant in (
        ("motion energy (mean |frame difference|)", "motion", "frame-mean s0"),
        ("motion-sq + flow-background", "motion-sq+flow-background", "sum s0"),
    ):
        got = assess(variants[method][variant], train, evaluated)["micro_train"]
        assert got == pytest.approx(rows[label]["fold_micro_train"][0], abs=1e-5), label
