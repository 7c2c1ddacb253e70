"""The course's models (companion.reference): shipped reference runs, runs trained on other data, profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from companion.checkpoints import load_checkpoint, load_model
from companion.errors import CompanionError
from companion.model import CONFIGS
from companion.reference import (
    PROFILES,
    RECIPES,
    REFERENCE_DIR,
    SHIPPED,
    SYNTH_ID,
    course_model,
    course_profile,
    course_run,
    reference_run,
    replace_run,
    staged_run,
)
from companion.settings import TRAIN_DEFAULTS


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_reference_is_a_slim_run_of_its_recipe(name: str) -> None:
    ckpt = load_checkpoint(REFERENCE_DIR / name)
    recipe = RECIPES[name]
    assert ckpt["model_config"]["name"] == recipe.config
    assert bool(ckpt["model_config"]["recurrent"]) == recipe.recurrent
    assert ckpt["epoch"] == TRAIN_DEFAULTS[recipe.config].epochs == ckpt["settings"]["epochs"]
    assert ckpt["data"]["synth"] == SYNTH_ID and ckpt["data"]["dataset"] == "UCSDsynth"
    assert "optimizer_state" not in ckpt and "rng" not in ckpt  # weights only
    assert (REFERENCE_DIR / name / "checkpoint.pt").stat().st_size < 600 * 1024
    # trained: the validation loss fell by far
    assert ckpt["history"]["val_loss"][-1] < 0.6 * ckpt["history"]["val_loss"][0]
    model, _ = load_model(REFERENCE_DIR / name, device="cpu")
    x = torch.rand(1, *CONFIGS[recipe.config].input_shape)
    assert model(x).shape[0] == 1


def test_reference_is_used_only_on_the_synthetic_default(synth_root: Path) -> None:
    assert reference_run("cpu", synth_root, "synth") is None  # another synthetic set: not the default
    assert reference_run("report", synth_root) is None  # never shipped


def test_course_run_trains_once_then_reuses(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = course_run("cpu-2d", synth_root, tmp_path, dataset="synth", epochs=1, device="cpu", progress=False)
    assert run == tmp_path / "course-cpu-2d" and "training 'cpu-2d'" in capsys.readouterr().out
    ckpt = load_checkpoint(run)
    assert ckpt["epoch"] == 1 and ckpt["model_config"]["recurrent"] is False
    stamp = (run / "checkpoint.pt").stat().st_mtime_ns
    assert course_run("cpu-2d", synth_root, tmp_path, dataset="synth", epochs=1, device="cpu", progress=False) == run
    assert (run / "checkpoint.pt").stat().st_mtime_ns == stamp and "training" not in capsys.readouterr().out
    # Another number of epochs is another run: trained again, in the same place.
    course_run("cpu-2d", synth_root, tmp_path, dataset="synth", epochs=2, device="cpu", progress=False)
    assert load_checkpoint(run)["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course-cpu-2d"]  # no staging folder left behind
    # What the notebooks call: the same run, loaded, and where it came from.
    model, ckpt, where_run, where = course_model("cpu-2d", synth_root, tmp_path, dataset="synth", epochs=2)
    assert where_run == run and where == f"your run {run}" and ckpt["epoch"] == 2 and not model.config.recurrent


def test_course_run_refuses_an_unknown_model(synth_root: Path, tmp_path: Path) -> None:
    with pytest.raises(CompanionError, match="no course model 'nope'"):
        course_run("nope", synth_root, tmp_path)


def test_replace_run_keeps_the_old_run_until_the_new_one_is_in_place(tmp_path: Path) -> None:
    old, new = tmp_path / "run", tmp_path / "staging"
    old.mkdir()
    (old / "checkpoint.pt").write_text("old")
    new.mkdir()
    (new / "checkpoint.pt").write_text("new")
    replace_run(new, old)
    assert (old / "checkpoint.pt").read_text() == "new" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_staged_run_replaces_the_run_only_when_the_block_completes(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "course-cpu"
    with staged_run(run) as staging:
        assert staging.parent.parent == run.parent and not staging.exists()  # a fresh folder beside the run
        staging.mkdir()
        (staging / "checkpoint.pt").write_text("first")
    assert (run / "checkpoint.pt").read_text() == "first"
    with pytest.raises(KeyboardInterrupt):
        with staged_run(run) as staging:
            staging.mkdir()
            (staging / "checkpoint.pt").write_text("half")
            raise KeyboardInterrupt  # training interrupted
    assert (run / "checkpoint.pt").read_text() == "first"  # the complete run stays
    assert [p.name for p in run.parent.iterdir()] == ["course-cpu"]  # nothing left behind


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_course_profile(profile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PROFILE", profile)
    assert course_profile() == PROFILES[profile]
    assert course_profile()[0] in RECIPES


def test_course_profile_default_and_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert course_profile() == ("cpu", None)
    monkeypatch.setenv("COURSE_PROFILE", "ful")
    with pytest.raises(CompanionError, match="choose one of cpu, full, quick"):
        course_profile()
