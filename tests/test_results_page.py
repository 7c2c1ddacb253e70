"""The results page quotes the benchmark's summary, not numbers typed by hand (nbdev-style drift check)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUMMARY = REPO / "benchmarks" / "results" / "real_ped1_summary.json"


def test_every_real_footage_row_of_the_summary_is_on_the_results_page() -> None:
    summary = json.loads(SUMMARY.read_text())
    page = (REPO / "results.md").read_text()
    rows = [r for r in summary["rows"] if not r["label"].endswith("(seed 0)")]
    assert rows, f"{SUMMARY} holds no rows"
    for row in rows:
        label = row["label"].replace("|", "\\|")
        line = next((ln for ln in page.splitlines() if ln.startswith(f"| {label} |")), None)
        assert line is not None, f"results.md has no table row for {row['label']!r}: re-run benchmarks/real_ped1.py"
        for key in ("train", "video"):
            cell = f"{row[f'micro_{key}']:.3f} / {row[f'macro_{key}']:.3f}"
            assert cell in line, f"results.md's row {row['label']!r} does not show {key}-norm {cell} from {SUMMARY.name}"
        if row.get("cpu_s"):
            cpu = "/".join(str(c) for c in row["cpu_s"])
            assert f"| {cpu} |" in line, f"results.md's row {row['label']!r} does not show the training CPU seconds {cpu}"


def test_the_summary_says_how_every_number_was_obtained() -> None:
    summary = json.loads(SUMMARY.read_text())
    assert "NOT the paper protocol" in summary["protocol_short"] and summary["date"]
    for row in summary["rows"]:
        assert row["kind"] in ("baseline", "model", "combination"), row["label"]
        assert len(row["fold_micro_train"]) == len(summary["folds"]), row["label"]
        assert any(c.startswith(("companion ", "as the seed-0 row")) for c in row["commands_fold1"]), row["label"]


def test_the_nested_selection_figures_are_on_the_results_page() -> None:
    nested = json.loads((SUMMARY.parent / "real_ped1_nested.json").read_text())
    page = (REPO / "results.md").read_text()
    for key in ("nested_A0_model_only", "nested_A", "nested_B", "nested_C_model_only_smoothing"):
        cell = f"{nested[key]['micro']:.3f} / {nested[key]['macro']:.3f}"
        assert cell in page, f"results.md does not show {key} = {cell}: re-run benchmarks/real_ped1_nested.py"
    every = nested["outer_mean_every_candidate"]
    for c in ("mean+zp99", "mean+zp99 s17"):
        assert f"{every[f'flow-next: {c}']['micro']:.3f} / {every[f'flow-next: {c}']['macro']:.3f}" in page, c


def test_the_protocol_benchmark_figures_are_on_the_results_page() -> None:
    page = (REPO / "results.md").read_text()
    for name, paper in (("protocol_sample", False), ("protocol_sample_jpeg75_240x360", False), ("protocol_synth_ped2_size", True)):
        run = json.loads((SUMMARY.parent / f"{name}.json").read_text())
        assert run["paper_protocol"] is paper and ("NOT the paper protocol" in run["protocol"]) is not paper
        for method, m in run["methods"].items():
            raw, smoothed = m["raw"], m["smoothed"]
            row = (f"| {method} | {raw['auc_micro']:.3f} / {raw['auc_macro']:.3f} | "
                   f"{smoothed['auc_micro']:.3f} / {smoothed['auc_macro']:.3f} |")
            assert row in page, f"results.md does not show {name}'s {method} row {row}: re-run benchmarks/protocol.py"


def test_the_ped1_size_training_time_is_on_the_results_page() -> None:
    timing = json.loads((SUMMARY.parent / "ped1_size_timing.json").read_text())
    page = " ".join((REPO / "results.md").read_text().split())
    assert f"{timing['seconds_per_epoch']:.1f} s per epoch, {timing['projected_s']:.0f} s projected" in page
    assert timing["machine"] in page


def test_the_input_size_choice_is_on_the_results_page() -> None:
    chosen = json.loads((SUMMARY.parent / "real_ped1_resolution.json").read_text())
    page = (REPO / "results.md").read_text()
    assert f"**{chosen['nested']['micro']:.3f} / {chosen['nested']['macro']:.3f}**" in page
    for row, mean in chosen["outer_mean"].items():
        folds = " ".join(f"{chosen['folds'][f]['outer'][row]['micro']:.3f}" for f in sorted(chosen["folds"]))
        line = next((ln for ln in page.splitlines() if ln.startswith(f"| {row} |")), None)
        assert line is not None, f"results.md has no row {row!r}: re-run benchmarks/real_ped1_resolution.py"
        assert f"| {folds} | {mean['micro']:.3f} / {mean['macro']:.3f} |" in line, row
    for size, seeds in chosen["seeds_0_1_2_after_the_choice"].items():
        low, high = seeds["micro_range"]
        assert f"{seeds['micro']:.3f} / {seeds['macro']:.3f} at {size} (micro {low:.3f} to {high:.3f}" in " ".join(page.split()), size


def test_the_local_score_choice_is_on_the_results_page() -> None:
    chosen = json.loads((SUMMARY.parent / "real_ped1_local.json").read_text())
    page = (REPO / "results.md").read_text()
    folds = sorted(chosen["folds"])
    for name, mean in chosen["outer_mean"].items():
        inner = " ".join(f"{chosen['folds'][f]['inner_val_micro_mean'][name]:.3f}" for f in folds)
        picked = ", ".join(f for f in folds if chosen["folds"][f]["pick"] == name) or "-"
        outer = " ".join(f"{chosen['folds'][f]['outer'][name]['micro']:.3f}" for f in folds)
        seeds = chosen["seeds_0_1_2_after_the_choice"][name]
        row = (f"| {name} | {inner} | {picked} | {outer} | {mean['micro']:.3f} / {mean['macro']:.3f} | "
               f"{seeds['micro']:.3f} / {seeds['macro']:.3f} |")  # fmt: skip
        assert row in page, f"results.md does not show {row}: re-run benchmarks/real_ped1_local.py"
    assert chosen["rule_says"] == "mean+zp99" and "so it stays" in page


def test_the_training_length_choice_is_on_the_results_page() -> None:
    chosen = json.loads((SUMMARY.parent / "real_ped1_epochs.json").read_text())
    page = (REPO / "results.md").read_text()
    folds = sorted(chosen["folds"])
    for epochs in chosen["candidates_epochs"]:
        key, mean = str(epochs), chosen["outer_mean"][str(epochs)]
        inner = " ".join(f"{chosen['folds'][f]['inner_val_micro_mean'][key]:.3f}" for f in folds)
        picked = ", ".join(f for f in folds if chosen["folds"][f]["pick"] == epochs) or "-"
        outer = " ".join(f"{chosen['folds'][f]['outer'][key]['micro']:.3f}" for f in folds)
        row = f"| {epochs} | {inner} | {picked} | {outer} | {mean['micro']:.3f} / {mean['macro']:.3f} |"
        assert row in page, f"results.md does not show {row}: re-run benchmarks/real_ped1_epochs.py"
    assert f"**{chosen['nested']['micro']:.3f} / {chosen['nested']['macro']:.3f}**" in page
