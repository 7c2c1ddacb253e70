"""The recommended configuration is the one benchmarks/real_ped1_resolution.py chose by nested
cross-validation, trained as it was there, and its training at Ped1's size was measured; its
scoring is the one benchmarks/real_ped1_local.py's nested choice kept, and its epochs on small data
the ones benchmarks/real_ped1_epochs.py's chose."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from real_ped1_resolution import CANDIDATES  # noqa: E402

from companion.model import CONFIGS  # noqa: E402
from companion.settings import (  # noqa: E402
    EPOCH_BUDGETS,
    RECOMMENDED_CONFIG,
    RECOMMENDED_SCORING,
    EpochBudget,
    default_settings,
    epochs_for,
)

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def test_the_recommended_configuration_is_the_nested_choice() -> None:
    chosen = json.loads((RESULTS / "real_ped1_resolution.json").read_text())
    size = "96x144" if chosen["rule_says_96x144"] else "64x96"
    config, options, _ = CANDIDATES[size]
    recommended = CONFIGS[RECOMMENDED_CONFIG]
    assert dataclasses.replace(config, name=RECOMMENDED_CONFIG) == recommended, "the model the benchmark chose is not the default"
    assert default_settings(config.name, **options) == default_settings(RECOMMENDED_CONFIG, seed=0), "trained otherwise"
    assert RECOMMENDED_SCORING[RECOMMENDED_CONFIG] == "mean+zp99"
    # the rule written in the script: at least 2 of the 3 outer folds pick it
    assert chosen["rule_says_96x144"] == (chosen["picks"].count("96x144") >= 2)
    assert chosen["candidates"][size]["config"] == config.to_dict()


def test_the_recommended_configuration_trains_ped1_in_the_budget() -> None:
    timing = json.loads((RESULTS / "ped1_size_timing.json").read_text())
    recommended = CONFIGS[RECOMMENDED_CONFIG]
    assert timing["config"] == RECOMMENDED_CONFIG and timing["size"] == f"{recommended.height}x{recommended.width}"
    assert timing["ped1_train_size"] and timing["default_epochs"] == default_settings(RECOMMENDED_CONFIG).epochs
    assert timing["fits_budget"] and timing["projected_s"] <= timing["budget_s"]


def test_the_64x96_runs_are_the_other_benchmarks_runs(tmp_path: Path) -> None:
    """The 64x96 candidate reuses real_ped1.py's and real_ped1_nested.py's runs, not runs of its own."""
    from real_ped1 import RECIPES
    from real_ped1_nested import RECIPE
    from real_ped1_resolution import run_dir

    assert run_dir(tmp_path, "64x96", 2) == tmp_path / f"{RECIPE}_f2"
    assert run_dir(tmp_path, "64x96", 2, inner=3) == tmp_path / "nested" / f"{RECIPE}_f2_i3"
    assert run_dir(tmp_path, "64x96", 1, seed=1).name.removesuffix("_f1") in RECIPES  # flow-next-s1
    assert run_dir(tmp_path, "96x144", 1, inner=2, seed=0).parent == tmp_path / "resolution"


def test_the_recommended_scoring_is_the_nested_choice() -> None:
    chosen = json.loads((RESULTS / "real_ped1_local.json").read_text())
    changes = [c for c in chosen["candidates"] if c != "mean+zp99" and chosen["picks"].count(c) >= 2]
    assert chosen["rule_says"] == (changes[0] if changes else "mean+zp99")  # the rule written in the script
    assert RECOMMENDED_SCORING[RECOMMENDED_CONFIG] == chosen["rule_says"]


def test_the_recommended_training_length_is_the_nested_choice() -> None:
    chosen = json.loads((RESULTS / "real_ped1_epochs.json").read_text())
    timing = json.loads((RESULTS / "ped1_size_timing.json").read_text())
    own = default_settings(RECOMMENDED_CONFIG).epochs
    candidates = chosen["candidates_epochs"]
    longer = [e for e in candidates[1:] if chosen["picks"].count(e) >= 2]
    assert candidates[0] == own and chosen["rule_says_max_epochs"] == (longer[0] if longer else own)  # the script's rule
    # the budget: what the configuration's own epochs see on Ped1's Train split, as timed
    assert chosen["window_budget"] == own * timing["train_windows"]
    if chosen["rule_says_max_epochs"] == own:
        assert RECOMMENDED_CONFIG not in EPOCH_BUDGETS
    else:
        assert EPOCH_BUDGETS[RECOMMENDED_CONFIG] == EpochBudget(windows=chosen["window_budget"], most=chosen["rule_says_max_epochs"])
    # Ped1's Train split keeps the epochs that were timed; the sample's folds train what was chosen
    assert epochs_for(RECOMMENDED_CONFIG, own, timing["train_windows"]) == timing["default_epochs"] == own
    for fold in chosen["folds"].values():
        windows = fold["outer_runs"][str(chosen["rule_says_max_epochs"])]["train_windows"]
        assert epochs_for(RECOMMENDED_CONFIG, own, windows) == chosen["rule_says_max_epochs"]
