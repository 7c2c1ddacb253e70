"""Dataset discovery on small folders built here: levels, junk, numeric order, labels, selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.errors import DatasetNotFoundError
from companion.groundtruth import GroundTruthError
from companion.layout import ClipSelectionError, format_clip_spec, junk_reason, open_dataset, parse_clip_spec

M_FILE = "TestVideoFile = {};\nTestVideoFile{end+1}.gt_frame = [2:3];\nTestVideoFile{end+1}.gt_frame = [1:1, 10:12];\n"


def _tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Write ``files`` (relative path -> content; a name ending in ``/`` is a folder)."""
    for name, content in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def _ped(root: Path, name: str = "UCSDped1") -> Path:
    """A layout-only dataset (layout never decodes, so frames may be empty files) with planted junk."""
    base = f"UCSD_Anomaly_Dataset.v1p2/{name}"
    files: dict[str, bytes | str] = {
        "UCSD_Anomaly_Dataset.v1p2/README.txt": "readme",
        "UCSD_Anomaly_Dataset.v1p2/._README.txt": b"\x00\x05\x16\x07",
        f"{base}/.DS_Store": b"\x00\x00\x00\x01Bud1",
        f"{base}/Test/{name}.m": M_FILE,
        f"{base}/Test/{name}.m~": "TestVideoFile{end+1}.gt_frame = [1:999];",
        f"{base}/Test/._{name}.m": b"\x00\x05\x16\x07Mac OS X        ",
        f"{base}/Test/Test002_Error.txt": "export failed",
        f"{base}/Test/Test001/._.DS_Store": b"\x00",
        f"{base}/Test/Test001/notes.txt": "not a frame",
        f"{base}/Test/Test001/sub/": "",
        f"{base}/Test/Test001_gt/frame001.bmp": b"",
        f"{base}/Test/Test001_gt/thumbs.db": b"",
        f"{base}/Test/Test009_gt/001.bmp": b"",
        f"{base}/Test/Test002/001.tif": b"",
        f"{base}/Test/Test002/0001.tif": b"",  # frame 1 twice: the first name in sorted order wins
        f"{base}/Test/Test002/000.tif": b"",
        f"{base}/Test/Test002/123456789.tif": b"",
        f"{base}/Train/Train001/001.tif": b"",
        f"{base}/Train/Train001/002.tif~": b"",
    }
    files.update({f"{base}/Test/Test001/{n}.tif": b"" for n in (1, 2, 3, 10, 4)})  # 10 before 4: numeric sort
    files.update({f"{base}/Test/Test002/{n:03d}.tif": b"" for n in range(2, 13)})
    return _tree(root, files)


def test_every_accepted_level_finds_the_same_dataset(tmp_path: Path) -> None:
    root = _ped(tmp_path)
    ped1 = root / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped1"
    for level in (root, root / "UCSD_Anomaly_Dataset.v1p2", ped1, ped1 / "Test", ped1 / "Train"):
        ds = open_dataset(level)
        assert ds.name == "UCSDped1" and ds.root == ped1 and ds.gt_file == ped1 / "Test" / "UCSDped1.m"
    assert open_dataset(str(ped1)).root == ped1


def test_clips_frames_and_numeric_order(tmp_path: Path) -> None:
    ds = open_dataset(_ped(tmp_path))
    assert [c.name for c in ds.clips["Test"]] == ["Test001", "Test002"]
    assert [c.name for c in ds.clips["Train"]] == ["Train001"]
    clip = ds.clips["Test"][0]
    assert [p.name for p in clip.frames] == ["1.tif", "2.tif", "3.tif", "4.tif", "10.tif"]
    assert clip.frame_numbers.tolist() == [1, 2, 3, 4, 10] and clip.number == 1 and clip.split == "Test"
    assert clip.mask_dir == ds.root / "Test" / "Test001_gt"
    assert ds.clips["Test"][1].mask_dir is None and len(ds.clips["Test"][1].frames) == 12
    assert "Test001" in repr(clip) and "2 clips" in repr(ds)


def test_junk_is_recognised_and_never_a_frame(tmp_path: Path) -> None:
    ds = open_dataset(_ped(tmp_path))
    assert ds.junk == sorted(
        [
            "../._README.txt", ".DS_Store", "Test/._UCSDped1.m", "Test/Test001/._.DS_Store", "Test/Test001/notes.txt",
            "Test/Test001/sub/", "Test/Test001_gt/thumbs.db", "Test/Test002/000.tif", "Test/Test002/001.tif", "Test/Test002/123456789.tif",
            "Test/Test002_Error.txt", "Test/Test009_gt/", "Test/UCSDped1.m~", "Train/Train001/002.tif~",
        ]
    )  # fmt: skip
    frames = {p.relative_to(ds.root).as_posix() for c in ds.clips["Test"] + ds.clips["Train"] for p in c.frames}
    assert "Test/Test002/0001.tif" in frames and not frames & set(ds.junk)
    assert junk_reason(".DS_Store").startswith("Finder") and junk_reason("._x").startswith("AppleDouble")
    assert junk_reason("a.m~").startswith("editor") and junk_reason("Test1_Error.txt").startswith("error stub")
    assert junk_reason("notes.txt").startswith("not a frame")


