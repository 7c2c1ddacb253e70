"""Training loop, checkpoints, resume and the ``train`` command (notebook 04).

Every run here is tiny (2 frames of 16x16, a few dozen windows) and runs on the CPU.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from companion.checkpoints import load_checkpoint, load_model, save_checkpoint
from companion.cli import main
from companion.errors import CompanionError, ConfigMismatchError
from companion.model import ModelConfig, build_model, count_parameters
from companion.settings import TrainSettings, default_settings
from companion.tensors import WindowDataset
from companion.train import (
    NOT_PAPER_PROTOCOL,
    RunExistsError,
    TrainingDivergedError,
    fit,
    split_validation,
    time_training_step,
    train,
)

@pytest.fixture(scope="module")
def tiny() -> ModelConfig:
    """A tiny model configuration: 2 frames of 16x16, a few channels."""
    return ModelConfig(name="tiny", seq_len=2, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))

QUICK = {"batch_size": 8, "stride": 2, "lr": 3e-3, "progress": False, "verbose": False}


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _fake_clips(n_clips: int = 3, n_frames: int = 24, size: int = 16, seed: int = 0) -> list[SimpleNamespace]:
    """Moving bright squares on a grey background: easy to learn."""
    rng = np.random.default_rng(seed)
    clips = []
    for c in range(n_clips):
        frames = np.full((n_frames, size, size), 90, dtype=np.uint8)
        x0 = int(rng.integers(0, size - 4))
        for t in range(n_frames):
            x = (x0 + t) % (size - 4)
            frames[t, 6:10, x : x + 4] = 220
        clips.append(SimpleNamespace(name=f"Train{c + 1:03d}", frames=frames, labels=None, repaired=np.zeros(n_frames, bool)))
    return clips


def test_fit_reduces_the_loss(tiny: ModelConfig) -> None:
    clips = _fake_clips()
    train_set, val_set = WindowDataset(clips[:2], 2, 1), WindowDataset(clips[2:], 2, 2)
    torch.manual_seed(0)
    model = build_model(tiny)
    result = fit(model, train_set, val_set, TrainSettings(epochs=5, batch_size=8, lr=1e-2), model_config=tiny,
                 device="cpu", progress=False, verbose=False)  # fmt: skip
    h = result.history
    assert h["epoch"] == [1, 2, 3, 4, 5]
    assert h["train_loss"][-1] < 0.7 * h["train_loss"][0]
    assert h["val_loss"][-1] < h["val_loss"][0]


class CopyLast(torch.nn.Module):
    """No ``config``: outputs its input (a perfect reconstruction; as a next-frame prediction, "copy the last frame")."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0 * self.w


def test_fit_validates_on_the_objective_it_trains_on(tiny: ModelConfig) -> None:
    """A model without a ``config`` trained by ``fit(model_config=...)`` to predict the next frame is
    validated on next-frame prediction too (it was validated on reconstruction: best.pt was chosen on
    the wrong loss)."""
    clips = _fake_clips()
    train_set, val_set = WindowDataset(clips[:2], 2, 1), WindowDataset(clips[2:], 2, 1)
    next_frame = dataclasses.replace(tiny, target="next")
    result = fit(CopyLast(), train_set, val_set, TrainSettings(epochs=1, lr=1e-3), model_config=next_frame,
                 device="cpu", progress=False, verbose=False)  # fmt: skip
    frames = clips[2].frames.astype(np.float64) / 255
    copy_error = np.mean((frames[1:] - frames[:-1]) ** 2)  # each window (t, t + 1): frame t + 1 predicted by frame t
    assert result.history["val_loss"] == [pytest.approx(copy_error, rel=1e-5)]
    assert copy_error > 0.005  # the square moves: copying is wrong, a reconstruction loss would read 0
    assert result.history["train_loss"][0] > 0.005


def test_split_validation_holds_whole_clips_out() -> None:
    clips = _fake_clips(5)
    tr, va = split_validation(clips, "train", 0.2)
    assert [c.name for c in va] == ["Train005"] and len(tr) == 4
    tr, va = split_validation(clips, "normal-test-frames", 0.5)
    assert len(va) == 1
    tr, va = split_validation(clips[:1], "train", 0.25)
    assert len(tr[0].frames) == 18 and len(va[0].frames) == 6
    assert split_validation(clips, "train", 0.0) == (clips, [])


