"""The inspection report (JSON and table), the ``companion inspect`` command, and folders salted
with random junk."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from companion.cli import main
from companion.errors import CompanionError
from companion.layout import open_dataset
from companion.report import format_report, inspect_dataset

H, W = 10, 14


def _tiff(path: Path, seed: int, shape: tuple[int, int] = (H, W)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(image).save(path, format="TIFF", compression="packbits")


def _dataset(root: Path) -> Path:
    """UCSDped1 with two test clips and one train clip, planted defects and junk; returns ``root``."""
    ped = root / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped1"
    for k, (clip, n) in enumerate((("Test/Test001", 8), ("Test/Test002", 8), ("Train/Train001", 6))):
        for i in range(1, n + 1):
            _tiff(ped / clip / f"{i:03d}.tif", seed=100 * k + i)
    test2 = ped / "Test" / "Test002"
    (test2 / "004.tif").write_bytes((test2 / "004.tif").read_bytes()[:50])  # truncated
    (test2 / "006.tif").write_bytes(b"")  # zero bytes
    _tiff(test2 / "007.tif", seed=7, shape=(H + 1, W))  # wrong size
    (test2 / "008.tif").rename(test2 / "009.tif")  # gap at 8
    shutil.copy(ped / "Train/Train001/001.tif", ped / "Train/Train001/003.tif")  # duplicate
    (ped / "Test" / "UCSDped1.m").write_text("TestVideoFile{end+1}.gt_frame = [2:3, 6:7];\nTestVideoFile{end+1}.gt_frame = [5:9];\n")
    (ped / "Test" / "Test001_gt").mkdir()
    for i in range(1, 9):
        Image.fromarray(np.zeros((H, W), np.uint8)).save(ped / "Test" / "Test001_gt" / f"{i:03d}.bmp")
    for junk in (".DS_Store", "Test/._UCSDped1.m", "Test/UCSDped1.m~", "Test/Test001/._.DS_Store", "Test/Test002/Thumbs.db"):
        (ped / junk).write_bytes(b"\x00\x05junk")
    return root


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dataset(tmp_path_factory.mktemp("report"))


def test_report_json_shape(planted: Path) -> None:
    report = inspect_dataset(open_dataset(planted))
    assert json.loads(json.dumps(report)) == report
    assert report["dataset"] == "UCSDped1" and report["gt_file"] == "Test/UCSDped1.m" and report["gt_clips"] == 2
    assert report["junk"] == [".DS_Store", "Test/._UCSDped1.m", "Test/Test001/._.DS_Store", "Test/Test002/Thumbs.db",
                              "Test/UCSDped1.m~"]  # fmt: skip
    test1, test2 = report["splits"]["Test"]["clips"]
    assert test1 == {
        "name": "Test001", "frames": 8, "frame_size": [H, W], "abnormal_frames": 4, "label_ranges": [[2, 3], [6, 7]],
        "masks": 8, "repaired_frames": 0, "corrupt": [], "duplicates": [], "gaps": [], "error": None,
    }  # fmt: skip
    assert test2["frames"] == 8 and test2["abnormal_frames"] == 4 and test2["repaired_frames"] == 3
    assert [c["file"] for c in test2["corrupt"]] == ["Test/Test002/004.tif", "Test/Test002/006.tif", "Test/Test002/007.tif"]
    assert all(set(c) == {"file", "reason", "repair"} for c in test2["corrupt"])
    assert [c["repair"] for c in test2["corrupt"]] == [f"replaced by {n}.tif (nearest valid frame)" for n in ("003", "005", "005")]
    assert [g["file"] for g in test2["gaps"]] == ["Test/Test002/008.tif"]
    train = report["splits"]["Train"]
    assert train["abnormal_frames"] is None and train["clips"][0]["abnormal_frames"] is None
    assert [d["file"] for d in train["clips"][0]["duplicates"]] == ["Train/Train001/003.tif"]
    assert report["summary"] == {"clips": 3, "frames": 22, "corrupt": 3, "duplicates": 1, "gaps": 1,
                                 "unreadable_clips": 0, "junk": 5}  # fmt: skip


def test_table(planted: Path) -> None:
    table = format_report(inspect_dataset(open_dataset(planted)))
    assert "UCSDped1 at" in table and "ground truth: Test/UCSDped1.m (2 clips labelled)" in table
    assert "Test: 2 clips, 16 frames, 8 abnormal" in table and "Train: 1 clips, 6 frames" in table
    row = next(line for line in table.splitlines() if line.strip().startswith("Test002"))
    assert row.split() == ["Test002", "8", f"{H}x{W}", "4", "5-9", "3", "corrupt,", "1", "gaps"]
    assert "Test/Test002/006.tif: empty file (0 bytes) -> replaced by 005.tif (nearest valid frame)" in table
    assert "junk (5 files, ignored, never loaded):" in table and "editor backup (*~): 1" in table


def test_unreadable_clip_is_reported_not_fatal(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    ped = root / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped1"
    for frame in (ped / "Train" / "Train001").glob("*.tif"):
        frame.write_bytes(b"")
    report = inspect_dataset(open_dataset(root))
    clip = report["splits"]["Train"]["clips"][0]
    assert "none of its 6 frames can be decoded" in clip["error"] and clip["frame_size"] is None
    assert "UNREADABLE" in format_report(report) and report["summary"]["unreadable_clips"] == 1


def test_cli_inspect_writes_json(planted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "report.json"
    assert main(["inspect", str(planted), "--json", str(out)]) == 0
    assert "Test002" in capsys.readouterr().out
    assert json.loads(out.read_text())["splits"]["Test"]["clips"][1]["name"] == "Test002"


def test_cli_inspect_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path)]) == 2
    assert "no UCSD dataset" in capsys.readouterr().err
    assert main(["inspect", str(_dataset(tmp_path / "d")), "--dataset", "ped2"]) == 2
    assert "present: UCSDped1" in capsys.readouterr().err


_NAMES = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcXYZ019._~- ")), min_size=1, max_size=12),
    st.sampled_from([".DS_Store", "._.DS_Store", "._001.tif", "x~", "Test001_Error.txt", "Thumbs.db", "UCSDped1.m"]),
    st.integers(0, 30).map(lambda n: f"{n:03d}.tif"),
    st.integers(0, 30).map(lambda n: f"frame{n:03d}.bmp"),
    st.integers(0, 5).map(lambda n: f"Test{n:03d}"),
    st.integers(0, 5).map(lambda n: f"Test{n:03d}_gt"),
).filter(lambda name: name not in (".", ".."))
_PLACES = st.sampled_from(["", "Test", "Train", "Test/Test001", "Test/Test002", "Train/Train001", "Test/Test001_gt"])
_SALT = st.lists(st.tuples(_PLACES, _NAMES, st.one_of(st.binary(max_size=64), st.none())), max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(salt=_SALT)
def test_salted_folders_give_a_report_or_a_clear_error(planted: Path, salt: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(planted, root, dirs_exist_ok=True)
        ped = root / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped1"
        for place, name, content in salt:
            target = ped / place / name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if content is None:
                target.mkdir()
            else:
                target.write_bytes(content)
        try:
            report = inspect_dataset(open_dataset(root))
        except CompanionError as err:
            assert str(err)
            return
        format_report(report)
        json.dumps(report)
        salted = {f"{place}/{name}".lstrip("/") for place, name, _ in salt}
        assert {j for j in salted if Path(j).name in (".DS_Store", "._.DS_Store", "x~")} <= {j.rstrip("/") for j in report["junk"]}
