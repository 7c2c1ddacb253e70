"""The command line against a careless user: clear errors (status 2, no traceback), nothing lost.

Every dataset here is the tiny synthetic one (``synth_root``) or a few empty folders; every run
is one epoch of a 16x16 model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from companion.baselines import BASELINES
from companion.cli import build_parser, main
from companion.errors import DatasetNotFoundError, NotACheckpointError
from companion.layout import open_dataset
from companion.model import TARGETS, ModelConfig
from companion.regions import PixelNorm
from companion.scorings import SCORINGS, Normalization, ScoreKind
from companion.settings import TRAIN_ON

TINY = ModelConfig(name="tiny", seq_len=2, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _user_file(path: Path, text: str = "the user's own notes\n") -> tuple[Path, str]:
    path.write_text(text)
    return path, _digest(path)


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr of the last command, checked to be a message and no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 16x16 model configuration as a --config JSON file."""
    path = tmp_path_factory.mktemp("config") / "tiny.json"
    path.write_text(json.dumps(TINY.to_dict()))
    return path


@pytest.fixture(scope="module")
def tiny_run(synth_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-epoch run of the 16x16 model on the synthetic Train clips."""
    from companion.train import train

    out = tmp_path_factory.mktemp("run") / "run"
    train(synth_root, out, config=TINY, epochs=1, stride=4, device="cpu", progress=False, verbose=False)
    return out


# --------------------------------------------------------------------------------------------
# --version and --help


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"companion {version('companion')}\n"


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "The companion command line" in out and "``" not in out and "--version" in out


# --------------------------------------------------------------------------------------------
# inspect


def test_inspect_refuses_an_existing_json_file_before_any_work(
    synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import companion.report

    monkeypatch.setattr(companion.report, "inspect_dataset", lambda ds: pytest.fail("inspected before refusing"))
    js, before = _user_file(tmp_path / "report.json")
    assert main(["inspect", str(synth_root), "--json", str(js)]) == 2
    assert "already exists and was left untouched" in _error(capsys)
    assert _digest(js) == before


def test_inspect_json_to_a_folder_or_below_a_file_is_refused(
    synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(synth_root), "--json", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder; name a new file" in _error(capsys)
    notes, before = _user_file(tmp_path / "notes.txt")
    assert main(["inspect", str(synth_root), "--json", str(notes / "report.json")]) == 2
    assert f"{notes} is a file, not a folder" in _error(capsys)
    assert _digest(notes) == before


def test_inspect_picks_the_only_dataset_and_says_so(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = synth_root.parents[1]  # what `companion synth OUT` was given
    js = tmp_path / "report.json"
    assert main(["inspect", str(out), "--json", str(js)]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"note: using synth, the only dataset in {out} (--dataset synth)\n"
    assert json.loads(js.read_text())["dataset"] == "UCSDsynth" and "UCSDsynth" in captured.out
    assert main(["inspect", str(synth_root)]) == 0  # a dataset folder given directly: nothing to say
    assert capsys.readouterr().err == ""


def test_inspect_piped_into_a_reader_that_stops_early(synth_root: Path) -> None:
    """`companion inspect ROOT | head`: the reader goes away; no traceback, Python's status for EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command starts: its first write fails
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "companion", "inspect", str(synth_root)],
            stdout=write_end, stderr=subprocess.PIPE, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 1 and proc.stderr.decode() == ""