def test_train_is_deterministic_and_checkpoint_complete(synth_root: Path, tiny: ModelConfig, tmp_path: Path) -> None:
    a = train(synth_root, tmp_path / "a", config=tiny, epochs=1, seed=3, **QUICK)
    b = train(synth_root, tmp_path / "b", config=tiny, epochs=1, seed=3, **QUICK)
    assert _same_weights(a.model, b.model)
    assert a.history["train_loss"] == b.history["train_loss"]

    ckpt = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    assert ckpt["model_config"] == tiny.to_dict() and ckpt["epoch"] == 1
    assert ckpt["preprocessing"]["scale"] == pytest.approx(1 / 255)
    assert ckpt["preprocessing"]["max_inversion"] is False
    assert (ckpt["preprocessing"]["height"], ckpt["preprocessing"]["width"]) == (16, 16)
    assert ckpt["data"]["dataset"] == "UCSDsynth" and ckpt["data"]["train_on"] == "train"
    assert ckpt["data"]["clips"] == ["Train001", "Train002"] and ckpt["data"]["val_clips"] == ["Train002"]
    assert set(ckpt["versions"]) >= {"torch", "numpy", "companion"}
    assert {"optimizer_state", "rng", "history", "model_state"} <= set(ckpt)
    assert ckpt["settings"]["seed"] == 3
    saved = json.loads((tmp_path / "a" / "history.json").read_text())
    assert saved["history"]["train_loss"] == a.history["train_loss"]
    assert (tmp_path / "a" / "best.pt").is_file()
    assert not list((tmp_path / "a").glob(".*tmp"))  # no temporary file left behind

    model, meta = load_model(tmp_path / "a", device="cpu")
    assert not model.training and _same_weights(model, a.model) and meta["epoch"] == 1


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(synth_root: Path, tiny: ModelConfig, tmp_path: Path) -> None:
    opts = dict(config=tiny, seed=1, **QUICK)
    straight = train(synth_root, tmp_path / "straight", epochs=2, **opts)
    train(synth_root, tmp_path / "split", epochs=1, **opts)
    resumed = train(synth_root, tmp_path / "split", epochs=2, resume=True, progress=False, verbose=False)
    assert resumed.epochs == 2
    assert _same_weights(straight.model, resumed.model)
    assert straight.history["train_loss"] == resumed.history["train_loss"]
    assert straight.history["val_loss"] == resumed.history["val_loss"]


