"""Planted events against normal traffic: which frames count as normal, the ratios, a clip
played faster, the planted glitch and the baseline of the frames around it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from companion.cache import LoadedClip, load_clip
from companion.events import (
    EventError,
    around_table,
    event_errors,
    event_table,
    planted_glitches,
    speed_errors,
    surrounding_median,
)
from companion.layout import open_dataset


def test_event_errors_compare_planted_anomalies_with_quiet_frames(synth_root) -> None:
    ds = open_dataset(synth_root, "synth")
    manifest = json.loads((synth_root / "synth.json").read_text())
    anomalies = [(c["name"], e) for c in manifest["clips"] if c["split"] == "Test" for e in c["events"] if e["anomalous"]]
    assert anomalies, "the fixture plants anomalies"
    assert any(not e["anomalous"] for c in manifest["clips"] for e in c["events"]), "the fixture plants a glitch"
    # errors: 1 on quiet frames, 10 on every labelled frame, 1000 on planted non-anomalous events (glitches)
    errs = {}
    for c in ds.clips["Test"]:
        e = np.where(np.asarray(c.labels, dtype=bool), 10.0, 1.0)
        for entry in manifest["clips"]:
            if entry["name"] == c.name:
                for ev in entry["events"]:
                    if not ev["anomalous"]:
                        a, b = ev["frames"]
                        e[a - 1 : b + 1] = 1000.0  # the event and the frame after it
        errs[c.name] = e
    events, normal = event_errors(ds, errs.__getitem__)
    assert normal == 1.0  # glitches and the frame after them are not normal traffic
    assert len(events) == len(anomalies)
    assert [e.speed for e in events] == sorted((e.speed for e in events), reverse=True)
    assert all(e.ratio == e.error / normal for e in events) and all(e.ratio >= 1.0 for e in events)


def test_event_errors_on_data_without_a_manifest(tmp_path, synth_root) -> None:
    import shutil

    plain = tmp_path / "UCSDsynth"
    shutil.copytree(synth_root, plain)
    (plain / "synth.json").unlink()
    assert event_errors(open_dataset(plain, "synth"), lambda name: np.zeros(1)) is None
    assert planted_glitches(open_dataset(plain, "synth")) == []


class _Blank(torch.nn.Module):
    """A "model" that outputs black frames: its error on a window is the mean of the input squared."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.w


def test_speed_errors_take_frames_speed_apart_and_skip_repaired_spans() -> None:
    # frame i is uniformly grey at level 10 i; frame 5 is repaired
    frames = np.stack([np.full((2, 3), 10 * i, dtype=np.uint8) for i in range(10)])
    repaired = np.zeros(10, dtype=bool)
    repaired[5] = True
    clip = LoadedClip("clip", frames, None, repaired)
    # 2x, windows of 3 starting at 0, 2, 4: frames (0, 2, 4), (2, 4, 6), (4, 6, 8); the last two span frame 5
    twice = speed_errors(_Blank(), clip, speed=2, length=3)
    assert twice == pytest.approx([(0**2 + 20**2 + 40**2) / 3 / 255**2])
    # 0x: frame `start` three times, for starts 0, 2, 4, 6; start 4 spans frame 5
    frozen = speed_errors(_Blank(), clip, speed=0, length=3)
    assert frozen == pytest.approx([0.0, (20 / 255) ** 2, (60 / 255) ** 2])
    assert len(speed_errors(_Blank(), clip, speed=1, length=3, step=1)) == 8 - 3  # starts 0..7, minus 3..5


def test_planted_glitches_find_the_bright_unlabelled_frame(synth_root) -> None:
    ds = open_dataset(synth_root, "synth")
    ((name, frame),) = planted_glitches(ds)
    clip = load_clip(next(c for c in ds.clips["Test"] if c.name == name))
    assert not clip.labels[frame - 1]  # a glitch is not an anomaly
    brightness = clip.frames.mean(axis=(1, 2))
    assert brightness[frame - 1] > brightness[frame - 2] + 20 and brightness[frame - 1] > brightness[frame] + 20


def test_surrounding_median_leaves_the_event_and_its_neighbours_out() -> None:
    s = np.arange(20.0)
    s[9:12] = [300.0, 1000.0, 500.0]  # the event at frame 10 and the frames on either side of it
    assert surrounding_median(s, 10) == 10.0  # median of frames 4-8 and 12-16: (8 + 12) / 2
    assert surrounding_median(s, 10, near=1, far=1) == 400.0  # frames 9 and 11 only
    assert surrounding_median(s, 2) == 5.5  # frame 0 before it (the clip's start), frames 4-8 after


def test_event_table_lines_up_one_row_per_event_and_the_normal_frames() -> None:
    events = [EventError("skater", "Test003", 3.5, 0.00195, 0.00195 / 0.00144), EventError("cart", "Test002", 1.8, 0.00219, 0.00219 / 0.00144)]
    lines = event_table(events, 0.00144).splitlines()
    assert len(lines) == 1 + 2 + 1 and len({len(line) for line in lines}) == 1  # header, two events, normal: aligned
    assert lines[1].split() == ["skater", "Test003", "3.5", "0.00195", "1.35x"]
    assert lines[3].split() == ["normal", "frames", "all", "0.00144", "1.00x"]
    assert "vs normal frames" in lines[0] and "mean frame MSE" in lines[0]


def test_around_table_gives_each_frame_over_the_surrounding_median() -> None:
    s = np.full(30, 4.0)
    s[15], s[16] = 52.0, 5.0  # a spike 13 times its surroundings, and 1.25 times on the frame after
    lines = around_table({"model": s}, 15, offsets=(-1, 0, 1), column=("z-score", {"model": 48.3})).splitlines()
    assert lines[0].split() == ["method", "frame", "15", "frame", "16", "frame", "17", "z-score"]
    assert lines[1].split() == ["model", "1.00", "13.00", "1.25", "48"]
    assert around_table({"model": s}, 15, offsets=(0,)).splitlines()[1].split() == ["model", "13.00"]