def test_broken_pipe_inside_main(synth_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same in-process: stdout's reader has gone, so its writes raise BrokenPipeError."""

    class ClosedPipe:
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            return self.fd

    with open(tmp_path / "stdout", "w") as f:
        monkeypatch.setattr(sys, "stdout", ClosedPipe(f.fileno()))
        assert main(["inspect", str(synth_root)]) == 1
        monkeypatch.undo()
    assert (tmp_path / "stdout").read_text() == ""  # the descriptor now points at the null device


# --------------------------------------------------------------------------------------------
# synth


def test_synth_into_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes, before = _user_file(tmp_path / "notes.txt")
    for out in (notes, notes / "data"):
        assert main(["synth", str(out), "--train-clips", "1", "--test-clips", "1", "--frames", "30"]) == 2
        assert f"{notes} is a file, not a folder" in _error(capsys)
    assert _digest(notes) == before and sorted(tmp_path.iterdir()) == [notes]


# --------------------------------------------------------------------------------------------
# train


def test_train_out_an_existing_file_is_refused_before_any_work(
    synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import companion.train

    monkeypatch.setattr(companion.train, "pick_device", lambda *a, **k: pytest.fail("work started before refusing"))
    notes, before = _user_file(tmp_path / "notes.txt")
    for out in (notes, notes / "run"):
        assert main(["train", str(synth_root), "--out", str(out), "--epochs", "1", "--no-progress"]) == 2
        err = _error(capsys)
        assert f"{notes} is a file, not a folder" in err and "nothing was trained or written" in err
    assert _digest(notes) == before and sorted(tmp_path.iterdir()) == [notes]


@pytest.mark.parametrize("epochs", ["0", "-1"])
def test_train_refuses_epochs_below_one(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], epochs: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", str(synth_root), "--out", str(tmp_path / "run"), f"--epochs={epochs}"])
    assert exit_.value.code == 2
    assert f"argument --epochs: '{epochs}': must be at least 1" in _error(capsys)
    assert not (tmp_path / "run").exists()


def test_train_picks_the_only_dataset_and_says_so(
    synth_root: Path, tiny_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.checkpoints import load_checkpoint

    out = synth_root.parents[1]  # what `companion synth OUT` was given
    argv = ["train", str(out), "--out", str(tmp_path / "run"), "--config", str(tiny_config), "--epochs", "1"]
    assert main([*argv, "--stride", "4", "--no-progress", "--device", "cpu"]) == 0
    assert f"note: using synth, the only dataset in {out} (--dataset synth)\n" in capsys.readouterr().err
    assert load_checkpoint(tmp_path / "run")["data"]["dataset"] == "UCSDsynth"


# --------------------------------------------------------------------------------------------
# checkpoints


@pytest.mark.parametrize(
    "content, kind",
    [
        (np.random.default_rng(0).bytes(500), "binary data of an unknown kind"),
        (b"\x80" + np.random.default_rng(1).bytes(99), "a Python pickle"),
        (b"hello world\n", "a text file (starting 'hello world')"),
        (b"", "an empty file"),
    ],
)
def test_evaluate_a_file_that_is_not_a_checkpoint(
    synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, kind: str
) -> None:
    from companion.checkpoints import load_model

    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes(content)
    for given in (run, run / "checkpoint.pt"):
        assert main(["evaluate", str(given), str(synth_root), "--no-progress"]) == 2
        err = _error(capsys)
        assert f"{run / 'checkpoint.pt'} is not a companion checkpoint: it is {kind}" in err
        assert "companion train ROOT --out RUN" in err
    with pytest.raises(NotACheckpointError, match="is not a companion checkpoint"):
        load_model(run)
    assert (run / "checkpoint.pt").read_bytes() == content


def test_a_truncated_checkpoint_says_so(tiny_run: Path, tmp_path: Path) -> None:
    from companion.checkpoints import load_checkpoint

    data = (tiny_run / "checkpoint.pt").read_bytes()
    (tmp_path / "checkpoint.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(NotACheckpointError, match="a truncated or damaged zip archive"):
        load_checkpoint(tmp_path)


# --------------------------------------------------------------------------------------------
# evaluate on another dataset than the run's


def test_evaluate_on_a_root_without_the_runs_dataset(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ped1 = tmp_path / "real"
    (ped1 / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped1" / "Test" / "Test001").mkdir(parents=True)
    for extra in ([], ["--dataset", "ped1"]):
        assert main(["evaluate", str(tiny_run), str(ped1), "--no-progress", *extra]) == 2
        err = _error(capsys)
        assert f"{tiny_run} was trained on UCSDsynth" in err and f"{ped1} holds UCSDped1" in err
        assert "choose with --dataset" not in err and "pass a ROOT that holds UCSDsynth" in err


def test_evaluate_still_works_on_the_runs_own_root(tiny_run: Path, synth_root: Path, tmp_path: Path) -> None:
    js = tmp_path / "eval.json"
    assert main(["evaluate", str(tiny_run), str(synth_root.parents[1]), "--no-progress", "--json", str(js)]) == 0
    assert json.loads(js.read_text())["n_frames"] > 0


# --------------------------------------------------------------------------------------------
# open_dataset without a dataset name


def test_open_dataset_takes_the_only_one_else_ped1_else_asks(tmp_path: Path) -> None:
    base = tmp_path / "UCSD_Anomaly_Dataset.v1p2"
    (base / "UCSDped2" / "Test" / "Test001").mkdir(parents=True)
    assert open_dataset(tmp_path).name == "UCSDped2"
    (base / "UCSDsynth" / "Test" / "Test001").mkdir(parents=True)
    several = r"holds several datasets \(UCSDped2, UCSDsynth\); choose one with --dataset ped2, synth"
    with pytest.raises(DatasetNotFoundError, match=several):
        open_dataset(tmp_path)
    (base / "UCSDped1" / "Test" / "Test001").mkdir(parents=True)
    assert open_dataset(tmp_path).name == "UCSDped1"  # the documented default among several
    assert open_dataset(tmp_path, dataset="synth").name == "UCSDsynth"


# --------------------------------------------------------------------------------------------
# combine


def test_combine_a_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "scores.csv"
    binary.write_bytes(b"\xff\xfe" + np.random.default_rng(0).bytes(200))
    good = tmp_path / "good.csv"
    good.write_text("clip,frame,label,score\nTest001,1,0,0.5\n")
    assert main(["combine", str(good), str(binary)]) == 2
    assert f"{binary} is not a scores CSV: it is not text" in _error(capsys)


def test_combine_a_nan_score_names_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "clip,frame,label,score\nTest001,1,0,0.5\nTest001,2,1,nan\n"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(rows.replace("nan", "1.5"))
    b.write_text(rows)
    assert main(["combine", str(a), str(b)]) == 2
    assert f"{b}, line 3: the score of Test001 frame 2 is 'nan', not a finite number" in _error(capsys)


def test_combine_refuses_the_same_output_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    assert main(["combine", "a.csv", "b.csv", "--json", str(out), "--scores", str(out)]) == 2
    assert "the same file is given twice" in _error(capsys)
    assert not out.exists()



# --------------------------------------------------------------------------------------------
# the recommended detector: two commands, the scoring the run records


TINY_FLOW = ModelConfig(
    name="tiny-flow", seq_len=3, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,),
    target="next", signal="flow", signal_gain=0.25,
)  # fmt: skip


@pytest.fixture(scope="module")
def recommended_run(synth_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`companion train ROOT --out RUN` (no --config: the recommended configuration, here at 16x16), 1 epoch."""
    import dataclasses

    import companion.model
    from companion.settings import RECOMMENDED_CONFIG

    run = tmp_path_factory.mktemp("recommended") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(companion.model.CONFIGS, RECOMMENDED_CONFIG, dataclasses.replace(TINY_FLOW, name=RECOMMENDED_CONFIG))
        argv = ["train", str(synth_root), "--out", str(run), "--epochs", "1", "--stride", "4", "--device", "cpu", "--no-progress"]
        assert main(argv) == 0
    return run


def test_train_records_the_recommended_scoring(recommended_run: Path, tiny_run: Path) -> None:
    from companion.checkpoints import load_checkpoint
    from companion.scorings import SCORINGS
    from companion.settings import RECOMMENDED_CONFIG, RECOMMENDED_SCORING

    ckpt = load_checkpoint(recommended_run)
    assert ckpt["model_config"]["name"] == RECOMMENDED_CONFIG
    assert ckpt["scoring"] == RECOMMENDED_SCORING[RECOMMENDED_CONFIG] == "mean+zp99"
    assert json.loads((recommended_run / "history.json").read_text())["scoring"] == "mean+zp99"
    assert load_checkpoint(tiny_run)["scoring"] == "mse"  # a configuration without a recommendation
    assert set(RECOMMENDED_SCORING.values()) <= set(SCORINGS)


def test_the_two_commands_give_the_four_command_recipe(
    recommended_run: Path, synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`companion evaluate RUN ROOT` = evaluate twice (frame mean, pixel-z p99) and `combine`, as the README said."""
    import csv

    run, root = str(recommended_run), str(synth_root)
    capsys.readouterr()
    two = tmp_path / "two.json"
    assert main(["evaluate", run, root, "--no-progress", "--json", str(two), "--scores", str(tmp_path / "two.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Scoring mean+zp99 (recorded by the run): the frame mean plus the 99th percentile")
    assert "Fixed combination (not learned)" in out and "threshold" in out
    mean, pixz, four = tmp_path / "mean.csv", tmp_path / "pixz.csv", tmp_path / "four.json"
    assert main(["evaluate", run, root, "--no-progress", "--scoring", "mse", "--scores", str(mean)]) == 0
    assert main(["evaluate", run, root, "--no-progress", "--region", "0", "--pixel-norm", "z", "--percentile", "99",
                 "--scores", str(pixz)]) == 0  # fmt: skip
    assert main(["combine", str(mean), str(pixz), "--json", str(four), "--scores", str(tmp_path / "four.csv")]) == 0
    got, want = json.loads(two.read_text()), json.loads(four.read_text())
    assert got["scoring"] == "mean+zp99" and got["scoring_source"] == "recorded by the run"
    assert got["scoring_parts"] == ["frame mean", "pixel-z p99"] and got["protocol"].startswith("Scoring mean+zp99")
    for key in ("auc_micro", "auc_macro", "n_frames"):
        assert got[key] == pytest.approx(want[key], abs=1e-6)
    rows_two = list(csv.DictReader((tmp_path / "two.csv").open()))
    rows_four = list(csv.DictReader((tmp_path / "four.csv").open()))
    assert {r["scoring"] for r in rows_two} == {"mean+zp99"} and len(rows_two) == len(rows_four)
    for a, b in zip(rows_two, rows_four):
        assert (a["clip"], a["frame"], a["label"]) == (b["clip"], b["frame"], b["label"])
        assert float(a["score"]) == pytest.approx(float(b["score"]), rel=1e-6, abs=1e-6)
    assert main(["evaluate", run, root, "--no-progress", "--scoring", "mse", "--json", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["scoring_source"] == "chosen with --scoring"


def test_an_old_run_without_a_recorded_scoring_is_scored_with_mse(
    recommended_run: Path, synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.checkpoints import load_checkpoint, save_checkpoint

    old = load_checkpoint(recommended_run)
    del old["scoring"]
    save_checkpoint(old, tmp_path / "old" / "checkpoint.pt")
    report = tmp_path / "old.json"
    assert main(["evaluate", str(tmp_path / "old"), str(synth_root), "--no-progress", "--json", str(report)]) == 0
    err = _error(capsys)
    assert "note: the run records no scoring (trained before runs recorded one): the default, mse" in err
    assert "--scoring mean+zp99" in err
    got = json.loads(report.read_text())
    assert got["scoring"] == "mse" and got["protocol"].startswith("Scoring mse (the run records no scoring")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--scoring", "mean+zp99", "--region", "0"], "--scoring chooses a named scoring, --region a single score"),
        (["--scoring", "mse", "--score", "regularity"], "give one or the other"),
        (["--pixel-norm", "z"], "--pixel-norm shape region scores of error maps: add --region 0"),
        (["--percentile", "99"], "--percentile shape region scores of error maps: add --region 0"),
        (["--normalize", "video"], "the mean+zp99 scoring sums scores z-scored with the training frames' statistics"),
        (["--region", "0", "--score", "regularity"], "--region scores squared-error maps"),
    ],
)
def test_evaluate_refuses_scoring_options_that_do_not_fit(
    recommended_run: Path, synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    import companion.evaluation

    report = tmp_path / "r.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(companion.evaluation, "load_model", lambda *a, **k: pytest.fail("the model ran before refusing"))
        assert main(["evaluate", str(recommended_run), str(synth_root), "--no-progress", "--json", str(report), *options]) == 2
    assert message in _error(capsys)
    assert not report.exists()


def test_evaluate_refuses_a_scoring_it_does_not_know(
    recommended_run: Path, synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from companion.checkpoints import load_checkpoint, save_checkpoint

    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", str(recommended_run), str(synth_root), "--scoring", "best"])
    assert exit_.value.code == 2 and "invalid choice: 'best'" in _error(capsys)
    future = {**load_checkpoint(recommended_run), "scoring": "mean+flow"}
    save_checkpoint(future, tmp_path / "future" / "checkpoint.pt")
    assert main(["evaluate", str(tmp_path / "future"), str(synth_root), "--no-progress"]) == 2
    assert "records the scoring 'mean+flow', which this version of companion does not know" in _error(capsys)


def test_every_choice_list_of_the_cli_is_the_packages() -> None:
    """The CLI offers exactly the package's vocabularies (it names them rather than copying them;
    --target, whose constant lives in the torch-importing model module, is checked here)."""
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    expected = {
        ("train", "train_on"): TRAIN_ON, ("train", "target"): TARGETS, ("evaluate", "scoring"): tuple(SCORINGS),
        ("evaluate", "normalize"): get_args(Normalization), ("evaluate", "score"): get_args(ScoreKind),
        ("evaluate", "pixel_norm"): get_args(PixelNorm), ("baseline", "method"): tuple(BASELINES),
        ("baseline", "normalize"): get_args(Normalization),
    }  # fmt: skip
    found = {
        (command, action.dest): tuple(action.choices)
        for command, parser in subparsers.choices.items()
        for action in parser._actions
        if action.choices is not None
    }
    assert found == {key: tuple(value) for key, value in expected.items()}
