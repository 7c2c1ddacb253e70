"""The motion-aware recipe of notebook 06: flow signal, per-pixel z percentile, fixed combinations."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest
import torch

from companion.baselines import squared_difference
from companion.combine import combine_scores
from companion.errors import CompanionError
from companion.model import CONFIGS, ModelConfig
from companion.regions import PixelStats, RegionSettings, normalize_maps, pixel_statistics, region_scores
from companion.scores_csv import read_scores, write_scores
from companion.scoring import ScoredClips, reconstruction_errors
from companion.signals import flow_images, flow_magnitude
from companion.task import compared, model_view

TINY_FLOW = ModelConfig(
    name="tiny-flow", seq_len=3, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,),
    target="next", signal="flow", signal_gain=0.25,
)  # fmt: skip


def _blob(speed: int, n: int = 6) -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:64]
    blobs = [150 * np.exp(-((yy - 24) ** 2 + (xx - (12 + speed * t)) ** 2) / 32.0) for t in range(n)]
    return (60 + np.stack(blobs)).astype(np.uint8)


def test_squared_difference_is_the_copy_last_frame_error() -> None:
    frames = np.zeros((3, 2, 2), dtype=np.uint8)
    frames[1, 0, 0] = 255
    np.testing.assert_allclose(squared_difference(frames), [0.25, 0.25, 0.25])  # one pixel of four changes by 1
    with pytest.raises(CompanionError, match="at least 2 frames"):
        squared_difference(frames[:1])


def test_flow_images_are_the_clipped_scaled_speed() -> None:
    frames = _blob(3)
    img = flow_images(frames, gain=0.25)
    assert img.dtype == np.uint8 and img.shape == frames.shape
    expected = np.rint(np.clip(flow_magnitude(frames) * 0.25, 0, 1) * 255)
    np.testing.assert_array_equal(img, expected)
    assert 150 < np.median(img[3, 22:27, 19:24]) < 230  # 3 pixels/frame x 0.25 = 0.75 of full scale
    assert flow_images(frames, gain=1.0)[3, 24, 21] == 255  # saturates above 1 pixel/frame
    with pytest.raises(CompanionError, match="gain"):
        flow_images(frames, gain=0)


def test_model_view_only_changes_flow_models() -> None:
    frames = _blob(1)
    assert model_view(frames, CONFIGS["cpu"]) is frames
    assert model_view(frames, None) is frames
    np.testing.assert_array_equal(model_view(frames, CONFIGS["flow-next"]), flow_images(frames, 0.25))


def test_compared_pairs_each_output_with_the_frame_it_stands_for() -> None:
    x, out = torch.rand(2, 4, 1, 3, 3), torch.rand(2, 4, 1, 3, 3)
    pred, target, offset = compared(out, x, CONFIGS["flow-next"])  # next-frame: output k vs frame k + 1
    assert offset == 1 and torch.equal(pred, out[:, :-1]) and torch.equal(target, x[:, 1:])
    for config in (CONFIGS["cpu"], None):  # reconstruction: output k vs frame k
        pred, target, offset = compared(out, x, config)
        assert offset == 0 and pred is out and target is x


def test_flow_next_is_the_cpu_model_with_another_signal_and_target() -> None:
    flow, cpu = CONFIGS["flow-next"], CONFIGS["cpu"]
    assert (flow.target, flow.signal, flow.signal_gain) == ("next", "flow", 0.25)
    assert dataclasses.replace(flow, name="cpu", target="reconstruct", signal="frames", signal_gain=1.0) == cpu


def test_a_flow_model_is_scored_on_the_flow_of_the_clip() -> None:
    """A model that predicts zeros has the squared flow images (of frames 1..T-1) as its error maps."""

    class Zeros(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))
            self.config = dataclasses.replace(TINY_FLOW, height=48, width=64)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros_like(x) * self.w

    frames = _blob(2)
    errs = reconstruction_errors(Zeros(), frames, seq_len=3, progress=False)
    flow = flow_images(frames, 0.25).astype(np.float32) / 255.0
    np.testing.assert_allclose(errs.maps[1:], flow[1:] ** 2, atol=1e-6)


def test_pixel_statistics_give_the_std_and_z_maps_are_one_sided() -> None:
    stats = pixel_statistics([np.array([[[1.0, 0.0]], [[3.0, 0.0]]])])
    np.testing.assert_allclose(stats.mean, [[2.0, 0.0]])
    np.testing.assert_allclose(stats.std, [[1.0, 0.0]])
    maps = np.array([[[5.0, 0.2]], [[1.0, 0.0]]], dtype=np.float32)
    z = normalize_maps(maps, stats, floor=0.5, how="z")  # std floor 0.5 x mean std 0.5 = 0.25
    np.testing.assert_allclose(z, [[[3.0, 0.8]], [[0.0, 0.0]]])  # below the usual error: 0, not negative
    with pytest.raises(CompanionError, match="ratio or z"):
        normalize_maps(maps, stats, how="max")


def test_percentile_scores_and_their_settings() -> None:
    stats = PixelStats(mean=np.zeros((10, 10), np.float32), n_frames=1, std=np.ones((10, 10), np.float32))
    maps = np.zeros((2, 10, 10), dtype=np.float32)
    maps[1, 0, :5] = 9.0  # 5% of the pixels
    s = region_scores(maps, stats, RegionSettings(patch=0, pixel_norm="z", percentile=99))
    assert s[0] == 0 and s[1] == pytest.approx(9.0)
    assert region_scores(maps, None, RegionSettings(patch=0, pixel_norm="none", percentile=50))[1] == 0
    with pytest.raises(CompanionError, match="not both"):
        RegionSettings(patch=8, percentile=99)
    with pytest.raises(CompanionError, match=r"\[0, 100\]"):
        RegionSettings(patch=0, percentile=101)


def _scored(scores: dict[str, list[float]], normalize: str = "train", labels=None) -> ScoredClips:
    labels = labels or {c: np.arange(len(v)) % 2 == 1 for c, v in scores.items()}
    numbers = {c: np.arange(1, len(v) + 1) for c, v in scores.items()}
    return ScoredClips(labels, {c: np.array(v) for c, v in scores.items()}, numbers, {c: [] for c in scores}, None,
                       normalize, False, "p")  # fmt: skip


def test_combine_sums_train_normalised_scores_and_checks_the_frames() -> None:
    a = _scored({"Test001": [0.0, 1.0, 2.0, 0.5]})
    b = _scored({"Test001": [1.0, 0.0, 1.0, 3.0]})
    both = combine_scores({"a": a, "b": b})
    np.testing.assert_allclose(both.scores["Test001"], [1.0, 1.0, 3.0, 3.5])
    assert both.protocol.startswith("Fixed combination (not learned)") and both.train_scores is None
    with pytest.raises(CompanionError, match="at least two"):
        combine_scores({"a": a})
    with pytest.raises(CompanionError, match="--normalize train"):
        combine_scores({"a": a, "v": _scored({"Test001": [0, 1, 2, 3]}, normalize="video")})
    with pytest.raises(CompanionError, match="scores clips"):
        combine_scores({"a": a, "c": _scored({"Test002": [0, 1, 2, 3]})})
    other = {"Test001": np.array([True, False, False, False])}
    with pytest.raises(CompanionError, match="frames or labels"):
        combine_scores({"a": a, "c": _scored({"Test001": [0, 1, 2, 3]}, labels=other)})


def test_scores_csv_round_trip(tmp_path) -> None:
    a = _scored({"Test001": [0.5, 1.25, -2.0], "Test002": [3.0, 4.0]})
    back = read_scores(write_scores(a, tmp_path / "s.csv"))
    assert list(back.scores) == ["Test001", "Test002"]
    for clip in a.scores:
        np.testing.assert_allclose(back.scores[clip], a.scores[clip])
        np.testing.assert_array_equal(back.labels[clip], a.labels[clip])
        np.testing.assert_array_equal(back.frame_numbers[clip], a.frame_numbers[clip])


def test_read_scores_explains_bad_files(tmp_path) -> None:
    with pytest.raises(CompanionError, match="does not exist"):
        read_scores(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CompanionError, match="not a scores CSV"):
        read_scores(bad)
    junk = tmp_path / "junk.csv"
    junk.write_text("clip,frame,label,score\nTest001,1,0,oops\n")
    with pytest.raises(CompanionError, match="line 2"):
        read_scores(junk)


def test_cli_flow_model_percentile_scores_and_combination(synth_root, tmp_path, monkeypatch, capsys) -> None:
    """train a flow model, evaluate it two ways and a baseline, combine the three CSVs."""
    import companion.model
    from companion.cli import main
    from companion.layout import open_dataset

    monkeypatch.setitem(companion.model.CONFIGS, "tiny-flow", TINY_FLOW)
    run, root = tmp_path / "run", str(synth_root)
    argv = ["train", root, "--config", "tiny-flow", "--epochs", "1", "--out", str(run), "--stride", "4", "--no-progress"]
    assert main(argv) == 0
    assert main([*argv, "--max-inversion", "--out", str(tmp_path / "inv")]) == 2
    assert "means nothing for the 'flow' signal" in capsys.readouterr().err
    csvs = [tmp_path / f"{n}.csv" for n in ("mean", "p99", "msq")]
    assert main(["evaluate", str(run), root, "--no-progress", "--scores", str(csvs[0])]) == 0
    assert main(["evaluate", str(run), root, "--no-progress", "--region", "0", "--pixel-norm", "z", "--percentile", "99",
                 "--scores", str(csvs[1])]) == 0  # fmt: skip
    assert "99th percentile over the pixels of each pixel's one-sided z-score" in capsys.readouterr().out
    assert main(["baseline", "motion-sq", root, "--dataset", "synth", "--size", "16x16", "--normalize", "train",
                 "--scores", str(csvs[2])]) == 0  # fmt: skip
    assert main(["evaluate", str(run), root, "--percentile", "99", "--no-progress"]) == 2
    report = tmp_path / "combined.json"
    assert main(["combine", *map(str, csvs), "--json", str(report)]) == 0
    got = json.loads(report.read_text())
    n_frames = sum(len(c.frames) for c in open_dataset(synth_root, "synth").select("test"))
    assert got["n_frames"] == n_frames and "thresholds" not in got and got["combined"] == list(map(str, csvs))
    rows = [list(csv.DictReader(p.open())) for p in csvs]
    first = rows[0][5]
    total = sum(float(r[5]["score"]) for r in rows)
    out = tmp_path / "sum.csv"
    assert main(["combine", *map(str, csvs), "--scores", str(out)]) == 0
    assert float(list(csv.DictReader(out.open()))[5]["score"]) == pytest.approx(total, rel=1e-6)
    assert first["clip"] == list(csv.DictReader(out.open()))[5]["clip"]
