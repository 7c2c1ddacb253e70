"""Windows, the (B, T, 1, H, W) conversion, max-inversion, memory and the training-frame mask (notebook 02)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from companion.errors import CompanionError
from companion.tensors import (
    ClipSlice,
    WindowDataset,
    max_inversion,
    memory_bytes,
    normal_frames,
    sliding_windows,
    to_model_input,
    window_starts,
)


def _clip(n: int = 12, h: int = 4, w: int = 5, name: str = "Test001", repaired=(), abnormal=None):
    frames = (np.arange(n * h * w) % 251).astype(np.uint8).reshape(n, h, w)
    rep = np.zeros(n, dtype=bool)
    rep[list(repaired)] = True
    labels = None
    if abnormal is not None:
        labels = np.zeros(n, dtype=bool)
        labels[list(abnormal)] = True
    return SimpleNamespace(name=name, frames=frames, labels=labels, repaired=rep)


def test_window_starts_count_and_stride() -> None:
    assert window_starts(200, 5).tolist() == list(range(196))
    assert window_starts(10, 3, 2).tolist() == [0, 2, 4, 6]
    assert window_starts(10, 10).tolist() == [0]
    assert window_starts(4, 5).size == 0
    with pytest.raises(CompanionError, match="stride"):
        window_starts(10, 3, 0)
    with pytest.raises(CompanionError, match="length"):
        window_starts(10, 0)


def test_sliding_windows_is_a_zero_copy_view() -> None:
    frames = _clip(12).frames
    win = sliding_windows(frames, 5, 3)
    assert win.shape == (3, 5, 4, 5)
    for i, s in enumerate(window_starts(12, 5, 3)):
        np.testing.assert_array_equal(win[i], frames[s : s + 5])
    assert np.shares_memory(win, frames)
    assert not win.flags.writeable
    assert sliding_windows(frames, 13).shape == (0, 13, 4, 5)
    with pytest.raises(CompanionError, match=r"\(T, H, W\)"):
        sliding_windows(frames[0], 2)


def test_to_model_input_shapes_dtype_range() -> None:
    frames = np.array([[[0, 255], [128, 51]]] * 3, dtype=np.uint8)  # (3, 2, 2)
    x = to_model_input(frames)
    assert x.shape == (1, 3, 1, 2, 2) and x.dtype == torch.float32
    assert x.min().item() == 0.0 and x.max().item() == 1.0
    assert x[0, 0, 0, 1, 1].item() == pytest.approx(0.2)
    batch = np.stack([frames, frames])  # (2, 3, 2, 2)
    assert to_model_input(batch).shape == (2, 3, 1, 2, 2)
    assert to_model_input(torch.from_numpy(batch)).shape == (2, 3, 1, 2, 2)
    win = sliding_windows(_clip(12).frames, 5, 2)  # a strided view works too
    assert to_model_input(win).shape == (4, 5, 1, 4, 5)
    floats = torch.rand(2, 3, 1, 2, 2)
    assert torch.equal(to_model_input(floats), floats)
    with pytest.raises(CompanionError, match="shape"):
        to_model_input(np.zeros((2, 3, 2, 2, 2), dtype=np.uint8))
    with pytest.raises(CompanionError, match="dtype"):
        to_model_input(np.zeros((3, 2, 2), dtype=np.int32))


def test_max_inversion() -> None:
    x = torch.tensor([0.0, 0.2, 0.5, 0.7, 1.0])
    torch.testing.assert_close(max_inversion(x), torch.tensor([1.0, 0.8, 0.5, 0.7, 1.0]))
    assert torch.equal(max_inversion(x), max_inversion(1 - x))


def test_normal_frames_leave_out_repaired_and_by_labels_abnormal_frames() -> None:
    clip = _clip(6, repaired=[1], abnormal=[3, 4])
    assert normal_frames(clip, by_labels=False).tolist() == [True, False, True, True, True, True]
    assert normal_frames(clip, by_labels=True).tolist() == [True, False, True, False, False, True]
    with pytest.raises(CompanionError, match="no frame labels"):
        normal_frames(_clip(6), by_labels=True)


def test_memory_bytes() -> None:
    assert memory_bytes((8, 5, 1, 128, 128), torch.float32) == 8 * 5 * 128 * 128 * 4
    assert memory_bytes((200, 158, 238)) == 200 * 158 * 238  # uint8 by default
    assert memory_bytes((10, 10), np.float64) == 800
    assert memory_bytes((10, 10), "float16") == 200
    assert memory_bytes((3, 4), torch.uint8) == 12


def test_window_dataset_skips_repaired_and_abnormal() -> None:
    clean = _clip(10, name="a", abnormal=[])
    broken = _clip(10, name="b", repaired=[4], abnormal=[8, 9])
    ds = WindowDataset([clean, broken], length=3, stride=1)
    # 8 windows per clip; frame 4 of b is in windows starting at 2, 3, 4
    assert len(ds) == 8 + 5 and ds.skipped_repaired == 3 and ds.skipped_abnormal == 0
    assert (1, 3) not in ds.index and (1, 5) in ds.index
    item = ds[0]
    assert item.dtype == torch.uint8 and item.shape == (3, 4, 5)
    np.testing.assert_array_equal(ds[len(ds) - 1].numpy(), broken.frames[7:10])

    normal = WindowDataset([clean, broken], length=3, stride=1, skip_abnormal=True)
    # b: windows 6 and 7 touch frames 8/9; windows 2-4 already skipped for the repair
    assert normal.skipped_abnormal == 2 and normal.skipped_repaired == 3
    assert [s for c, s in normal.index if c == 1] == [0, 1, 5]

    strided = WindowDataset([clean], length=3, stride=2)
    assert strided.index == [(0, 0), (0, 2), (0, 4), (0, 6)]
    batch = next(iter(torch.utils.data.DataLoader(strided, batch_size=4)))
    assert batch.shape == (4, 3, 4, 5) and batch.dtype == torch.uint8
    assert "4 windows" in repr(strided)


def test_window_dataset_needs_labels_to_skip_abnormal() -> None:
    with pytest.raises(CompanionError, match="no frame labels"):
        WindowDataset([_clip(10)], length=3, skip_abnormal=True)


def test_clip_slice_is_a_view() -> None:
    clip = _clip(10, repaired=[7], abnormal=[1])
    tail = ClipSlice(clip, 8)
    assert tail.frames.shape[0] == 2 and np.shares_memory(tail.frames, clip.frames)
    assert tail.labels.tolist() == [False, False] and tail.repaired.tolist() == [False, False]
    head = ClipSlice(clip, 0, 8)
    assert head.repaired[7] and head.name == "Test001[0:8]"
