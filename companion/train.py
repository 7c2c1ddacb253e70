"""Training the ConvLSTM autoencoder: the loop, the validation split and checkpoints.

Introduced in notebook 04.

``train(...)`` is what the notebook and ``companion train`` call: it reads the cached uint8
clips, cuts them into sliding windows, holds whole clips out for validation, trains with MSE
and Adam, and writes ``RUN/checkpoint.pt`` (every epoch, atomically), ``RUN/best.pt`` (lowest
validation loss) and ``RUN/history.json``. ``fit(...)`` is the loop itself, for any model and
window datasets. Same seed, same CPU: same weights, whether or not the run was interrupted and
resumed.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import math
import os
import pickle
import platform
import time
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import companion
from companion.device import pick_device
from companion.errors import CompanionError, ConfigMismatchError, NotACheckpointError, OutputPathError
from companion.tensors import ClipLike, ClipSlice, WindowDataset, add_noise, max_inversion, to_model_input

__all__ = [
    "CHECKPOINT_FORMAT",
    "NOT_PAPER_PROTOCOL",
    "TRAIN_DEFAULTS",
    "TRAIN_ON",
    "RunExistsError",
    "TrainResult",
    "TrainSettings",
    "TrainingDivergedError",
    "config_differences",
    "default_settings",
    "fit",
    "load_checkpoint",
    "load_model",
    "objective_pair",
    "save_checkpoint",
    "split_validation",
    "train",
]

CHECKPOINT_FORMAT = "companion-checkpoint/1"
CHECKPOINT_NAME, BEST_NAME, HISTORY_NAME = "checkpoint.pt", "best.pt", "history.json"
TRAIN_ON = ("train", "normal-test-frames")
NOT_PAPER_PROTOCOL = (
    "NOT the paper protocol: trained on the ground-truth-normal frames of TEST clips (the paper trains on "
    "the Train clips only); scores on these same clips are optimistic and not comparable with published results"
)


class RunExistsError(CompanionError):
    """The run folder already holds a checkpoint and ``resume`` was not asked for."""


class TrainingDivergedError(CompanionError):
    """The loss became NaN or infinite: training stopped."""


@dataclass(frozen=True)
class TrainSettings:
    """How to train (everything but the model and the data). Introduced in notebook 04.

    ``epochs`` is the total number of epochs of the run (a resumed run trains up to it);
    ``stride`` is the step between training windows (validation windows use it too);
    ``noise_std`` > 0 trains a denoising autoencoder (noisy input, clean target);
    ``val_fraction`` is the share of the ``train``-split clips held out whole for validation.
    """

    epochs: int = 10
    batch_size: int = 8
    lr: float = 1e-4
    stride: int = 1
    max_inversion: bool = False
    noise_std: float = 0.0
    seed: int = 0
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        problems = []
        if self.epochs < 0:
            problems.append(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            problems.append(f"lr must be a positive number, got {self.lr}")
        if self.stride < 1:
            problems.append(f"stride must be >= 1, got {self.stride}")
        if self.noise_std < 0:
            problems.append(f"noise std must be >= 0, got {self.noise_std}")
        if not 0 <= self.val_fraction < 1:
            problems.append(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if problems:
            raise CompanionError("invalid training settings: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainSettings:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


#: Default settings per model configuration. ``report`` and ``keras-readme`` follow the seed
#: documents (Adam, lr 1e-4, batch 8). ``cpu`` is tuned (benchmarks/bench_train.py) so that the
#: small model learns the synthetic default dataset within 3 minutes on 2 CPU cores: after 15
#: epochs of 171 windows (batch 8, stride 2) the validation MSE was 0.0115 with lr 1e-4 (barely
#: started), 0.0025 with 1e-3, 0.0023 with 3e-3 and 0.0018 with 1e-2; 3e-3 is the compromise
#: between speed and the stability margin a recurrent model needs on other data.
TRAIN_DEFAULTS: dict[str, TrainSettings] = {
    "report": TrainSettings(epochs=20, batch_size=8, lr=1e-4, stride=1),
    "keras-readme": TrainSettings(epochs=20, batch_size=8, lr=1e-4, stride=1),
    "cpu": TrainSettings(epochs=20, batch_size=8, lr=3e-3, stride=2),
    "flow-next": TrainSettings(epochs=30, batch_size=8, lr=3e-3, stride=2),
}


def default_settings(config_name: str | None = "cpu", **overrides: Any) -> TrainSettings:
    """The default :class:`TrainSettings` of a configuration, with ``overrides`` (``None`` = keep).

    Introduced in notebook 04.
    """
    base = TRAIN_DEFAULTS.get(config_name or "cpu", TrainSettings())
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass
class TrainResult:
    """What :func:`train` and :func:`fit` return. Introduced in notebook 04."""

    model: torch.nn.Module
    history: dict[str, list]
    device: torch.device
    epochs: int
    seconds: float
    run_dir: Path | None = None
    checkpoint: Path | None = None
    best_checkpoint: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# checkpoints


def save_checkpoint(checkpoint: dict[str, Any], path: str | Path) -> Path:
    """Write ``checkpoint`` with ``torch.save`` atomically: a temporary file, then ``os.replace``.

    An interruption leaves either the old file or the new one, never half of one.
    Introduced in notebook 04.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _write_text_atomic(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def config_differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """``"field: a (checkpoint) != b (given)"`` for every field in which two config dicts differ."""
    out = []
    for key in sorted(set(expected) | set(actual)):
        a, b = expected.get(key, "<absent>"), actual.get(key, "<absent>")
        if _normal(a) != _normal(b):
            out.append(f"{key}: {a!r} (checkpoint) != {b!r} (given)")
    return out


def _normal(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _config_dict(config: Any) -> dict[str, Any]:
    return config.to_dict() if hasattr(config, "to_dict") else dict(config)


def load_checkpoint(path: str | Path, config: Any = None, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (safely: ``weights_only=True``).

    With ``config`` (a ``ModelConfig`` or its dict), raise :class:`ConfigMismatchError` naming
    every field in which it differs from the configuration the checkpoint was trained with.
    Introduced in notebook 04.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CompanionError(f"no checkpoint at {path}: train one first (companion train ... --out RUN)")
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of files that are not its own
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated, not a torch file, or from an unknown source
        raise NotACheckpointError(_not_a_checkpoint(path, _file_kind(path, err))) from None
    if not isinstance(ckpt, dict):
        raise NotACheckpointError(_not_a_checkpoint(path, f"a torch file holding a {type(ckpt).__name__}, not a checkpoint dict"))
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        found = f"format {ckpt['format']!r}" if "format" in ckpt else "no 'format' entry"
        raise NotACheckpointError(
            _not_a_checkpoint(path, f"a torch checkpoint of another program or version ({found}; expected {CHECKPOINT_FORMAT!r})")
        )
    if config is not None:
        diffs = config_differences(ckpt["model_config"], _config_dict(config))
        if diffs:
            raise ConfigMismatchError(
                f"checkpoint {path} was trained with another model configuration; differing fields: "
                + "; ".join(diffs)
                + ". Load it with its own configuration (load_model(path)) or train a new run."
            )
    return ckpt


def _not_a_checkpoint(path: Path, kind: str) -> str:
    return (
        f"{path} is not a companion checkpoint: it is {kind}. Pass a run folder written by "
        "`companion train ROOT --out RUN` (or its checkpoint.pt), or train one that way"
    )


def _file_kind(path: Path, err: Exception) -> str:
    """What a file that ``torch.load`` refused seems to be, from its first bytes (for the error message)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as os_err:
        return f"a file that cannot be read ({os_err.strerror})"
    if not head:
        return "an empty file (an interrupted copy?)"
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            return "a truncated or damaged zip archive (an interrupted copy or download?)"
        with zipfile.ZipFile(path) as z:
            if not any(name.endswith("data.pkl") for name in z.namelist()):
                return "a zip archive, not a torch file"
        if isinstance(err, pickle.UnpicklingError):
            return "a torch file holding Python objects other than tensors and plain data, which are not loaded (unsafe)"
        return "a damaged torch file"
    if head[:1] == b"\x80":
        return "a Python pickle, not a torch checkpoint"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return f"binary data of an unknown kind ({path.stat().st_size} bytes)"
    if all(c.isprintable() or c.isspace() for c in text):
        first = text.strip().splitlines()[0][:40] if text.strip() else ""
        return f"a text file (starting {first!r})" if first else "a text file of blanks"
    return f"binary data of an unknown kind ({path.stat().st_size} bytes)"


def load_model(path: str | Path, device: str | torch.device | None = None) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild the trained model from a checkpoint, in eval mode: ``(model, checkpoint_dict)``.

    ``device=None`` picks one with :func:`companion.device.pick_device`. The dict holds
    ``preprocessing`` (scale, ``max_inversion``, size, ``seq_len``) to feed the model the way it
    was trained. Introduced in notebook 04.
    """
    from companion.model import ModelConfig, build_model

    ckpt = load_checkpoint(path)
    dev = pick_device("auto" if device is None else device, verbose=False)  # quiet: the training notice is not for loading
    config = ModelConfig.from_dict(ckpt["model_config"])
    model = build_model(config)
    _load_state(model, ckpt["model_state"], path)
    return model.to(dev).eval(), ckpt


def _load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], path: Any) -> None:
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ConfigMismatchError(
            f"the weights in {path} do not fit this model ({'; '.join(first[:3])}); "
            "build the model from the checkpoint's own configuration (load_model)"
        ) from None


# --------------------------------------------------------------------------------------------
# the loop


def _rng_state(shuffle_gen: torch.Generator, noise_gen: torch.Generator) -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "shuffle": shuffle_gen.get_state(),
        "noise": noise_gen.get_state(),
        "noise_device": str(noise_gen.device),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], shuffle_gen: torch.Generator, noise_gen: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    shuffle_gen.set_state(state["shuffle"])
    if state.get("noise_device") == str(noise_gen.device):
        noise_gen.set_state(state["noise"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def _versions() -> dict[str, str]:
    return {
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "companion": str(companion.__version__),
        "python": platform.python_version(),
    }


def _preprocessing(config_dict: dict[str, Any], settings: TrainSettings) -> dict[str, Any]:
    return {
        "input": "uint8 grey frames, area-resized to (height, width)",
        "scale": 1 / 255,
        "offset": 0.0,
        "max_inversion": settings.max_inversion,
        "height": config_dict.get("height"),
        "width": config_dict.get("width"),
        "seq_len": config_dict.get("seq_len"),
        "channels": config_dict.get("channels", 1),
        "train_stride": settings.stride,
        "noise_std": settings.noise_std,
    }


def _batch(
    x_uint8: torch.Tensor, device: torch.device, settings: TrainSettings, noise_gen: torch.Generator | None, config: Any = None
):
    from companion.model import model_signal

    target = to_model_input(x_uint8, device)
    if settings.max_inversion:
        target = max_inversion(target)
    target = model_signal(target, config)
    inputs = add_noise(target, settings.noise_std, noise_gen) if settings.noise_std > 0 else target
    return inputs, target


def _objective(model: torch.nn.Module, config_dict: dict[str, Any] | None = None) -> str:
    """The model's training target ("reconstruct" or "next"): its config's, else the given dict's."""
    cfg = getattr(model, "config", None)
    d = config_dict or {}
    target = str(getattr(cfg, "target", None) or d.get("target") or "reconstruct")
    signal = str(getattr(cfg, "signal", None) or d.get("signal") or "frames")
    return "differences" if target == "reconstruct" and signal == "absdiff" else target


def objective_pair(out: torch.Tensor, target: torch.Tensor, objective: str = "reconstruct") -> tuple[torch.Tensor, torch.Tensor]:
    """What the loss compares: ``(out, target)`` to reconstruct, ``(out[:, :-1], target[:, 1:])`` for
    next-frame prediction (output k predicts frame k + 1), ``(out[:, 1:], target[:, 1:])`` for
    "differences" (a ``signal="absdiff"`` model, whose first step only repeats the second's
    difference). Introduced in notebook 05."""
    if objective == "next":
        return out[:, :-1], target[:, 1:]
    if objective == "differences":
        return out[:, 1:], target[:, 1:]
    if objective != "reconstruct":
        raise ConfigMismatchError(f"unknown training target {objective!r}; choose 'reconstruct', 'next' or 'differences'")
    return out, target


def _evaluate(model, loader, device, settings, use_amp) -> float | None:
    """Mean MSE over all windows of ``loader``, on clean inputs (as scoring will feed them)."""
    if loader is None or len(loader.dataset) == 0:
        return None
    model.eval()
    objective = _objective(model)
    total, n = 0.0, 0
    with torch.no_grad():
        for xb in loader:
            inputs, target = _batch(xb, device, settings, None, getattr(model, "config", None))
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                out = model(inputs)
            out, target = objective_pair(out.float(), target, objective)
            total += F.mse_loss(out, target, reduction="sum").item() / target[0].numel()
            n += target.shape[0]
    model.train()
    return total / n


def fit(
    model: torch.nn.Module,
    train_set: torch.utils.data.Dataset,
    val_set: torch.utils.data.Dataset | None = None,
    settings: TrainSettings | None = None,
    *,
    model_config: Any = None,
    run_dir: str | Path | None = None,
    data_spec: dict[str, Any] | None = None,
    resume_from: dict[str, Any] | None = None,
    device: str | torch.device = "auto",
    amp: bool | None = None,
    progress: bool = True,
    verbose: bool = True,
) -> TrainResult:
    """Train ``model`` to reconstruct the windows of ``train_set`` (uint8 ``(T, H, W)`` items).

    MSE loss, Adam (``settings.lr``), shuffled batches from a seeded generator
    (``num_workers=0``), mixed precision on CUDA only (``amp=None``: on when CUDA). Each epoch
    ends with the mean validation loss on clean inputs; with ``run_dir`` it also writes
    ``checkpoint.pt`` (atomically), ``best.pt`` when validation improves and ``history.json``.
    ``resume_from`` (a checkpoint dict) restores weights, optimizer, history and random states,
    so the run continues exactly as if it had never stopped. A NaN or infinite loss raises
    :class:`TrainingDivergedError`; the last good checkpoint is kept. The caller seeds and
    builds the model (``torch.manual_seed(settings.seed)`` first: :func:`train` does).
    Introduced in notebook 04.
    """
    settings = settings or TrainSettings()
    dev = device if isinstance(device, torch.device) else pick_device(device, verbose=verbose)
    use_amp = dev.type == "cuda" if amp is None else bool(amp and dev.type == "cuda")
    config_dict = _config_dict(model_config) if model_config is not None else {}
    run = Path(run_dir) if run_dir is not None else None

    if len(train_set) == 0:
        raise CompanionError(
            "no training windows: the clips are shorter than the window, or every window touches a repaired "
            "or abnormal frame; choose more clips or a shorter seq_len"
        )
    model.to(dev).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    shuffle_gen = torch.Generator().manual_seed(settings.seed)
    noise_gen = torch.Generator(device=dev if dev.type in ("cuda", "cpu") else "cpu").manual_seed(settings.seed + 1)
    history: dict[str, list] = {"epoch": [], "train_loss": [], "val_loss": [], "seconds": [], "windows_per_second": []}
    best_val = math.inf
    start_epoch = 0
    if resume_from is not None:
        _load_state(model, resume_from["model_state"], "the checkpoint")
        optimizer.load_state_dict(resume_from["optimizer_state"])
        if use_amp and resume_from.get("scaler_state"):
            scaler.load_state_dict(resume_from["scaler_state"])
        history = {k: list(v) for k, v in resume_from["history"].items()}
        best_val = resume_from.get("best_val_loss") or math.inf
        start_epoch = int(resume_from["epoch"])
        _set_rng_state(resume_from["rng"], shuffle_gen, noise_gen)

    loader = torch.utils.data.DataLoader(
        train_set, batch_size=settings.batch_size, shuffle=True, generator=shuffle_gen,
        num_workers=0, pin_memory=dev.type == "cuda",
    )  # fmt: skip
    val_loader = (
        torch.utils.data.DataLoader(val_set, batch_size=settings.batch_size, shuffle=False, num_workers=0)
        if val_set is not None and len(val_set) > 0
        else None
    )
    if verbose and val_loader is None:
        print("note: no validation windows; the history has no validation loss and no best.pt is kept")

    base = {
        "format": CHECKPOINT_FORMAT,
        "model_config": config_dict,
        "preprocessing": _preprocessing(config_dict, settings),
        "data": data_spec or {},
        "settings": settings.to_dict(),
        "versions": _versions(),
    }
    objective = _objective(model, config_dict)
    t_run = time.perf_counter()
    epoch = start_epoch
    for epoch in range(start_epoch + 1, settings.epochs + 1):
        t0 = time.perf_counter()
        total, n = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch}/{settings.epochs}", disable=not progress, leave=False, unit="batch")
        for step, xb in enumerate(bar, 1):
            inputs, target = _batch(xb, dev, settings, noise_gen, getattr(model, "config", None))
            with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=use_amp):
                out = model(inputs)
            loss = F.mse_loss(*objective_pair(out.float(), target, objective))
            value = loss.item()
            if not math.isfinite(value):
                kept = f"; the last good checkpoint (epoch {epoch - 1}) is kept in {run}" if run and epoch > 1 else ""
                raise TrainingDivergedError(
                    f"the loss became {value} at epoch {epoch}, batch {step} (lr={settings.lr:g}): training "
                    f"stopped{kept}. Lower the learning rate (--lr) or check the input data."
                )
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += value * target.shape[0]
            n += target.shape[0]
            bar.set_postfix(loss=f"{total / n:.5f}")
        bar.close()
        train_loss = total / n
        val_loss = _evaluate(model, val_loader, dev, settings, use_amp)
        if val_loss is not None and not math.isfinite(val_loss):
            raise TrainingDivergedError(
                f"the validation loss became {val_loss} at epoch {epoch} (lr={settings.lr:g}): lower the learning rate"
            )
        seconds = time.perf_counter() - t0
        history["epoch"].append(epoch)
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["seconds"].append(seconds)
        history["windows_per_second"].append(n / seconds if seconds > 0 else float("nan"))
        improved = val_loss is not None and val_loss < best_val
        if improved:
            best_val = val_loss
        if verbose:
            val_text = "n/a" if val_loss is None else f"{val_loss:.5f}"
            line = f"epoch {epoch}/{settings.epochs}  train loss {train_loss:.5f}  val loss {val_text}  ({seconds:.1f} s)"
            (tqdm.write if progress else print)(line)
        if run is not None:
            ckpt = {
                **base,
                "epoch": epoch,
                "history": history,
                "best_val_loss": None if best_val == math.inf else best_val,
                "model_state": model.state_dict(),
                "optimizer_state": optimizer.state_dict(),
                "scaler_state": scaler.state_dict() if use_amp else None,
                "rng": _rng_state(shuffle_gen, noise_gen),
            }
            save_checkpoint(ckpt, run / CHECKPOINT_NAME)
            if improved:
                save_checkpoint(ckpt, run / BEST_NAME)
            summary = {k: v for k, v in base.items() if k not in ("format",)}
            _write_text_atomic(
                json.dumps({**summary, "epoch": epoch, "best_val_loss": ckpt["best_val_loss"], "history": history}, indent=2)
                + "\n",
                run / HISTORY_NAME,
            )
    wall = time.perf_counter() - t_run
    return TrainResult(
        model=model,
        history=history,
        device=dev,
        epochs=max(epoch, start_epoch),
        seconds=wall,
        run_dir=run,
        checkpoint=run / CHECKPOINT_NAME if run and (run / CHECKPOINT_NAME).exists() else None,
        best_checkpoint=run / BEST_NAME if run and (run / BEST_NAME).exists() else None,
        data=data_spec or {},
    )


