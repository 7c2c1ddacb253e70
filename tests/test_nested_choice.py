"""benchmarks/nested_choice.py, the procedure shared by the blind comparisons on the real sample:
the pick is the best inner-validation mean (ties: the first candidate), the nested estimate the
mean of the picks' outer AUCs, and the JSON records what was chosen from what."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from nested_choice import choose, fold_record, seed_summary  # noqa: E402
from real_ped1_nested import inner_splits  # noqa: E402
from sample_folds import FOLDS  # noqa: E402

#: inner-validation micro AUC by fold: "b" wins fold 1, ties with "a" in fold 2, loses fold 3
INNER = {1: {"a": 0.70, "b": 0.80}, 2: {"a": 0.75, "b": 0.75}, 3: {"a": 0.90, "b": 0.60}}
OUTER = {f: {"a": {"micro": 0.1 * f, "macro": 0.2}, "b": {"micro": 0.5, "macro": 0.4}, "baseline": {"micro": 0.0, "macro": 0.0}}
         for f in FOLDS}  # fmt: skip


def test_the_pick_is_the_best_inner_mean_and_ties_go_to_the_first(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[int, int, list[str], list[str]]] = []

    def inner(fold: int, i: int, itrain: list[str], ival: list[str]) -> dict[str, float]:
        seen.append((fold, i, itrain, ival))
        return INNER[fold]

    choice = choose(["a", "b"], inner, lambda fold: OUTER[fold])
    assert seen == [(f, i, tr, val) for f in FOLDS for i, (tr, val) in enumerate(inner_splits(f), 1)]
    assert choice.picks == ["b", "a", "a"]
    assert choice.nested == {"micro": round((0.5 + 0.2 + 0.3) / 3, 4), "macro": round((0.4 + 0.2 + 0.2) / 3, 4)}
    assert choice.outer_mean("baseline") == {"micro": 0.0, "macro": 0.0}  # reported, never chosen
    record = fold_record(choice, 1, outer_runs={"a": "facts"})
    assert (record["train"], record["evaluate"]) == FOLDS[1]
    assert record["pick"] == "b" and record["inner_val_micro"] == {"a": [0.7] * 3, "b": [0.8] * 3}
    assert record["outer_runs"] == {"a": "facts"} and set(record["outer"]) == {"a", "b", "baseline"}
    assert "fold 2: pick a" in capsys.readouterr().out


def test_the_seed_summary_averages_folds_then_seeds() -> None:
    per_seed = {0: OUTER, 1: {f: {"b": {"micro": 0.7, "macro": 0.6}} for f in FOLDS}}
    summary = seed_summary(per_seed, "b", "b")
    assert summary["per_seed_mean"] == {"0": {"micro": 0.5, "macro": 0.4}, "1": {"micro": 0.7, "macro": 0.6}}
    assert summary["micro"] == 0.6 and summary["micro_range"] == [0.5, 0.7]
