"""benchmarks/reencode.py: the judge-like copy of a dataset keeps every clip, frame number and
label, changes the frame size and codec as asked, and never writes into an existing folder."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reencode import main  # noqa: E402

from companion.frames import decode_clip  # noqa: E402
from companion.layout import open_dataset  # noqa: E402


@pytest.mark.parametrize("codec, suffix", [("jpeg75", ".jpg"), ("mjpg", ".png")])
def test_copy_keeps_clips_and_labels_at_the_new_size(synth_root: Path, tmp_path: Path, codec: str, suffix: str) -> None:
    out = tmp_path / "copy"
    assert main([str(synth_root), str(out), "--codec", codec, "--size", "24x36"]) == 0
    before, after = open_dataset(synth_root), open_dataset(out)
    for split in ("Train", "Test"):
        assert [c.name for c in after.clips[split]] == [c.name for c in before.clips[split]]
        for old, new in zip(before.clips[split], after.clips[split]):
            assert new.frame_numbers.tolist() == old.frame_numbers.tolist()
            assert {p.suffix for p in new.frames} == {suffix}
            assert (new.labels is None) == (old.labels is None)
            if old.labels is not None:
                assert np.array_equal(new.labels, old.labels)
    clip = after.clips["Test"][0]
    assert decode_clip(clip).frames.shape[1:] == (24, 36)


def test_existing_output_is_refused(synth_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("a user's file")
    assert main([str(synth_root), str(out)]) == 2
    assert "exists" in capsys.readouterr().err and (out / "keep.txt").read_text() == "a user's file"
