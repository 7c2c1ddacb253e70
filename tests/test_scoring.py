"""Frame scores: every frame scored, window averaging, score kinds, normalisation, smoothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from companion.scoring import (
    ClipTooShortError,
    TrainStats,
    frame_scores,
    normalize_scores,
    position_errors,
    reconstruction_errors,
    regularity,
    smooth,
    train_statistics,
    uses_test_information,
    window_coverage,
)


class OffsetByPosition(torch.nn.Module):
    """Reconstructs position k of every window as input + 0.1 k: error (0.1 k)^2 per pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offsets = 0.1 * torch.arange(x.shape[1], dtype=x.dtype).view(1, -1, 1, 1, 1)
        return x + offsets


class Zeros(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.w


def test_position_errors_keep_each_window_position_apart() -> None:
    frames = np.random.default_rng(0).integers(0, 256, (7, 4, 6), dtype=np.uint8)
    errors = position_errors(OffsetByPosition(), frames, 3)
    assert errors.shape == (7 - 3 + 1, 3)  # five windows of three steps
    assert errors == pytest.approx(np.tile([0.0, 0.01, 0.04], (5, 1)), abs=1e-6)  # (0.1 k)^2 at position k
    # a black output: window s at position k misses the whole of frame s + k
    blank = position_errors(Zeros(), frames, 3)
    expected = [[np.mean((frames[s + k] / 255.0) ** 2) for k in range(3)] for s in range(5)]
    assert blank == pytest.approx(np.array(expected), rel=1e-5)
    with pytest.raises(ClipTooShortError):
        position_errors(Zeros(), frames[:2], 3)


def test_coverage_counts_every_frame() -> None:
    assert window_coverage(7, 3).tolist() == [1, 2, 3, 3, 3, 2, 1]
    assert window_coverage(3, 3).tolist() == [1, 1, 1]


@pytest.mark.parametrize("n_frames,batch_size", [(9, 2), (9, 100), (4, 1)])
def test_each_frame_is_the_mean_over_its_covering_windows(n_frames: int, batch_size: int) -> None:
    frames = np.random.default_rng(0).random((n_frames, 4, 5)).astype(np.float32)
    out = reconstruction_errors(OffsetByPosition(), frames, seq_len=3, batch_size=batch_size, progress=False)
    expected = []
    for t in range(n_frames):
        ks = [t - s for s in range(n_frames - 2) if 0 <= t - s < 3]
        expected.append(np.mean([(0.1 * k) ** 2 for k in ks]))
    assert out.errors.shape == (n_frames,)  # every frame scored, edges included
    np.testing.assert_allclose(out.errors, expected, rtol=1e-5, atol=1e-7)
    assert out.maps.shape == frames.shape == out.reconstruction.shape
    np.testing.assert_allclose(out.maps.mean(axis=(1, 2)), out.errors, rtol=1e-5)


def test_uint8_frames_and_max_inversion_measure_against_the_model_input() -> None:
    frames = np.full((5, 3, 3), 51, dtype=np.uint8)  # 0.2, max-inverted 0.8
    plain = reconstruction_errors(Zeros(), frames, seq_len=2, progress=False)
    inverted = reconstruction_errors(Zeros(), frames, seq_len=2, invert=True, progress=False)
    np.testing.assert_allclose(plain.errors, 0.04, rtol=1e-5)
    np.testing.assert_allclose(inverted.errors, 0.64, rtol=1e-5)


def test_model_mode_restored_and_short_clip_refused() -> None:
    model = Zeros().train()
    reconstruction_errors(model, np.zeros((3, 2, 2), np.float32), seq_len=3, progress=False)
    assert model.training
    with pytest.raises(ClipTooShortError, match="fewer than the model's window of 5"):
        reconstruction_errors(model, np.zeros((4, 2, 2), np.float32), seq_len=5, progress=False)


def test_score_kinds_are_higher_for_worse_frames() -> None:
    e = np.array([0.01, 0.04, 0.02, 0.1])
    for kind in ("mse", "regularity"):
        s = frame_scores(e, kind)
        assert np.argsort(s).tolist() == [0, 2, 1, 3], kind
    np.testing.assert_allclose(regularity(e), 1 - (e - 0.01) / 0.1)  # Hasan et al.: divided by max e
    assert regularity(e).max() == 1.0


def test_normalisations_and_their_protocol() -> None:
    scores = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([5.0, 5.0])}
    stats = train_statistics(np.array([1.0, 3.0]))
    assert stats == TrainStats(mean=2.0, std=1.0)
    np.testing.assert_allclose(normalize_scores(scores, "train", stats)["a"], [-1.0, 0.0, 1.0])
    video = normalize_scores(scores, "video")
    np.testing.assert_allclose(video["a"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(video["b"], [0.0, 0.0])
    np.testing.assert_allclose(normalize_scores(scores, "none")["b"], [5.0, 5.0])
    assert uses_test_information("video") and uses_test_information("none", "regularity")
    assert not uses_test_information("train") and not uses_test_information("none")


def test_smoothing_keeps_length_and_spreads_a_spike() -> None:
    spike = np.zeros(9)
    spike[4] = 3.0
    np.testing.assert_allclose(smooth(spike, 3), [0, 0, 0, 1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(smooth(spike, 1), spike)
    np.testing.assert_allclose(smooth(np.full(4, 2.0), 5), 2.0)  # edges padded, not zero-filled


@pytest.fixture(scope="session")
def tiny_run(synth_root, tmp_path_factory: pytest.TempPathFactory):
    """A 1-epoch run of the small model on the tiny synthetic dataset (its Train clips)."""
    from companion.train import train

    out = tmp_path_factory.mktemp("run") / "run"
    train(synth_root, out, dataset="synth", epochs=1, progress=False, verbose=False)
    return out


def test_cli_evaluate_scores_every_frame(synth_root, tiny_run, tmp_path) -> None:
    import csv
    import json

    from companion.cli import main
    from companion.layout import open_dataset

    clips = open_dataset(synth_root, "synth").select("test")
    js, sc = tmp_path / "eval.json", tmp_path / "scores.csv"
    assert main(["evaluate", str(tiny_run), str(synth_root), "--no-progress", "--json", str(js), "--scores", str(sc)]) == 0
    report = json.loads(js.read_text())
    assert report["n_frames"] == sum(len(c.frames) for c in clips)
    assert set(report["per_clip"]) == {c.name for c in clips}
    for key in ("auc_micro", "auc_macro", "eer", "average_precision", "thresholds"):
        assert key in report
    assert report["normalize"] == "train" and report["uses_test_information"] is False
    assert "Train clips" in report["protocol"] and "Uses test-set information: no" in report["protocol"]
    rows = list(csv.DictReader(sc.open()))
    assert len(rows) == report["n_frames"] and list(rows[0]) == ["clip", "frame", "label", "score", "scoring"]
    assert {r["scoring"] for r in rows} == {"mse"} and report["scoring"] == "mse"
    assert rows[0]["frame"] == "1" and {r["label"] for r in rows} == {"0", "1"}
    # never overwrite a user's file
    assert main(["evaluate", str(tiny_run), str(synth_root), "--json", str(js)]) == 2


def test_cli_evaluate_video_normalisation_says_it_uses_test_information(synth_root, tiny_run, tmp_path) -> None:
    import json

    from companion.cli import main

    js = tmp_path / "eval.json"
    args = ["evaluate", str(tiny_run), str(synth_root), "--clips", "1", "--normalize", "video", "--smooth", "3"]
    assert main([*args, "--no-progress", "--json", str(js)]) == 0
    report = json.loads(js.read_text())
    assert report["uses_test_information"] is True and "USES TEST-SET INFORMATION" in report["protocol"]
    assert list(report["per_clip"]) == ["Test001"] and "3-frame moving average" in report["protocol"]


def test_evaluating_training_clips_warns_loudly(synth_root, tmp_path) -> None:
    from companion.evaluation import score_checkpoint
    from companion.train import train

    train(synth_root, tmp_path / "run", dataset="synth", train_on="normal-test-frames", clips="1", epochs=1,
          val_fraction=0, progress=False, verbose=False)  # fmt: skip
    scored = score_checkpoint(tmp_path / "run", synth_root, normalize="none", progress=False)
    assert scored.protocol.startswith("WARNING: evaluated clip(s) Test001 also provided training frames")
    assert "NOT the paper protocol" in scored.protocol and scored.uses_test_information
