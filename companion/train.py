"""Training: one epoch (:func:`train_epoch`), the loop around it (:func:`fit`), the command (:func:`train`).

Introduced in notebook 04. ``train(...)`` is what the notebook and ``companion train`` call: it
reads the cached uint8 clips, cuts them into sliding windows, holds whole clips out for
validation, trains with MSE and Adam, and writes ``RUN/checkpoint.pt`` (every epoch, atomically),
``RUN/best.pt`` (lowest validation loss) and ``RUN/history.json``. ``fit(...)`` runs
:func:`train_epoch` and :func:`validation_loss` once per epoch, with checkpoints and exact resume
around them, for any model and window datasets. Same seed, same CPU: same weights, whether or not
the run was interrupted and resumed. The settings are :mod:`companion.settings`'s, the file format
:mod:`companion.checkpoints`'s, and what the loss compares :mod:`companion.task`'s.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from companion.cache import load_clip
from companion.checkpoints import (
    BEST_NAME,
    CHECKPOINT_FORMAT,
    CHECKPOINT_NAME,
    HISTORY_NAME,
    config_differences,
    load_checkpoint,
    load_weights,
    preprocessing,
    save_checkpoint,
    versions,
    write_text_atomic,
)
from companion.device import pick_device
from companion.errors import CompanionError, ConfigMismatchError, OutputPathError
from companion.layout import DATASETS, open_dataset
from companion.model import ModelConfig, build_model, resolve_config
from companion.settings import TRAIN_ON, TrainSettings, default_settings, epochs_for, recommended_scoring
from companion.task import compared, config_of, model_input, model_view
from companion.tensors import ClipLike, ClipSlice, WindowDataset

__all__ = [
    "CONFIG_OPTIONS",
    "NOT_PAPER_PROTOCOL",
    "TRAIN_ON",
    "RunExistsError",
    "StepCost",
    "TrainResult",
    "TrainingDivergedError",
    "batch_loss",
    "fit",
    "split_validation",
    "time_training_step",
    "train",
    "train_epoch",
    "validation_loss",
]

NOT_PAPER_PROTOCOL = (
    "NOT the paper protocol: trained on the ground-truth-normal frames of TEST clips (the paper trains on "
    "the Train clips only); scores on these same clips are optimistic and not comparable with published results"
)
#: Options of :func:`train` that change the model configuration; its other options are settings.
CONFIG_OPTIONS = ("recurrent", "target")
_SETTING_OPTIONS = tuple(f.name for f in dataclasses.fields(TrainSettings))


class RunExistsError(CompanionError):
    """The run folder already holds a checkpoint and ``resume`` was not asked for."""


class TrainingDivergedError(CompanionError):
    """The loss became NaN or infinite: training stopped."""


@dataclass
class TrainResult:
    """What :func:`train` and :func:`fit` return."""

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
# the loop


def _rng_state(shuffle_gen: torch.Generator) -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "shuffle": shuffle_gen.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any], shuffle_gen: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    shuffle_gen.set_state(state["shuffle"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def batch_loss(
    model: torch.nn.Module, xb: torch.Tensor, device: torch.device, config: ModelConfig | None,
    invert: bool = False, amp: bool = False,
) -> torch.Tensor:
    """The mean squared error of a batch of uint8 windows ``(B, T, H, W)`` on the objective of ``config``.

    Forward pass (in float16 under ``amp``, CUDA's mixed precision), then the output compared with
    what :func:`companion.task.compared` says: the window itself, or each next frame. Introduced
    in notebook 04.
    """
    x = model_input(xb, device, invert)  # uint8 -> float (B, T, 1, H, W) in [0, 1], on the device
    with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp):
        out = model(x)
    prediction, target, _ = compared(out.float(), x, config)
    return F.mse_loss(prediction, target)


def train_epoch(
    model: torch.nn.Module, batches: Iterable[torch.Tensor], optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler, device: torch.device, config: ModelConfig | None, invert: bool = False,
) -> tuple[float, int]:
    """One pass over the training batches: forward, loss, backward, optimizer step.

    Returns the mean loss over the epoch's windows and their number. ``scaler`` scales the loss
    under CUDA's mixed precision (a disabled scaler leaves it as it is). A NaN or infinite loss
    raises ``FloatingPointError(loss, batch number)``. Introduced in notebook 04.
    """
    model.train()
    total, n = 0.0, 0
    for step, xb in enumerate(batches, 1):
        loss = batch_loss(model, xb, device, config, invert, scaler.is_enabled())
        if not math.isfinite(loss.item()):
            raise FloatingPointError(loss.item(), step)
        optimizer.zero_grad(set_to_none=True)  # forget the previous batch's gradients
        scaler.scale(loss).backward()  # gradients of the loss with respect to every weight
        scaler.step(optimizer)  # one Adam step
        scaler.update()
        total += loss.item() * len(xb)
        n += len(xb)
    return total / n, n


def validation_loss(
    model: torch.nn.Module, batches: Iterable[torch.Tensor] | None, device: torch.device, config: ModelConfig | None,
    invert: bool = False, amp: bool = False,
) -> float | None:
    """Mean loss over the validation windows, on the training objective, without gradients (None without any).

    Introduced in notebook 04.
    """
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for xb in batches or []:
            total += batch_loss(model, xb, device, config, invert, amp).item() * len(xb)
            n += len(xb)
    model.train()
    return total / n if n else None


@dataclass(frozen=True)
class StepCost:
    """What :func:`time_training_step` measured: the ``seconds`` of one step and, on CUDA, the
    ``peak_bytes`` of GPU memory allocated (None on other devices)."""

    seconds: float
    peak_bytes: int | None


def time_training_step(
    config: str | ModelConfig, batch_size: int = 8, device: str | torch.device = "cuda", repeats: int = 4, seed: int = 0
) -> StepCost:
    """Time one training step of a fresh model of ``config`` on a batch of random windows.

    A step is what training runs: :func:`train_epoch` over one batch (forward, loss, backward, an
    Adam step with learning rate 1e-4), in float32. The first steps pay for kernel selection, so
    ``repeats`` steps run and the last one is timed (the device synchronised around it). The peak
    memory counts from before the first step. Introduced in notebook 04.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    device = torch.device(device)
    cuda = device.type == "cuda"
    torch.manual_seed(seed)
    model = build_model(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=False)
    cfg = model.config
    xb = torch.randint(0, 256, (batch_size, cfg.seq_len, cfg.height, cfg.width), dtype=torch.uint8)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        train_epoch(model, [xb], optimizer, scaler, device, cfg)
        if cuda:
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - t0
    return StepCost(seconds, torch.cuda.max_memory_allocated(device) if cuda else None)


def fit(
    model: torch.nn.Module,
    train_set: torch.utils.data.Dataset,
    val_set: torch.utils.data.Dataset | None = None,
    settings: TrainSettings | None = None,
    *,
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    run_dir: str | Path | None = None,
    data_spec: dict[str, Any] | None = None,
    resume_from: dict[str, Any] | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    verbose: bool = True,
) -> TrainResult:
    """Train ``model`` on the windows of ``train_set`` (uint8 ``(T, H, W)`` items).

    What the loss compares (reconstruct the window, or predict the next frame) is decided once,
    by :func:`companion.task.compared` for ``model_config`` (else ``model.config``), for training
    and validation alike. MSE loss, Adam (``settings.lr``), shuffled batches from a seeded
    generator (``num_workers=0``), mixed precision on CUDA. Each epoch ends with the mean
    validation loss; with ``run_dir`` it also writes ``checkpoint.pt`` (atomically), ``best.pt``
    when validation improves and ``history.json``, each recording how the run is scored by default
    (``scoring``: :func:`companion.settings.recommended_scoring` of the configuration's name). ``resume_from`` (a checkpoint dict) restores
    weights, optimizer, history and random states, so the run continues exactly as if it had
    never stopped. A NaN or infinite loss raises :class:`TrainingDivergedError`; the last good
    checkpoint is kept. The caller seeds and builds the model (``torch.manual_seed(settings.seed)``
    first: :func:`train` does). Introduced in notebook 04.
    """
    settings = settings or TrainSettings()
    dev = device if isinstance(device, torch.device) else pick_device(device, verbose=verbose)
    amp = dev.type == "cuda"
    config = config_of(model, None if model_config is None else resolve_config(model_config))
    run = Path(run_dir) if run_dir is not None else None

    if len(train_set) == 0:
        raise CompanionError(
            "no training windows: the clips are shorter than the window, or every window touches a repaired "
            "or abnormal frame; choose more clips or a shorter seq_len"
        )
    model.to(dev).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    shuffle_gen = torch.Generator().manual_seed(settings.seed)
    history: dict[str, list] = {"epoch": [], "train_loss": [], "val_loss": [], "seconds": [], "windows_per_second": []}
    best_val = math.inf
    start_epoch = 0
    if resume_from is not None:
        load_weights(model, resume_from["model_state"], "the checkpoint")
        optimizer.load_state_dict(resume_from["optimizer_state"])
        if amp and resume_from.get("scaler_state"):
            scaler.load_state_dict(resume_from["scaler_state"])
        history = {k: list(v) for k, v in resume_from["history"].items()}
        best_val = resume_from.get("best_val_loss") or math.inf
        start_epoch = int(resume_from["epoch"])
        _set_rng_state(resume_from["rng"], shuffle_gen)

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
        "model_config": {} if config is None else config.to_dict(),
        "preprocessing": preprocessing(config, settings.max_inversion),
        "data": data_spec or {},
        "settings": settings.to_dict(),
        "scoring": recommended_scoring(None if config is None else config.name),
        "versions": versions(),
    }
    t_run = time.perf_counter()
    epoch = start_epoch
    for epoch in range(start_epoch + 1, settings.epochs + 1):
        t0 = time.perf_counter()
        bar = tqdm(loader, desc=f"epoch {epoch}/{settings.epochs}", disable=not progress, leave=False, unit="batch")
        try:
            train_loss, n = train_epoch(model, bar, optimizer, scaler, dev, config, settings.max_inversion)
        except FloatingPointError as error:
            value, step = error.args
            kept = f"; the last good checkpoint (epoch {epoch - 1}) is kept in {run}" if run and epoch > 1 else ""
            raise TrainingDivergedError(
                f"the loss became {value} at epoch {epoch}, batch {step} (lr={settings.lr:g}): training "
                f"stopped{kept}. Lower the learning rate (--lr) or check the input data."
            ) from None
        finally:
            bar.close()
        val_loss = validation_loss(model, val_loader, dev, config, settings.max_inversion, amp)
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
                "scaler_state": scaler.state_dict() if amp else None,
                "rng": _rng_state(shuffle_gen),
            }
            save_checkpoint(ckpt, run / CHECKPOINT_NAME)
            if improved:
                save_checkpoint(ckpt, run / BEST_NAME)
            summary = {k: v for k, v in base.items() if k != "format"}
            text = json.dumps({**summary, "epoch": epoch, "best_val_loss": ckpt["best_val_loss"], "history": history}, indent=2)
            write_text_atomic(text + "\n", run / HISTORY_NAME)
    return TrainResult(
        model=model,
        history=history,
        device=dev,
        epochs=max(epoch, start_epoch),
        seconds=time.perf_counter() - t_run,
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
    """Hold whole clips out for validation: ``(train_clips, val_clips)``.

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


def _training_data(
    root: str | Path, dataset: str | None, train_on: str, clips: str | None, config: ModelConfig, settings: TrainSettings,
    verbose: bool,
) -> tuple[WindowDataset, WindowDataset, dict[str, Any]]:
    """The training and validation windows of the chosen clips, as the model sees them, and what they are."""
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
    loaded = [load_clip(c, size=(config.height, config.width)) for c in chosen]
    loaded = [dataclasses.replace(c, frames=model_view(c.frames, config)) for c in loaded]
    train_clips, val_clips = split_validation(loaded, train_on, settings.val_fraction)
    skip_abnormal = train_on == "normal-test-frames"
    train_set = WindowDataset(train_clips, config.seq_len, settings.stride, skip_abnormal=skip_abnormal)
    val_set = WindowDataset(val_clips, config.seq_len, settings.stride, skip_abnormal=skip_abnormal)
    spec = {
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
    if verbose:
        print(
            f"training the {config.name!r} config on {ds.name} ({train_on}): {len(train_set)} train windows "
            f"from {len(train_clips)} clip(s), {len(val_set)} validation windows from {len(val_clips)} clip(s); "
            f"skipped {spec['skipped_repaired_windows']} touching repaired frames"
            + (f", {spec['skipped_abnormal_windows']} touching abnormal frames" if skip_abnormal else "")
        )
    return train_set, val_set, spec


# --------------------------------------------------------------------------------------------
# the command


def train(
    root: str | Path,
    out: str | Path | None,
    *,
    config: str | ModelConfig | None = None,
    dataset: str | None = None,
    train_on: str | None = None,
    clips: str | None = None,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    verbose: bool = True,
    **options: Any,
) -> TrainResult:
    """Train the ConvLSTM autoencoder on a UCSD-layout dataset; what ``companion train`` runs.

    ``config`` is a name of ``companion.model.CONFIGS`` (default ``"cpu"``), a ``.json`` file or a
    ``ModelConfig`` (:func:`companion.model.resolve_config`). ``train_on="train"`` uses the Train
    clips (the paper protocol); ``"normal-test-frames"`` uses the ground-truth-normal frames of
    the chosen Test clips (labelled NOT the paper protocol). ``clips`` selects clips ("1-8,17").
    ``out`` is the run folder; an existing checkpoint there is never overwritten unless
    ``resume=True``, which continues the run up to ``epochs`` in total (``out=None``: nothing is
    written). Without ``epochs``, a configuration of :data:`companion.settings.EPOCH_BUDGETS` trains
    more epochs on small data (:func:`companion.settings.epochs_for`). ``options`` are
    :class:`companion.settings.TrainSettings` fields (``epochs``,
    ``batch_size``, ``lr``, ``stride``, ``max_inversion``, ``seed``, ``val_fraction``; left out or
    None: the configuration's defaults) and :data:`CONFIG_OPTIONS`, which change the
    configuration: ``recurrent=False`` (the ablation without memory), ``target="next"`` (predict
    the next frame, notebook 06). With ``resume=True`` everything left out is the run's own, and
    what is given must agree with it. Introduced in notebook 04.
    """
    unknown = sorted(set(options) - set(_SETTING_OPTIONS) - set(CONFIG_OPTIONS))
    if unknown:
        raise CompanionError(f"train() got unknown options {unknown}; it takes {', '.join(_SETTING_OPTIONS + CONFIG_OPTIONS)}")
    settings_given = {k: v for k, v in options.items() if k in _SETTING_OPTIONS and v is not None}
    config_given = {k: v for k, v in options.items() if k in CONFIG_OPTIONS and v is not None}
    run = Path(out) if out is not None else None
    if run is not None:
        _check_run_folder(run)  # first: a run that could not be written fails before anything else
    dev = pick_device(device, verbose=verbose)  # then a missing GPU fails before any data is read
    resume_from = _resume_point(run, resume)
    if resume_from is not None:
        choice = {"dataset": _dataset_name(dataset), "train_on": train_on, "clip_spec": clips}
        _refuse_clashes(run, resume_from, config, config_given, settings_given, choice)
        model_config = ModelConfig.from_dict(resume_from["model_config"])
        stored = TrainSettings.from_dict(resume_from["settings"])
        settings = dataclasses.replace(stored, epochs=settings_given.get("epochs", stored.epochs))
        data = resume_from["data"]
        dataset = {v: k for k, v in DATASETS.items()}.get(data.get("dataset"), data.get("dataset"))
        train_on, clips = data.get("train_on"), data.get("clip_spec")
        root = root if root is not None else data.get("root")
    else:
        model_config = dataclasses.replace(resolve_config(config), **config_given)
        settings = default_settings(model_config.name, **settings_given)
    train_on = train_on or "train"
    if train_on not in TRAIN_ON:
        raise CompanionError(f"train_on must be one of {', '.join(TRAIN_ON)}, got {train_on!r}")
    if settings.max_inversion and model_config.signal != "frames":
        raise ConfigMismatchError(
            f"max-inversion flips grey levels; it means nothing for the {model_config.signal!r} signal of the "
            f"{model_config.name!r} config: drop --max-inversion (or train a model of frames, e.g. --config cpu)"
        )
    train_set, val_set, data_spec = _training_data(root, dataset, train_on, clips, model_config, settings, verbose)
    if resume_from is None and "epochs" not in settings_given:
        grown = epochs_for(model_config.name, settings.epochs, data_spec["train_windows"])
        if grown != settings.epochs and verbose:
            print(f"{data_spec['train_windows']} training windows: {grown} epochs instead of {settings.epochs} "
                  f"(small data trains longer: companion.settings.EPOCH_BUDGETS; --epochs N to choose)")  # fmt: skip
        settings = dataclasses.replace(settings, epochs=grown)
    if resume_from is not None:
        old = resume_from["data"]
        moved = [k for k in ("clips", "train_windows", "val_windows") if old.get(k) != data_spec[k]]
        if moved:
            raise ConfigMismatchError(
                f"the data under {root} no longer matches the run in {run} ({', '.join(moved)} differ): "
                "resume with the same dataset, or start a new run"
            )
        if resume_from["epoch"] >= settings.epochs and verbose:
            print(f"{run} already has {resume_from['epoch']} epochs (>= epochs={settings.epochs}): nothing to train")
    torch.manual_seed(settings.seed)
    model = build_model(model_config)
    return fit(
        model, train_set, val_set, settings,
        model_config=model_config, run_dir=run, data_spec=data_spec,
        resume_from=resume_from, device=dev, progress=progress, verbose=verbose,
    )  # fmt: skip


def _dataset_name(dataset: str | None) -> str | None:
    """The dataset folder's name (``UCSDped1``) for a ``--dataset`` value (``ped1``)."""
    return None if dataset is None else DATASETS.get(dataset.lower().removeprefix("ucsd"), dataset)


def _resume_point(run: Path | None, resume: bool) -> dict[str, Any] | None:
    """The checkpoint to continue (``resume=True``), else None; refuses to overwrite a run or to resume nothing."""
    ckpt_path = run / CHECKPOINT_NAME if run is not None else None
    if not resume:
        if ckpt_path is not None and ckpt_path.exists():
            raise RunExistsError(
                f"{run} already holds a checkpoint{_peek_epoch(ckpt_path)}; nothing was overwritten. Pass --resume "
                "(resume=True) to continue that run, or choose another --out folder"
            )
        return None
    if ckpt_path is None or not ckpt_path.exists():
        raise CompanionError(f"nothing to resume: {ckpt_path or 'out=None'} does not exist; drop --resume to start a run")
    return load_checkpoint(ckpt_path)


def _refuse_clashes(
    run: Path | None, ckpt: Mapping[str, Any], config: Any, config_given: dict[str, Any], settings_given: dict[str, Any],
    choice: dict[str, Any],
) -> None:
    """Raise when a resumed run is given a configuration, settings or data other than its own (``epochs`` may grow)."""
    given = {
        "model_config": {} if config is not None else config_given,
        "settings": {k: v for k, v in settings_given.items() if k != "epochs"},
        "data": {k: v for k, v in choice.items() if v is not None},
    }
    clash = [
        f"{key}: {ckpt[part].get(key)!r} (checkpoint) != {value!r} (given)"
        for part, values in given.items()
        for key, value in values.items()
        if value != ckpt[part].get(key)
    ]
    if config is not None:
        wanted = dataclasses.replace(resolve_config(config), **config_given)
        clash += config_differences(ckpt["model_config"], wanted.to_dict())
    if clash:
        raise ConfigMismatchError(
            f"--resume continues {run} with its own settings, but these differ: " + "; ".join(clash)
            + ". Drop them (or start a new run in another folder)"
        )


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
