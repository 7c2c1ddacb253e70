"""Per-location normalisation, region scoring and next-frame prediction errors (notebooks 05 and 06)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from companion.errors import CompanionError
from companion.model import ModelConfig
from companion.regions import (
    PixelStats,
    RegionSettings,
    describe_regions,
    normalize_maps,
    patch_max,
    pixel_statistics,
    region_scores,
)
from companion.scoring import reconstruction_errors


def test_pixel_statistics_is_the_mean_map_over_all_frames() -> None:
    a = np.ones((2, 3, 4))
    b = np.full((1, 3, 4), 4.0)
    stats = pixel_statistics([a, b])
    assert stats.n_frames == 3
    np.testing.assert_allclose(stats.mean, 2.0)


def test_pixel_statistics_refuses_empty_or_mixed_sizes() -> None:
    with pytest.raises(CompanionError, match="at least one"):
        pixel_statistics([])
    with pytest.raises(CompanionError, match="different sizes"):
        pixel_statistics([np.ones((1, 3, 4)), np.ones((1, 4, 3))])


def test_normalize_maps_divides_by_the_typical_error_with_a_floor() -> None:
    mean = np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float32)  # map mean 1.0
    stats = PixelStats(mean=mean, n_frames=10, std=np.ones_like(mean))
    maps = np.ones((1, 2, 2), dtype=np.float32)
    out = normalize_maps(maps, stats, floor=0.5)
    np.testing.assert_allclose(out[0], [[1.0, 2.0], [0.5, 1.0]])  # the 0 pixel divides by 0.5 * 1.0
    with pytest.raises(CompanionError, match="size"):
        normalize_maps(np.ones((1, 3, 3)), stats)


def test_patch_max_finds_the_hot_region_the_frame_mean_dilutes() -> None:
    maps = np.zeros((2, 16, 16))
    maps[1, 4:8, 8:12] = 1.0  # a 4x4 hot spot in frame 1
    np.testing.assert_allclose(patch_max(maps, 0), [0.0, 16 / 256])
    np.testing.assert_allclose(patch_max(maps, 4, stride=4), [0.0, 1.0])
    np.testing.assert_allclose(patch_max(maps, 4, stride=1), [0.0, 1.0])
    # a patch larger than the frame is the whole frame
    np.testing.assert_allclose(patch_max(maps, 64), patch_max(maps, 0))


def test_patch_max_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    maps = rng.random((3, 10, 13))
    p, step = 4, 2
    brute = []
    for m in maps:
        ys = sorted(set(range(0, 10 - p + 1, step)) | {10 - p})
        xs = sorted(set(range(0, 13 - p + 1, step)) | {13 - p})
        brute.append(max(m[y : y + p, x : x + p].mean() for y in ys for x in xs))
    np.testing.assert_allclose(patch_max(maps, p, step), brute)


def test_region_scores_need_statistics_for_ratio_and_validate_settings() -> None:
    maps = np.ones((2, 8, 8))
    with pytest.raises(CompanionError, match="statistics"):
        region_scores(maps, None, RegionSettings(patch=4))
    np.testing.assert_allclose(region_scores(maps, None, RegionSettings(patch=4, pixel_norm="none")), [1.0, 1.0])
    stats = pixel_statistics([np.full((3, 8, 8), 2.0)])
    np.testing.assert_allclose(region_scores(maps, stats, RegionSettings(patch=4)), [0.5, 0.5])
    with pytest.raises(CompanionError):
        RegionSettings(patch=-1)
    with pytest.raises(CompanionError):
        RegionSettings(pixel_norm="zscore")  # type: ignore[arg-type]
    assert "16x16" in describe_regions(RegionSettings(patch=16))
    assert "frame mean" in describe_regions(RegionSettings(patch=0))


def test_per_pixel_normalisation_removes_a_busy_location() -> None:
    """A pixel that is always wrong on normal frames no longer dominates; a new error does."""
    busy = np.zeros((5, 8, 8))
    busy[:, :4, :4] = 1.0  # the busy walkway: large errors on every normal frame
    stats = pixel_statistics([busy])
    test = busy[:2].copy()
    test[1, 6:8, 6:8] = 0.5  # a small, new error elsewhere
    raw = region_scores(test, None, RegionSettings(patch=2, pixel_norm="none"))
    normed = region_scores(test, stats, RegionSettings(patch=2, floor=0.1))
    assert raw[0] == raw[1]  # the raw patch max sees only the busy walkway
    assert normed[1] > 2 * normed[0]


class Shift(torch.nn.Module):
    """Output k = input k + 0.1: a next-frame "prediction" of a clip that brightens 0.1 per frame."""

    config = ModelConfig(name="shift", seq_len=4, height=4, width=4, encoder_stages=((4, 3, 2),), target="next")

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 + 0 * self.w


def test_prediction_errors_compare_output_k_with_frame_k_plus_1() -> None:
    frames = (np.arange(10, dtype=np.float32)[:, None, None] * 0.1 * np.ones((1, 4, 4), np.float32)) * 0.5
    # frames brighten 0.05 per frame; predictions are frame + 0.1: error 0.05^2 at every predicted frame
    out = reconstruction_errors(Shift(), frames, seq_len=4, progress=False)
    assert out.maps.shape == frames.shape
    np.testing.assert_allclose(out.errors, 0.05**2, rtol=1e-4)


def test_next_frame_model_leaves_frame_0_to_frame_1s_map() -> None:
    from companion.model import ModelConfig, build_model

    torch.manual_seed(0)
    cfg = ModelConfig(name="t", seq_len=3, height=8, width=8, encoder_stages=((4, 3, 2),), convlstm_hidden=(4,), target="next")
    frames = np.random.default_rng(0).integers(0, 256, (6, 8, 8), dtype=np.uint8)
    a = reconstruction_errors(build_model(cfg), frames, 3, progress=False)
    assert np.isfinite(a.maps).all()
    np.testing.assert_allclose(a.maps[0], a.maps[1])  # frame 0 is never predicted: it takes frame 1's map


def test_cli_next_frame_training_and_region_evaluation(synth_root, tmp_path, monkeypatch, capsys) -> None:
    """`companion train --target next` then `companion evaluate --region`: the protocol says how."""
    import json

    import companion.model
    from companion.cli import main
    from companion.model import ModelConfig
    from companion.checkpoints import load_checkpoint

    tiny = ModelConfig(name="tiny", seq_len=3, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))
    monkeypatch.setitem(companion.model.CONFIGS, "tiny", tiny)
    run = tmp_path / "run"
    argv = ["train", str(synth_root), "--config", "tiny", "--epochs", "1", "--out", str(run), "--target", "next",
            "--stride", "4", "--seed", "0", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert load_checkpoint(run)["model_config"]["target"] == "next"
    capsys.readouterr()
    report = tmp_path / "r.json"
    assert main(["evaluate", str(run), str(synth_root), "--region", "8", "--smooth", "3", "--no-progress",
                 "--json", str(report)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "next-frame prediction errors" in out and "8x8-pixel patches" in out and "AUC micro" in out
    got = json.loads(report.read_text())
    assert got["region"] == 8 and got["pixel_norm"] == "ratio" and got["uses_test_information"] is False
    assert main(["evaluate", str(run), str(synth_root), "--region", "8", "--score", "regularity", "--no-progress"]) == 2


def test_train_accepts_a_json_model_configuration(tmp_path) -> None:
    import dataclasses
    import json

    from companion.model import CONFIGS, resolve_config

    cfg = dataclasses.replace(CONFIGS["flow-next"], name="flow-next-g1", signal_gain=1.0)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert resolve_config(str(path)) == cfg == resolve_config(cfg) == resolve_config(cfg.to_dict())
    assert resolve_config(None) == CONFIGS["cpu"] == resolve_config("cpu")
    with pytest.raises(CompanionError, match="no model configuration file"):
        resolve_config(str(tmp_path / "missing.json"))
