"""benchmarks/protocol.py on a tiny synthetic set: every method, micro and macro AUC, raw and smoothed;
outputs never overwritten; a download without a Train split is said to be NOT the paper protocol."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from protocol import MODELS, SMOOTH, main  # noqa: E402

from companion.baselines import BASELINES  # noqa: E402


def _check(report: dict, json_path: Path) -> None:
    assert set(report["methods"]) == {*MODELS, *BASELINES}
    for name, method in report["methods"].items():
        for key in ("raw", "smoothed"):
            for auc in ("auc_micro", "auc_macro"):
                assert 0.0 <= method[key][auc] <= 1.0, (name, key, auc)
        assert method["commands"] and all("companion " in c for c in method["commands"])
    assert report["methods"]["recommended"]["scoring"] == "mean+zp99" and report["methods"]["plain"]["scoring"] == "mse"
    assert str(SMOOTH) in report["smoothing"]
    page = json_path.with_suffix(".md").read_text()
    assert "| Method | micro | macro" in page and report["command"] in page and "companion evaluate" in page


def test_protocol_benchmark_on_a_tiny_synthetic_set(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    argv = [str(synth_root), "--out", str(out), "--epochs", "1"]
    assert main(argv) == 0
    report = json.loads((out / "protocol.json").read_text())
    _check(report, out / "protocol.json")
    assert report["paper_protocol"] is True and report["protocol"].startswith("The paper protocol")
    before = (out / "protocol.json").read_bytes()
    assert main(argv) == 2  # the outputs exist: refused before any work, nothing overwritten
    assert "already exists and was left untouched" in capsys.readouterr().err
    assert (out / "protocol.json").read_bytes() == before
    again = tmp_path / "again.json"
    assert main([*argv, "--json", str(again), "--md", str(tmp_path / "again.md")]) == 0  # the runs are reused
    assert json.loads(again.read_text())["methods"]["plain"]["raw"] == report["methods"]["plain"]["raw"]
    with pytest.raises(SystemExit, match="holds another run"):  # a run trained otherwise never stands in
        main([str(synth_root), "--out", str(out), "--epochs", "2", "--json", str(tmp_path / "x.json"), "--md", str(tmp_path / "x.md")])


def test_protocol_benchmark_without_a_train_split(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data" / "UCSD_Anomaly_Dataset.v1p2"
    shutil.copytree(synth_root, data / synth_root.name, ignore=lambda folder, names: ["Train"] if "Train" in names else [])
    out = tmp_path / "bench"
    assert main([str(tmp_path / "data"), "--out", str(out), "--epochs", "1"]) == 0
    assert "NOTE: NOT the paper protocol" in capsys.readouterr().err
    report = json.loads((out / "protocol.json").read_text())
    _check(report, out / "protocol.json")
    assert report["paper_protocol"] is False and report["train_on"] == "normal-test-frames"
    assert "NOT the paper protocol" in (out / "protocol.md").read_text()