def test_refuses_to_overwrite_a_run(synth_root: Path, tiny: ModelConfig, tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(synth_root, run, config=tiny, epochs=1, **QUICK)
    before = (run / "checkpoint.pt").read_bytes()
    with pytest.raises(RunExistsError, match="--resume"):
        train(synth_root, run, config=tiny, epochs=1, **QUICK)
    assert (run / "checkpoint.pt").read_bytes() == before
    with pytest.raises(CompanionError, match="nothing to resume"):
        train(synth_root, tmp_path / "empty", config=tiny, epochs=1, resume=True, **QUICK)
    with pytest.raises(ConfigMismatchError, match="lr"):
        train(synth_root, run, epochs=2, resume=True, lr=0.5, progress=False, verbose=False)


def test_config_mismatch_names_the_fields(synth_root: Path, tiny: ModelConfig, tmp_path: Path) -> None:
    train(synth_root, tmp_path / "run", config=tiny, epochs=1, **QUICK)
    other = dataclasses.replace(tiny, seq_len=3, height=32)
    with pytest.raises(ConfigMismatchError, match="height.*seq_len") as info:
        load_checkpoint(tmp_path / "run" / "checkpoint.pt", config=other)
    assert "16 (checkpoint) != 32 (given)" in str(info.value)
    with pytest.raises(ConfigMismatchError, match="seq_len"):
        train(synth_root, tmp_path / "run", config=other, epochs=2, resume=True, **QUICK)
    assert load_checkpoint(tmp_path / "run", config=tiny)["epoch"] == 1


def test_nan_loss_stops_training(tiny: ModelConfig, tmp_path: Path) -> None:
    clips = _fake_clips(2)
    torch.manual_seed(0)
    model = build_model(tiny)
    calls = {"n": 0}

    def poison(module, inputs, output):  # the third batch goes wrong
        calls["n"] += 1
        return output * float("nan") if calls["n"] == 3 else output

    model.register_forward_hook(poison)
    with pytest.raises(TrainingDivergedError, match="nan at epoch 1, batch 3"):
        fit(model, WindowDataset(clips, 2, 1), None, TrainSettings(epochs=2, batch_size=4), model_config=tiny,
            run_dir=tmp_path / "run", device="cpu", progress=False, verbose=False)  # fmt: skip
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_save_checkpoint_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.pt"
    save_checkpoint({"format": "x", "v": 1}, path)

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint({"format": "x", "v": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["v"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_normal_test_frames_is_labelled_not_the_paper_protocol(
    synth_root: Path, tiny: ModelConfig, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    result = train(synth_root, tmp_path / "run", config=tiny, epochs=1, train_on="normal-test-frames",
                   **{**QUICK, "verbose": True})  # fmt: skip
    assert "NOT the paper protocol" in capsys.readouterr().out
    data = load_checkpoint(tmp_path / "run")["data"]
    assert data["protocol"] == NOT_PAPER_PROTOCOL and data["val_clips"] == ["Test002"]
    assert data["skipped_abnormal_windows"] > 0 and result.epochs == 1


def test_default_settings() -> None:
    assert default_settings("report").lr == 1e-4 and default_settings("report").batch_size == 8
    assert default_settings("cpu", lr=0.5).lr == 0.5
    assert default_settings("cpu", lr=None).lr == default_settings("cpu").lr
    with pytest.raises(CompanionError, match="stride"):
        TrainSettings(stride=0)


def test_cli_train_on_synth(synth_root: Path, tiny: ModelConfig, tmp_path: Path, monkeypatch, capsys) -> None:
    import companion.model

    monkeypatch.setitem(companion.model.CONFIGS, "tiny", tiny)
    run = tmp_path / "run"
    argv = ["train", str(synth_root), "--config", "tiny", "--epochs", "1", "--out", str(run), "--batch-size", "8",
            "--stride", "2", "--seed", "0", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Using CPU" in out and "epoch 1/1" in out
    assert json.loads((run / "history.json").read_text())["history"]["epoch"] == [1]
    assert main(argv) == 2  # refuses to overwrite
    assert "already holds a checkpoint" in capsys.readouterr().err
    assert main(["train", str(synth_root), "--out", str(run), "--epochs", "2", "--resume", "--no-progress"]) == 0
    assert load_checkpoint(run)["epoch"] == 2
    if not torch.cuda.is_available():
        assert main(["train", str(synth_root), "--out", str(tmp_path / "x"), "--device", "cuda"]) == 2
        assert "CUDA was requested" in capsys.readouterr().err


def test_real_sample_trains_on_normal_test_frames(ped1_sample: Path, tiny: ModelConfig, tmp_path: Path) -> None:
    """Test017 holds a corrupt frame (142): the window touching the repaired frame is skipped."""
    result = train(ped1_sample, tmp_path / "run", config=tiny, epochs=1, train_on="normal-test-frames",
                   clips="17", **QUICK)  # fmt: skip
    data = result.data
    assert data["clips"] == ["Test017"] and data["val_clips"] == ["Test017[160:]"]  # one clip: its tail
    assert data["skipped_repaired_windows"] >= 1 and data["skipped_abnormal_windows"] > 0
    assert data["protocol"] == NOT_PAPER_PROTOCOL
    with pytest.raises(CompanionError, match="normal-test-frames"):
        train(ped1_sample, tmp_path / "other", config=tiny, epochs=1, **QUICK)  # the sample has no Train/


def test_time_training_step_times_one_step_of_several(tiny: ModelConfig) -> None:
    t0 = time.perf_counter()
    cost = time_training_step(tiny, batch_size=2, device="cpu", repeats=3)
    elapsed = time.perf_counter() - t0
    assert 0 < cost.seconds < elapsed  # one of the three steps, not all of them
    assert cost.peak_bytes is None  # GPU memory is measured on CUDA only
    with pytest.raises(ValueError, match="repeats"):
        time_training_step(tiny, device="cpu", repeats=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_time_training_step_on_cuda_counts_at_least_the_weights_and_adam_state(tiny: ModelConfig) -> None:
    cost = time_training_step(tiny, batch_size=8, device="cuda")
    # weights, their gradients and Adam's two moments: 16 bytes per parameter; the batch: 4 bytes a value
    floor = 16 * count_parameters(build_model(tiny)) + 4 * 8 * int(np.prod(tiny.input_shape))
    assert cost.peak_bytes >= floor and cost.seconds > 0


def test_an_epoch_budget_grows_the_epochs_of_small_data_only() -> None:
    from companion.settings import EpochBudget, epochs_for

    budget = EpochBudget(windows=100, most=6)
    assert budget.epochs(2, 10) == 6  # 10 epochs would match the budget: capped at most
    assert budget.epochs(2, 40) == 3  # ceil(100 / 40)
    assert budget.epochs(2, 1000) == 2  # large data keeps the configuration's own epochs
    assert epochs_for("cpu", 20, 5) == 20  # no budget: unchanged
    # the recommended detector: Ped1's Train split (2619 windows) keeps its 15 epochs, the sample trains 60
    assert epochs_for("flow-next-96x144", 15, 2619) == 15 and epochs_for("flow-next-96x144", 15, 144) == 60


def test_train_grows_the_default_epochs_on_small_data_unless_epochs_are_given(
    synth_root: Path, tiny: ModelConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import companion.settings
    from companion.settings import EpochBudget

    monkeypatch.setitem(companion.settings.TRAIN_DEFAULTS, tiny.name, TrainSettings(epochs=1, batch_size=8, lr=3e-3, stride=2))
    monkeypatch.setitem(companion.settings.EPOCH_BUDGETS, tiny.name, EpochBudget(windows=10**6, most=3))
    grown = train(synth_root, tmp_path / "grown", config=tiny, progress=False, verbose=True)
    assert grown.epochs == 3 and load_checkpoint(tmp_path / "grown")["settings"]["epochs"] == 3
    assert "3 epochs instead of 1" in capsys.readouterr().out
    given = train(synth_root, tmp_path / "given", config=tiny, epochs=1, progress=False, verbose=False)
    assert given.epochs == 1
