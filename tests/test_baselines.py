"""Baselines on crafted clips with known answers, and motion energy on real Ped1 footage."""

from __future__ import annotations

import numpy as np
import pytest

from companion.baselines import background_scores, background_zmaps, fit_background, flow_energy, motion_energy
from companion.errors import CompanionError
from companion.signals import flow_magnitude


def _moving_square(n: int = 10, moving: int = 5, side: int = 4) -> np.ndarray:
    """A white square moving one pixel right per frame for ``moving`` frames, then still."""
    frames = np.zeros((n, 12, 20), dtype=np.uint8)
    for t in range(n):
        x = 2 + min(t, moving)
        frames[t, 4 : 4 + side, x : x + side] = 255
    return frames


def test_motion_energy_on_a_moving_square() -> None:
    frames = _moving_square()
    e = motion_energy(frames)
    assert e.shape == (10,)  # every frame scored
    moving = 2 * 4 / (12 * 20)  # one column appears, one disappears: 2 x side pixels change by 1
    np.testing.assert_allclose(e[1:6], moving)
    np.testing.assert_allclose(e[6:], 0.0)
    assert e[0] == e[1]  # the first frame gets the second's score


def test_background_model_z_scores() -> None:
    train = np.stack([np.full((3, 4), v, np.float32) for v in (0.4, 0.6) * 5])  # mean .5, std .1
    model = fit_background([train[:4], train[4:]])
    assert model.n_frames == 10
    np.testing.assert_allclose(model.mean, 0.5, atol=1e-6)
    np.testing.assert_allclose(model.std, 0.1, atol=1e-6)
    test = np.stack([np.full((3, 4), 0.5, np.float32), np.full((3, 4), 0.5, np.float32)])
    test[1, 0, 0] = 0.8  # one pixel 3 std away
    z = background_zmaps(model, test)
    assert z[1, 0, 0] == pytest.approx(3.0, rel=1e-4) and z[0].max() == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(background_scores(model, test, "mean"), [0.0, 3.0 / 12], atol=1e-5)
    np.testing.assert_allclose(background_scores(model, test, "percentile", q=100), [0.0, 3.0], atol=1e-4)


def test_constant_pixels_and_size_mismatch() -> None:
    model = fit_background([np.zeros((4, 3, 3), np.uint8)])
    assert model.std.min() == pytest.approx(1 / 255)  # floored: no division by zero
    with pytest.raises(CompanionError, match="fitted at"):
        background_scores(model, np.zeros((2, 4, 4), np.uint8))


def test_motion_energy_beats_chance_on_real_ped1(ped1_sample) -> None:
    from companion.cache import load_clip
    from companion.layout import open_dataset
    from companion.metrics import frame_auc

    clips = [c for c in open_dataset(ped1_sample).select("test") if c.labels is not None]
    loaded = [load_clip(c, size=(79, 119)) for c in clips]
    auc = frame_auc({c.name: c.labels for c in loaded}, {c.name: motion_energy(c.frames) for c in loaded})
    print(f"motion energy on the Ped1 sample ({len(loaded)} clips): micro AUC {auc.micro:.3f}, macro AUC {auc.macro:.3f}")
    assert auc.micro > 0.6


def test_cli_baselines_on_synthetic_data(synth_root, tmp_path) -> None:
    import csv
    import json

    from companion.cli import main
    from companion.layout import open_dataset

    n_frames = sum(len(c.frames) for c in open_dataset(synth_root, "synth").select("test"))
    for method in ("motion", "background", "flow", "flow-background"):
        js, sc = tmp_path / f"{method}.json", tmp_path / f"{method}.csv"
        assert main(["baseline", method, str(synth_root), "--dataset", "synth", "--json", str(js), "--scores", str(sc)]) == 0
        report = json.loads(js.read_text())
        assert report["n_frames"] == n_frames and report["auc_micro"] > 0.5
        assert "Train clips of UCSDsynth" in report["protocol"] and report["uses_test_information"] is False
        assert len(list(csv.DictReader(sc.open()))) == n_frames


def test_background_without_train_split_fits_on_normal_test_frames(synth_root, tmp_path) -> None:
    import shutil

    from companion.evaluation import score_baseline

    only_test = tmp_path / "UCSDsynth"
    shutil.copytree(synth_root / "Test", only_test / "Test")
    with pytest.raises(CompanionError, match="--train-clips"):
        score_baseline("background", only_test)
    scored = score_baseline("background", only_test, clips="2", train_clips="1")
    assert "ground-truth-normal frames of UCSDsynth Test clips Test001" in scored.protocol
    assert "NOT the paper protocol" in scored.protocol and "WARNING" not in scored.protocol
    assert list(scored.scores) == ["Test002"] and scored.train_scores is not None



def test_cli_warns_on_stderr_when_evaluated_clips_also_fitted_the_model(synth_root, tmp_path, capsys) -> None:
    import shutil

    from companion.cli import main

    only_test = tmp_path / "UCSDsynth"
    shutil.copytree(synth_root / "Test", only_test / "Test")
    assert main(["baseline", "background", str(only_test), "--clips", "1,2", "--train-clips", "1"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("WARNING: evaluated clip(s) Test001 also provided training frames")


def test_conv_autoencoder_ablation_reuses_train(synth_root, tmp_path) -> None:
    from companion.checkpoints import load_model
    from companion.convlstm import ConvLSTMCell
    from companion.evaluation import score_checkpoint
    from companion.train import train

    train(synth_root, tmp_path / "ae2d", dataset="synth", recurrent=False, epochs=1, progress=False, verbose=False)
    model, _ = load_model(tmp_path / "ae2d", device="cpu")
    assert not any(isinstance(m, ConvLSTMCell) for m in model.modules())  # the checkpoint rebuilds the 2D model
    scored = score_checkpoint(tmp_path / "ae2d", synth_root, progress=False)
    assert sum(len(s) for s in scored.scores.values()) == sum(len(y) for y in scored.labels.values())


def test_flow_measures_the_speed_of_a_moving_blob() -> None:
    """A Gaussian blob moving 1 vs 3 pixels per frame: Farneback flow speed at its centre says so."""
    yy, xx = np.mgrid[0:48, 0:64]

    def clip(speed: int) -> np.ndarray:
        blobs = [150 * np.exp(-((yy - 24) ** 2 + (xx - (12 + speed * t)) ** 2) / 32.0) for t in range(6)]
        return (60 + np.stack(blobs)).astype(np.uint8)

    slow, fast = flow_magnitude(clip(1)), flow_magnitude(clip(3))
    assert slow.shape == (6, 48, 64) and np.array_equal(slow[0], slow[1])  # frame 0 takes frame 1's map
    assert np.median(slow[3, 22:27, 13:18]) == pytest.approx(1.0, abs=0.2)  # centre at x = 15 in frame 3
    assert np.median(fast[3, 22:27, 19:24]) == pytest.approx(3.0, abs=0.3)  # centre at x = 21
    assert flow_energy(clip(3)).mean() > 2 * flow_energy(clip(1)).mean()
    with pytest.raises(CompanionError, match="T >= 2"):
        flow_magnitude(clip(1)[:1])