# --------------------------------------------------------------------------------------------
# data: clips -> train / validation windows


def split_validation(
    clips: Sequence[ClipLike], train_on: str = "train", val_fraction: float = 0.2
) -> tuple[list[ClipLike], list[ClipLike]]:
    """Hold whole clips out for validation: ``(train_clips, val_clips)``. Introduced in notebook 04.

    ``train_on="train"``: the last ``max(1, round(val_fraction * n))`` clips (at least one clip
    stays for training). ``"normal-test-frames"``: the last clip (its normal windows). With a
    single clip, its last ``val_fraction`` of frames (at least 20%) are held out instead, so no
    window mixes training and validation frames. ``val_fraction=0``: no validation.
    """
    clips = list(clips)
    if val_fraction <= 0 or not clips:
        return clips, []
    if len(clips) == 1:
        clip = clips[0]
        n = len(clip.frames)
        cut = int(round(n * (1 - max(val_fraction, 0.2))))
        return [ClipSlice(clip, 0, cut)], [ClipSlice(clip, cut, None)]
    if train_on == "normal-test-frames":
        n_val = 1
    else:
        n_val = min(len(clips) - 1, max(1, round(val_fraction * len(clips))))
    return clips[:-n_val], clips[-n_val:]


def _resolve_config(config: Any) -> Any:
    """A ``ModelConfig`` from a name of ``CONFIGS`` (default ``"cpu"``), a ``.json`` file holding
    ``ModelConfig.to_dict()`` (the variants of benchmarks/real_ped1.py), a config or its dict."""
    from companion.model import CONFIGS, ModelConfig

    if config is None:
        config = "cpu"
    if isinstance(config, str) and config.endswith(".json") and config not in CONFIGS:
        path = Path(config)
        if not path.is_file():
            raise ConfigMismatchError(f"no model configuration file {path}: give a name of {', '.join(CONFIGS)} or a JSON file")
        try:
            return ModelConfig.from_dict(json.loads(path.read_text()))
        except json.JSONDecodeError as err:
            raise ConfigMismatchError(f"{path} is not JSON ({err}); write ModelConfig.to_dict() into it") from None
    if isinstance(config, str):
        if config not in CONFIGS:
            raise ConfigMismatchError(f"unknown model configuration {config!r}: choose one of {', '.join(CONFIGS)}")
        return CONFIGS[config]
    if isinstance(config, dict):
        return ModelConfig.from_dict(config)
    return config


