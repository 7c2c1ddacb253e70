"""The data layer on the real UCSD Ped1 sample (skipped when ../shared is absent).

The 1800 frames are decoded once per session (``sample_report``); later tests read the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from companion.cache import load_clip, load_masks
from companion.cli import main
from companion.frames import CorruptFrameError, read_frame
from companion.groundtruth import frame_labels, parse_m
from companion.layout import UCSDDataset, open_dataset
from companion.report import inspect_dataset

PED1 = Path("UCSD_Anomaly_Dataset.v1p2") / "UCSDped1"
CLIPS = [f"Test{n:03d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 17)]


@pytest.fixture(scope="session")
def sample_ds(ped1_sample: Path) -> UCSDDataset:
    return open_dataset(ped1_sample)


@pytest.fixture(scope="session")
def sample_report(sample_ds: UCSDDataset, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Session fixtures run before the autouse per-test cache fixture: point at the same cache here.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPANION_CACHE", str(tmp_path_factory.getbasetemp() / "companion-cache"))
        return inspect_dataset(sample_ds)


def test_full_ped1_ground_truth(ped1_sample: Path) -> None:
    ranges = parse_m((ped1_sample / PED1 / "Test" / "UCSDped1.m").read_text())
    assert sorted(ranges) == list(range(1, 37))
    assert sum(int(frame_labels(r, 200).sum()) for r in ranges.values()) == 4045  # of 36 * 200 = 7200
    assert ranges[5] == [(5, 90), (140, 200)]


def test_nine_test_clips_no_train(sample_ds: UCSDDataset) -> None:
    assert sample_ds.name == "UCSDped1" and sample_ds.clips["Train"] == []
    assert [c.name for c in sample_ds.clips["Test"]] == CLIPS
    assert all(len(c.frames) == 200 and c.frames[0].name == "001.tif" for c in sample_ds.clips["Test"])
    assert [c.mask_dir.name for c in sample_ds.clips["Test"] if c.mask_dir] == ["Test003_gt", "Test004_gt"]


def test_junk_is_listed_and_never_loaded(sample_ds: UCSDDataset) -> None:
    assert sample_ds.junk == [
        "../.DS_Store", "../._README.txt", "../README.txt~", ".DS_Store", "Test/.DS_Store", "Test/._UCSDped1.m",
        *(f"Test/{d}/{j}" for d in ("Test001", "Test002", "Test003", "Test003_gt") for j in (".DS_Store", "._.DS_Store")),
        "Test/UCSDped1.m~",
    ]  # fmt: skip
    frames = {p.name for c in sample_ds.clips["Test"] for p in c.frames}
    assert all(name.endswith(".tif") and name[:3].isdigit() for name in frames)


def test_labels(sample_ds: UCSDDataset) -> None:
    test5, test17 = sample_ds.select("Test", "5,17")
    assert sample_ds.label_ranges[5] == [(5, 90), (140, 200)]
    assert test5.labels.sum() == 86 + 61 and not test5.labels[90:139].any() and test5.labels[139:].all()
    assert test17.labels.shape == (200,) and test17.labels.sum() == 47 and test17.labels[:47].all()


def test_exactly_one_corrupt_frame(sample_report: dict) -> None:
    clips = sample_report["splits"]["Test"]["clips"]
    problems = [(p["file"], kind) for c in clips for kind in ("corrupt", "duplicates", "gaps") for p in c[kind]]
    assert problems == [("Test/Test017/142.tif", "corrupt")]
    test17 = clips[-1]
    assert test17["corrupt"][0]["repair"] == "replaced by 141.tif (nearest valid frame)"
    assert test17["corrupt"][0]["reason"] == "cannot be decoded (OSError: decoder error -2)"
    assert test17["abnormal_frames"] == 47 and test17["frame_size"] == [158, 238]
    assert all(c["frames"] == 200 and c["frame_size"] == [158, 238] for c in clips)


def test_repaired_frame_is_a_neighbour_not_garbage(sample_ds: UCSDDataset, sample_report: dict) -> None:
    test17 = sample_ds.select("Test", "17")[0]
    loaded = load_clip(test17)
    assert loaded.frames.shape == (200, 158, 238) and loaded.frames.dtype == np.uint8
    assert np.flatnonzero(loaded.repaired).tolist() == [141]
    assert (loaded.frames[141] == loaded.frames[140]).all()
    assert (loaded.frames[140] == read_frame(test17.frames[140])).all()
    with pytest.raises(CorruptFrameError):
        read_frame(test17.frames[141])
    small = load_clip(test17, size=(64, 96))
    assert small.frames.shape == (200, 64, 96) and (small.frames[141] == small.frames[140]).all()


def test_masks(sample_ds: UCSDDataset) -> None:
    test3 = sample_ds.select("Test", "3")[0]
    masks = load_masks(test3)
    assert masks.shape == (200, 158, 238) and masks.dtype == bool
    assert masks[test3.labels].any(axis=(1, 2)).mean() > 0.5 and not masks[~test3.labels].any()
    assert load_masks(test3, size=(64, 96)).shape == (200, 64, 96)
    assert load_masks(sample_ds.select("Test", "1")[0]) is None


@pytest.mark.parametrize("level", ["", "UCSD_Anomaly_Dataset.v1p2", str(PED1), str(PED1 / "Test")])
def test_cli_inspect_at_every_level(
    ped1_sample: Path, sample_report: dict, tmp_path: Path, level: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert main(["inspect", str(ped1_sample / level), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report == sample_report and report["dataset"] == "UCSDped1"
    assert "Test/Test017/142.tif" in capsys.readouterr().out
