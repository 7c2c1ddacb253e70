"""The synthetic UCSD-layout dataset: determinism, exact layout, labels, junk and corruption."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from companion import synth
from companion.cli import main
from companion.synth import ANOMALY_KINDS, SynthConfig, SynthError, course_data, default_dataset, generate


def _manifest(root: Path) -> dict:
    return json.loads((root / "synth.json").read_text())


def _gt(root: Path) -> list[list[tuple[int, int]]]:
    """Minimal reading of the ``.m`` file, independent of the package's parser."""
    lines = [ln for ln in (root / "Test" / "UCSDsynth.m").read_text().splitlines() if "gt_frame" in ln]
    return [[(int(a), int(b)) for a, b in re.findall(r"(\d+):(\d+)", ln)] for ln in lines]


def _labels(ranges: list[tuple[int, int]], n: int) -> np.ndarray:
    labels = np.zeros(n, bool)
    for a, b in ranges:
        labels[a - 1 : b] = True
    return labels


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six test clips of 100 frames: every anomaly kind and a two-range clip."""
    return generate(tmp_path_factory.mktemp("varied"), SynthConfig(seed=1, train_clips=1, test_clips=6, frames=100))


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    config = SynthConfig(seed=3, train_clips=1, test_clips=1, frames=30)
    a = generate(tmp_path / "a", config).parents[1]
    b = generate(tmp_path / "b", config).parents[1]
    assert _hashes(a) == _hashes(b)
    c = generate(tmp_path / "c", SynthConfig(seed=4, train_clips=1, test_clips=1, frames=30)).parents[1]
    assert _hashes(a)["UCSD_Anomaly_Dataset.v1p2/UCSDsynth/Train/Train001/001.tif"] != _hashes(c)["UCSD_Anomaly_Dataset.v1p2/UCSDsynth/Train/Train001/001.tif"]


def test_exact_ucsd_layout(synth_root: Path) -> None:
    assert synth_root.name == "UCSDsynth" and synth_root.parent.name == "UCSD_Anomaly_Dataset.v1p2"
    manifest = _manifest(synth_root)
    corrupt = {c["file"] for c in manifest["corrupt"]}
    for split, n in (("Train", 2), ("Test", 2)):
        clips = sorted(p.name for p in (synth_root / split).iterdir() if re.fullmatch(rf"{split}\d{{3}}", p.name))
        assert clips == [f"{split}{i:03d}" for i in range(1, n + 1)]
        for clip in clips:
            tifs = sorted(p.name for p in (synth_root / split / clip).glob("*.tif"))
            assert tifs == [f"{i:03d}.tif" for i in range(1, 41)]
            for name in (tifs[0], tifs[-1]):
                if f"{split}/{clip}/{name}" in corrupt:
                    continue
                with Image.open(synth_root / split / clip / name) as im:
                    assert (im.mode, im.size, im.info["compression"]) == ("L", (238, 158), "packbits")


def test_m_file_matches_manifest_and_masks(synth_root: Path, varied: Path) -> None:
    for root in (synth_root, varied):
        manifest = _manifest(root)
        tests = [c for c in manifest["clips"] if c["split"] == "Test"]
        text = (root / "Test" / "UCSDsynth.m").read_text()
        assert text.startswith("TestVideoFile = {};\n")
        assert _gt(root) == [[tuple(r) for r in c["gt_frame"]] for c in tests]
        for clip, ranges in zip(tests, _gt(root)):
            labels = _labels(ranges, clip["frames"])
            assert labels.any() and not labels.all(), "each test clip has anomalous and normal frames"
            masks = sorted((root / "Test" / f"{clip['name']}_gt").glob("*.bmp"))
            assert len(masks) == clip["frames"]
            for t, path in enumerate(masks):
                with Image.open(path) as im:
                    mask = np.array(im)
                assert set(np.unique(mask)) <= {0, 255}
                assert mask.any() == labels[t], f"{path}: mask and .m disagree"


def test_two_ranges_and_every_anomaly_kind(varied: Path) -> None:
    assert any(len(r) >= 2 for r in _gt(varied))
    manifest = _manifest(varied)
    planted = {e["kind"] for c in manifest["clips"] for e in c["events"]}
    assert set(ANOMALY_KINDS) <= planted
    assert all(not c["events"] for c in manifest["clips"] if c["split"] == "Train")


def test_glitch_is_a_single_unlabelled_frame(synth_root: Path) -> None:
    clip = next(c for c in _manifest(synth_root)["clips"] if c["name"] == "Test001")
    (glitch,) = [e for e in clip["events"] if e["kind"] == "glitch"]
    assert glitch["anomalous"] is False and glitch["frames"][0] == glitch["frames"][1]
    f = glitch["frames"][0]
    assert not _labels([tuple(r) for r in clip["gt_frame"]], clip["frames"])[f - 1]
    means = [np.array(Image.open(synth_root / "Test" / clip["name"] / f"{t:03d}.tif")).mean() for t in (f - 1, f, f + 1)]
    assert means[1] > means[0] + 20 and means[1] > means[2] + 20


def test_anomalies_are_faster_or_larger_than_walkers(varied: Path) -> None:
    for clip in _manifest(varied)["clips"]:
        walkers = clip["walkers"]
        for event in clip["events"]:
            if event["kind"] in ("cyclist", "skater"):
                assert event["speed_bh_per_frame"] > 2.5 * walkers["max_speed_bh_per_frame"]
                assert event["speed_px_per_frame"] > 1.5 * walkers["max_speed_px_per_frame"]
            if event["kind"] == "cart":
                assert event["area_bh2"] > 3 * walkers["max_area_bh2"]


def test_fast_anomaly_moves_fast_in_its_masks(varied: Path) -> None:
    """Measured on the written masks, not taken from the manifest."""
    clip = next(c for c in _manifest(varied)["clips"] if any(e["kind"] == "cyclist" for e in c["events"]))
    a, b = next(e["frames"] for e in clip["events"] if e["kind"] == "cyclist")
    centres = []
    for t in range(a + 3, b - 3):  # away from the frame edges where the mask is clipped
        ys, xs = np.nonzero(np.array(Image.open(varied / "Test" / f"{clip['name']}_gt" / f"{t:03d}.bmp")))
        centres.append((ys.mean(), xs.mean()))
    speed = np.hypot(*np.diff(np.array(centres), axis=0).T).mean()
    assert speed > 1.5 * clip["walkers"]["max_speed_px_per_frame"]


def test_planted_junk_is_there(synth_root: Path) -> None:
    manifest = _manifest(synth_root)
    expected = {
        "../README.txt", "../._README.txt", "../.DS_Store", ".DS_Store", "Test/.DS_Store",
        "Test/UCSDsynth.m~", "Test/._UCSDsynth.m", "Test/Test001_Error.txt",
        "Train/Train001/.DS_Store", "Train/Train001/._.DS_Store", "Test/Test001/._.DS_Store",
        "Test/Test001_gt/.DS_Store",
    }
    assert expected <= set(manifest["junk"])
    for rel in manifest["junk"]:
        assert (synth_root / rel).is_file(), rel
    assert (synth_root / "Test" / "._UCSDsynth.m").read_bytes()[:4] == b"\x00\x05\x16\x07"
    assert (synth_root / "Test" / "UCSDsynth.m~").read_text() == (synth_root / "Test" / "UCSDsynth.m").read_text().rstrip()


def test_planted_corruption(synth_root: Path) -> None:
    corrupt = {c["kind"]: synth_root / c["file"] for c in _manifest(synth_root)["corrupt"]}
    truncated, zero = corrupt["truncated-tiff"], corrupt["zero-byte"]
    assert truncated.parts[-3] == "Test" and zero.parts[-3] == "Train"
    with Image.open(truncated) as im:  # the header parses, like the real Test017/142.tif...
        assert im.size == (238, 158)
        with pytest.raises(OSError):  # ...but decoding fails
            im.load()
    assert zero.stat().st_size == 0
    clip = next(c for c in _manifest(synth_root)["clips"] if c["name"] == truncated.parent.name)
    labels = _labels([tuple(r) for r in clip["gt_frame"]], clip["frames"])
    t = int(truncated.stem) - 1
    assert not labels[max(t - 2, 0) : t + 3].any(), "corruption stays away from label boundaries"


def test_refuses_to_overwrite(synth_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _hashes(synth_root)
    with pytest.raises(SynthError, match="already exists"):
        generate(synth_root.parents[1], SynthConfig(seed=0, train_clips=2, test_clips=2, frames=40))
    assert main(["synth", str(synth_root.parents[1]), "--frames", "30"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert _hashes(synth_root) == before


def test_keeps_files_already_beside_it(tmp_path: Path) -> None:
    v1p2 = tmp_path / "UCSD_Anomaly_Dataset.v1p2"
    v1p2.mkdir()
    (v1p2 / "README.txt").write_text("the real README")
    root = generate(tmp_path, SynthConfig(train_clips=1, test_clips=1, frames=30))
    assert (v1p2 / "README.txt").read_text() == "the real README"
    assert "../README.txt" not in _manifest(root)["junk"]


@pytest.mark.parametrize("bad", [{"frames": 5}, {"test_clips": 0}, {"height": 20}])
def test_rejects_unusable_config(bad: dict) -> None:
    with pytest.raises(SynthError, match="invalid"):
        SynthConfig(**bad)


def test_default_dataset_is_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_CACHE", str(tmp_path))  # the small stand-in must not reach the shared cache
    small = SynthConfig(train_clips=1, test_clips=1, frames=30)
    monkeypatch.setattr(synth, "SynthConfig", lambda: small)
    root = default_dataset()
    target = root.parents[1]
    assert (target / "COMPLETE").is_file() and _manifest(root)["config"] == vars(small)
    stamp = (root / "synth.json").stat().st_mtime_ns
    assert default_dataset() == root and (root / "synth.json").stat().st_mtime_ns == stamp
    assert [p.name for p in target.parent.iterdir()] == [target.name], "no temporary folder left behind"


def test_course_data_switch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("COURSE_DATASET", "ped2")
    assert course_data() == (tmp_path, "ped2")
    monkeypatch.delenv("COURSE_DATASET")
    assert course_data() == (tmp_path, "ped1")


def test_cli_rejects_a_malformed_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", str(tmp_path / "out"), "--size", "158by238"])
    assert exit_info.value.code == 2
    assert "'158by238' is not a frame size HxW" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
