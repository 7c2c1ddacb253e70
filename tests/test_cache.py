"""Decode-once cache: hits, invalidation, resizing, atomic writes, damaged entries, masks."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import companion.cache as cache
from companion.cache import load_clip, load_masks
from companion.errors import CompanionError, CorruptDataError
from companion.layout import Clip
from companion.paths import cache_dir

H, W = 12, 16


def _frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W), dtype=np.uint8)


def _clip(root: Path, n: int = 6, corrupt: int | None = 3, masks: str | None = None) -> Clip:
    folder = root / "UCSDped1" / "Test" / "Test001"
    folder.mkdir(parents=True)
    frames = []
    for i in range(1, n + 1):
        frames.append(folder / f"{i:03d}.tif")
        Image.fromarray(_frame(i)).save(frames[-1], format="TIFF", compression="packbits")
    if corrupt:
        frames[corrupt - 1].write_bytes(frames[corrupt - 1].read_bytes()[:60])
    mask_dir = None
    if masks is not None:
        mask_dir = folder.with_name("Test001_gt")
        mask_dir.mkdir()
        for i in range(1, n + 1):
            mask = np.zeros((H, W), dtype=np.uint8)
            mask[: i + 1, :W // 2] = 255
            Image.fromarray(mask).save(mask_dir / masks.format(i), format="BMP")
    labels = np.arange(n) >= n // 2
    return Clip("Test", "Test001", folder, tuple(frames), mask_dir, labels)


def test_first_load_decodes_repairs_and_caches(tmp_path: Path) -> None:
    clip = _clip(tmp_path)
    loaded = load_clip(clip)
    assert loaded.name == "Test001" and loaded.frames.dtype == np.uint8 and loaded.frames.shape == (6, H, W)
    assert loaded.repaired.tolist() == [False, False, True, False, False, False]
    assert (loaded.frames[2] == _frame(2)).all() and (loaded.frames[3] == _frame(4)).all()
    assert loaded.labels is clip.labels and [p.file for p in loaded.problems] == ["Test/Test001/003.tif"]
    entry = cache._entry(clip, None)
    assert entry.with_suffix(".npy").is_file() and entry.with_suffix(".json").is_file()
    assert entry.parent == cache_dir() / "frames" and not list(entry.parent.glob("*.tmp"))


def test_reload_reads_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _clip(tmp_path)
    first = load_clip(clip)
    monkeypatch.setattr(cache, "decode_clip", lambda *a: pytest.fail("decoded again instead of reading the cache"))
    again = load_clip(clip)
    assert (again.frames == first.frames).all() and (again.repaired == first.repaired).all()
    assert again.problems == first.problems


def test_changed_source_invalidates(tmp_path: Path) -> None:
    clip = _clip(tmp_path, corrupt=None)
    assert (load_clip(clip).frames[0] == _frame(1)).all()
    Image.fromarray(_frame(99)).save(clip.frames[0], format="TIFF", compression="packbits")
    os.utime(clip.frames[0], ns=(1, 1))  # even with an old time stamp: size or time changed
    assert (load_clip(clip).frames[0] == _frame(99)).all()


def test_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    clip = _clip(tmp_path)
    expected = load_clip(clip).frames
    npy = cache._entry(clip, None).with_suffix(".npy")
    npy.write_bytes(npy.read_bytes()[:100])
    assert (load_clip(clip).frames == expected).all()
    cache._entry(clip, None).with_suffix(".json").write_text("{not json")
    assert (load_clip(clip).frames == expected).all()


def test_resize_uses_area_interpolation_and_its_own_entry(tmp_path: Path) -> None:
    clip = _clip(tmp_path)
    native = load_clip(clip)
    small = load_clip(clip, size=(6, 8))
    assert small.frames.shape == (6, 6, 8) and small.frames.dtype == np.uint8
    assert (small.frames[0] == cv2.resize(native.frames[0], (8, 6), interpolation=cv2.INTER_AREA)).all()
    assert (small.repaired == native.repaired).all() and small.problems == native.problems
    assert cache._entry(clip, (6, 8)).with_suffix(".npy").is_file()
    assert load_clip(clip, size=(H, W)).frames.shape == (6, H, W)  # native size: no resize
    for bad in [(0, 4), (4,), (2.5, 3)]:
        with pytest.raises(CompanionError, match="height, width"):
            load_clip(clip, size=bad)  # type: ignore[arg-type]


def test_masks(tmp_path: Path) -> None:
    clip = _clip(tmp_path, masks="frame{:03d}.bmp")
    masks = load_masks(clip)
    assert masks.dtype == bool and masks.shape == (6, H, W)
    assert masks[0, :2, : W // 2].all() and not masks[0, 2:].any() and not masks[0, :, W // 2 :].any()
    small = load_masks(clip, size=(6, 8))
    assert small.shape == (6, 6, 8) and small[5, :3, :4].all() and not small[5, :, 4:].any()
    assert load_masks(_clip(tmp_path / "other", masks=None)) is None


def test_missing_masks_raise(tmp_path: Path) -> None:
    clip = _clip(tmp_path, masks="{:03d}.bmp")
    (clip.mask_dir / "004.bmp").unlink()
    with pytest.raises(CorruptDataError, match="lacks masks for 1 frame.*first: 4"):
        load_masks(clip)