def test_labels_follow_the_m_file_and_frame_numbers(tmp_path: Path) -> None:
    ds = open_dataset(_ped(tmp_path))
    test1, test2 = ds.clips["Test"]
    assert test1.labels.tolist() == [False, True, True, False, False]  # frames 1, 2, 3, 4, 10 with [2:3]
    assert test2.labels.tolist() == [True] + [False] * 8 + [True] * 3
    assert ds.clips["Train"][0].labels is None
    assert ds.label_ranges == {1: [(2, 3)], 2: [(1, 1), (10, 12)]}


def test_clip_missing_from_the_m_file_has_no_labels(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"UCSDped2/Test/UCSDped2.m": "TestVideoFile{end+1}.gt_frame = [1:2];",
                            "UCSDped2/Test/Test003/001.tif": b""})  # fmt: skip
    assert open_dataset(root / "UCSDped2").clips["Test"][0].labels is None


def test_labels_past_the_end_of_a_clip_are_an_error(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"UCSDped1/Test/UCSDped1.m": "TestVideoFile{end+1}.gt_frame = [1:5];",
                            "UCSDped1/Test/Test001/001.tif": b""})  # fmt: skip
    with pytest.raises(GroundTruthError, match="Test001.*only 1 frames"):
        open_dataset(root)


def test_unreadable_m_file_names_the_file(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"UCSDped1/Test/UCSDped1.m": b"\xff\xfe garbage", "UCSDped1/Test/Test001/001.tif": b""})
    with pytest.raises(GroundTruthError, match="UCSDped1.m"):
        open_dataset(root)


def test_ped1_and_ped2_side_by_side(tmp_path: Path) -> None:
    root = _ped(_ped(tmp_path, "UCSDped2"), "UCSDped1")
    assert open_dataset(root).name == "UCSDped1"
    assert open_dataset(root, dataset="ped2").name == "UCSDped2"
    assert open_dataset(root, dataset="UCSDped2").name == "UCSDped2"
    with pytest.raises(DatasetNotFoundError, match="UCSDsynth not found.*present: UCSDped1, UCSDped2.*ped1, ped2"):
        open_dataset(root, dataset="synth")
    with pytest.raises(DatasetNotFoundError, match="unknown dataset 'ped3'.*ped1, ped2, synth"):
        open_dataset(root, dataset="ped3")


def test_dataset_folder_given_directly_wins_over_the_default(tmp_path: Path) -> None:
    ped2 = _ped(tmp_path, "UCSDped2") / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped2"
    assert open_dataset(ped2 / "Test").name == "UCSDped2"


def test_missing_or_empty_paths_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        open_dataset(tmp_path / "nowhere")
    with pytest.raises(DatasetNotFoundError, match=r"no UCSD dataset in .*Looked for .*UCSD_Anomaly_Dataset.v1p2/UCSDped1/"):
        open_dataset(tmp_path)
    (tmp_path / "file.tar.gz").write_bytes(b"")
    with pytest.raises(DatasetNotFoundError, match="is a file"):
        open_dataset(tmp_path / "file.tar.gz")
    (tmp_path / "UCSDped1" / "docs").mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError, match="no Train/ or Test/"):
        open_dataset(tmp_path)
    (tmp_path / "UCSDped1" / "Test" / ".DS_Store").parent.mkdir()
    with pytest.raises(DatasetNotFoundError, match="no clip folders"):
        open_dataset(tmp_path)


def test_select(tmp_path: Path) -> None:
    ds = open_dataset(_ped(tmp_path))
    assert [c.name for c in ds.select("Test", None)] == ["Test001", "Test002"]
    assert [c.name for c in ds.select("test", "2")] == ["Test002"]
    assert [c.name for c in ds.select("train", "1")] == ["Train001"]
    with pytest.raises(ClipSelectionError, match=r"Test clip\(s\) 3-5,9 not found in UCSDped1; available: 1-2"):
        ds.select("Test", "1-5,9")
    with pytest.raises(ClipSelectionError, match="unknown split"):
        ds.select("Val", None)


def test_clip_specs() -> None:
    assert parse_clip_spec("1-8,17") == [1, 2, 3, 4, 5, 6, 7, 8, 17]
    assert parse_clip_spec(" 3 , 1-2,2 ") == [1, 2, 3]
    for bad in ("", "a", "1-", "5-2", "1;2", "1-100000000"):
        with pytest.raises(ClipSelectionError):
            parse_clip_spec(bad)


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(1, 60), min_size=1, max_size=20))
def test_clip_spec_round_trip(numbers: set[int]) -> None:
    assert parse_clip_spec(format_clip_spec(sorted(numbers))) == sorted(numbers)


def test_synthetic_dataset_layout(synth_root: Path) -> None:
    ds = open_dataset(synth_root, dataset="synth")
    assert ds.name == "UCSDsynth" and ds.gt_file == synth_root / "Test" / "UCSDsynth.m"
    assert ds.clips["Train"] and ds.clips["Test"] and all(c.labels is not None for c in ds.clips["Test"])
    assert "synth.json" not in ds.junk and "Test/UCSDsynth.m~" in ds.junk
