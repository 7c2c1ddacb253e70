"""Checkpoints: the file format, writing them safely, reading them back, and the model they hold.

Introduced in notebook 04.

A checkpoint is a plain dict saved with ``torch.save`` and read with ``weights_only=True``:
``format`` (:data:`CHECKPOINT_FORMAT`), ``model_config`` (``ModelConfig.to_dict()``),
``preprocessing`` (how frames become the model's input), ``data`` (which clips trained it),
``settings`` (``TrainSettings.to_dict()``), ``scoring`` (the name of the scoring ``companion evaluate``
uses by default; absent from checkpoints written before it was recorded), ``versions``, ``epoch``, ``history``,
``best_val_loss``, ``model_state``, and, to resume a run exactly, ``optimizer_state``,
``scaler_state`` and ``rng``. A run folder holds ``checkpoint.pt`` (the last epoch),
``best.pt`` (the lowest validation loss) and ``history.json``.
"""

from __future__ import annotations

import codecs
import pickle
import platform
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

import companion
from companion.device import pick_device
from companion.errors import CompanionError, ConfigMismatchError, NotACheckpointError
from companion.model import REMOVED_FIELDS, ModelConfig, build_model
from companion.paths import write_atomic

__all__ = [
    "BEST_NAME",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_NAME",
    "HISTORY_NAME",
    "config_differences",
    "load_checkpoint",
    "load_model",
    "load_weights",
    "preprocessing",
    "save_checkpoint",
    "versions",
    "write_text_atomic",
]

CHECKPOINT_FORMAT = "companion-checkpoint/1"
CHECKPOINT_NAME, BEST_NAME, HISTORY_NAME = "checkpoint.pt", "best.pt", "history.json"


def save_checkpoint(checkpoint: dict[str, Any], path: str | Path) -> Path:
    """Write ``checkpoint`` with ``torch.save`` atomically (:func:`companion.paths.write_atomic`).

    An interruption leaves either the old file or the new one, never half of one.
    """
    return write_atomic(path, lambda f: torch.save(checkpoint, f))


def write_text_atomic(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` atomically (:func:`companion.paths.write_atomic`)."""
    write_atomic(path, lambda f: f.write(text.encode()))


def config_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """``"field: a (checkpoint) != b (given)"`` for every field in which two config dicts differ
    (a field of ``REMOVED_FIELDS`` at its kept value, as older checkpoints store it, counts as absent)."""
    expected, actual = _current(expected), _current(actual)
    out = []
    for key in sorted(set(expected) | set(actual)):
        a, b = expected.get(key, "<absent>"), actual.get(key, "<absent>")
        if _normal(a) != _normal(b):
            out.append(f"{key}: {a!r} (checkpoint) != {b!r} (given)")
    return out


def _current(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not (k in REMOVED_FIELDS and v == REMOVED_FIELDS[k])}


def _normal(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _config_dict(config: ModelConfig | Mapping[str, Any]) -> dict[str, Any]:
    return config.to_dict() if isinstance(config, ModelConfig) else dict(config)


def load_checkpoint(
    path: str | Path, config: ModelConfig | Mapping[str, Any] | None = None, map_location: str | torch.device = "cpu") -> dict[str, Any]:
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
    ckpt = load_checkpoint(path)
    dev = pick_device("auto" if device is None else device, verbose=False)  # quiet: the training notice is not for loading
    config = ModelConfig.from_dict(ckpt["model_config"])
    model = build_model(config)
    load_weights(model, ckpt["model_state"], path)
    return model.to(dev).eval(), ckpt


def load_weights(model: torch.nn.Module, state: dict[str, torch.Tensor], path: Any) -> None:
    """``model.load_state_dict(state)``, or a :class:`ConfigMismatchError` saying what to do."""
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ConfigMismatchError(
            f"the weights in {path} do not fit this model ({'; '.join(first[:3])}); "
            "build the model from the checkpoint's own configuration (load_model)"
        ) from None


def versions() -> dict[str, str]:
    """The versions that wrote a checkpoint (provenance: training is not bit-for-bit the same across them)."""
    return {
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "companion": str(companion.__version__),
        "python": platform.python_version(),
    }


def preprocessing(config: ModelConfig | None, max_inversion: bool) -> dict[str, Any]:
    """How frames become the input of a model of ``config``: what scoring must do again."""
    return {
        "scale": 1 / 255,
        "max_inversion": max_inversion,
        "height": None if config is None else config.height,
        "width": None if config is None else config.width,
        "seq_len": None if config is None else config.seq_len,
    }