def train(
    root: str | Path,
    out: str | Path | None,
    *,
    config: Any = None,
    dataset: str | None = None,
    train_on: str | None = None,
    clips: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    stride: int | None = None,
    max_inversion: bool | None = None,
    noise: float | None = None,
    seed: int | None = None,
    val_fraction: float | None = None,
    device: str = "auto",
    resume: bool = False,
    recurrent: bool | None = None,
    progress: bool = True,
    verbose: bool = True,
    target: str | None = None,
) -> TrainResult:
    """Train the ConvLSTM autoencoder on a UCSD-layout dataset; what ``companion train`` runs.

    ``config`` is a name of ``companion.model.CONFIGS`` (default ``"cpu"``) or a ``ModelConfig``;
    options left at ``None`` take the configuration's defaults (:data:`TRAIN_DEFAULTS`) or, with
    ``resume=True``, the values stored in ``out/checkpoint.pt``. ``train_on="train"`` uses the
    Train clips (the paper protocol); ``"normal-test-frames"`` uses the ground-truth-normal
    frames of the chosen Test clips (labelled NOT the paper protocol). ``clips`` selects clips
    ("1-8,17"). ``out`` is the run folder; an existing checkpoint there is never overwritten
    unless ``resume=True``, which continues the run up to ``epochs`` in total (``out=None``:
    nothing is written). ``target="next"`` overrides the configuration's training target: predict
    the next frame instead of reconstructing the window (notebook 05). Introduced in notebook 04.
    """
    from companion.cache import load_clip
    from companion.layout import DATASETS, open_dataset
    from companion.model import build_model
    from companion.signals import clip_signal

    run = Path(out) if out is not None else None
    if run is not None:
        _check_run_folder(run)  # first: a run that could not be written fails before anything else
    dev = pick_device(device, verbose=verbose)  # then a missing GPU fails before any data is read
    ckpt_path = run / CHECKPOINT_NAME if run is not None else None
    resume_from = None
    if ckpt_path is not None and ckpt_path.exists() and not resume:
        old = _peek_epoch(ckpt_path)
        raise RunExistsError(
            f"{run} already holds a checkpoint{old}; nothing was overwritten. Pass --resume (resume=True) to "
            "continue that run, or choose another --out folder"
        )
    if resume:
        if ckpt_path is None or not ckpt_path.exists():
            raise CompanionError(f"nothing to resume: {ckpt_path or 'out=None'} does not exist; drop --resume to start a run")
        resume_from = load_checkpoint(ckpt_path)

    given = {
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "stride": stride, "max_inversion": max_inversion,
        "noise_std": noise, "seed": seed, "val_fraction": val_fraction,
    }  # fmt: skip
    if resume_from is not None:
        stored = resume_from["settings"]
        clash = [
            f"{k}: {stored[k]!r} (checkpoint) != {v!r} (given)"
            for k, v in given.items()
            if k != "epochs" and v is not None and v != stored.get(k)
        ]
        data = resume_from["data"]
        wanted_name = None if dataset is None else DATASETS.get(dataset.lower().removeprefix("ucsd"), dataset)
        for key, value in (("dataset", wanted_name), ("train_on", train_on), ("clip_spec", clips)):
            if value is not None and value != data.get(key):
                clash.append(f"{key}: {data.get(key)!r} (checkpoint) != {value!r} (given)")
        if config is not None:
            model_config = _resolve_config(config)
            clash += config_differences(resume_from["model_config"], _config_dict(model_config))
        elif recurrent is not None and recurrent != resume_from["model_config"].get("recurrent"):
            clash.append(f"recurrent: {resume_from['model_config'].get('recurrent')!r} (checkpoint) != {recurrent!r} (given)")
        stored_target = resume_from["model_config"].get("target", "reconstruct")
        if config is None and target is not None and target != stored_target:
            clash.append(f"target: {stored_target!r} (checkpoint) != {target!r} (given)")
        if clash:
            raise ConfigMismatchError(
                f"--resume continues {run} with its own settings, but these differ: " + "; ".join(clash)
                + ". Drop them (or start a new run in another folder)"
            )
        from companion.model import ModelConfig

        model_config = ModelConfig.from_dict(resume_from["model_config"])
        settings = TrainSettings.from_dict({**stored, "epochs": epochs if epochs is not None else stored["epochs"]})
        dataset, train_on, clips = data.get("dataset"), data.get("train_on"), data.get("clip_spec")
        dataset = {v: k for k, v in DATASETS.items()}.get(dataset, dataset)
        root = root if root is not None else data.get("root")
    else:
        model_config = _resolve_config(config)
        if recurrent is not None and recurrent != model_config.recurrent:
            model_config = dataclasses.replace(model_config, recurrent=bool(recurrent))
        if target is not None and target != getattr(model_config, "target", "reconstruct"):
            model_config = dataclasses.replace(model_config, target=target)
        settings = default_settings(model_config.name, **given)
    train_on = train_on or "train"
    if train_on not in TRAIN_ON:
        raise CompanionError(f"train_on must be one of {', '.join(TRAIN_ON)}, got {train_on!r}")

    ds = open_dataset(root, dataset=dataset) if dataset else open_dataset(root)
    split = "train" if train_on == "train" else "test"
    chosen = ds.select(split, clips)
    if not chosen:
        raise CompanionError(
            f"no {split} clips selected in {ds.root} (clips={clips!r})"
            + ("; this dataset has no Train clips: use --train-on normal-test-frames" if split == "train" else "")
        )
    if verbose and train_on == "normal-test-frames":
        print(f"note: {NOT_PAPER_PROTOCOL}.")
    size = (model_config.height, model_config.width)
    if settings.max_inversion and model_config.signal != "frames":
        raise ConfigMismatchError(
            f"max-inversion flips grey levels; it means nothing for the {model_config.signal!r} signal of the "
            f"{model_config.name!r} config: drop --max-inversion"
        )
    loaded = [load_clip(c, size=size) for c in chosen]
    loaded = [dataclasses.replace(c, frames=clip_signal(c.frames, model_config)) for c in loaded]
    train_clips, val_clips = split_validation(loaded, train_on, settings.val_fraction)
    skip_abnormal = train_on == "normal-test-frames"
    train_set = WindowDataset(train_clips, model_config.seq_len, settings.stride, skip_abnormal=skip_abnormal)
    val_set = WindowDataset(val_clips, model_config.seq_len, settings.stride, skip_abnormal=skip_abnormal)
    data_spec = {
        "dataset": ds.name,
        "root": str(Path(ds.root).resolve()),
        "train_on": train_on,
        "clip_spec": clips,
        "clips": [c.name for c in chosen],
        "train_clips": [c.name for c in train_clips],
        "val_clips": [c.name for c in val_clips],
        "train_windows": len(train_set),
        "val_windows": len(val_set),
        "skipped_repaired_windows": train_set.skipped_repaired + val_set.skipped_repaired,
        "skipped_abnormal_windows": train_set.skipped_abnormal + val_set.skipped_abnormal,
        "protocol": "paper (train on Train clips)" if train_on == "train" else NOT_PAPER_PROTOCOL,
    }
    if resume_from is not None:
        old = resume_from["data"]
        moved = [k for k in ("clips", "train_windows", "val_windows") if old.get(k) != data_spec[k]]
        if moved:
            raise ConfigMismatchError(
                f"the data under {root} no longer matches the run in {run} ({', '.join(moved)} differ): "
                "resume with the same dataset, or start a new run"
            )
    if verbose:
        print(
            f"training the {model_config.name!r} config on {ds.name} ({train_on}): {len(train_set)} train windows "
            f"from {len(train_clips)} clip(s), {len(val_set)} validation windows from {len(val_clips)} clip(s); "
            f"skipped {data_spec['skipped_repaired_windows']} touching repaired frames"
            + (f", {data_spec['skipped_abnormal_windows']} touching abnormal frames" if skip_abnormal else "")
        )
    torch.manual_seed(settings.seed)
    model = build_model(model_config)
    if resume_from is not None and resume_from["epoch"] >= settings.epochs and verbose:
        print(f"{run} already has {resume_from['epoch']} epochs (>= epochs={settings.epochs}): nothing to train")
    return fit(
        model, train_set, val_set, settings,
        model_config=model_config, run_dir=run, data_spec=data_spec,
        resume_from=resume_from, device=dev, progress=progress, verbose=verbose,
    )  # fmt: skip


def _check_run_folder(run: Path) -> None:
    """Raise before any work when ``run`` (or a folder above it) is a file: the run could not be written."""
    for folder in (run, *run.parents):
        if folder.exists():
            if not folder.is_dir():
                where = "" if folder == run else f", so the run folder {run} cannot be made"
                raise OutputPathError(
                    f"{folder} is a file, not a folder{where}; nothing was trained or written. "
                    "Choose another --out folder (a new one, or a run folder with --resume)"
                )
            return


def _peek_epoch(path: Path) -> str:
    try:
        return f" (epoch {load_checkpoint(path)['epoch']})"
    except CompanionError:
        return ""
