"""Choosing where the model runs: CUDA, then Apple MPS, then the CPU, and saying which.

Introduced in notebook 04.
"""

from __future__ import annotations

import torch

from companion.errors import CompanionError

__all__ = ["DeviceUnavailableError", "mps_available", "pick_device"]


class DeviceUnavailableError(CompanionError):
    """The requested device (e.g. ``cuda``) is not available on this machine."""


def mps_available() -> bool:
    """Whether Apple's Metal (MPS) backend can be used."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(prefer: str | torch.device = "auto", verbose: bool = True) -> torch.device:
    """The device to train on, with a one-line notice saying which and why.

    ``prefer="auto"`` takes CUDA, then Apple MPS, then the CPU (and says that training will be
    slower). ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"cpu"`` ask for one explicitly; asking for a
    device this machine lacks raises :class:`DeviceUnavailableError`. Introduced in notebook 04.
    """
    choice = str(prefer).strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
            note = f"Using CUDA: {_cuda_name(device)}."
        elif mps_available():
            device = torch.device("mps")
            note = "Using Apple MPS (Metal) GPU."
        else:
            device = torch.device("cpu")
            note = "Using CPU: no CUDA or MPS device found; training will be slower."
    else:
        try:
            device = torch.device(choice)
        except (RuntimeError, ValueError):
            raise DeviceUnavailableError(
                f"unknown device {prefer!r}: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
            ) from None
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise DeviceUnavailableError(
                    "CUDA was requested but this PyTorch build sees no CUDA GPU "
                    f"(torch {torch.__version__}); use --device auto or cpu, or install a CUDA build of torch"
                )
            count = torch.cuda.device_count()
            if device.index is not None and device.index >= count:
                raise DeviceUnavailableError(
                    f"{device} was requested but only {count} CUDA device(s) exist (cuda:0..cuda:{count - 1})"
                )
            note = f"Using CUDA: {_cuda_name(device)} (requested)."
        elif device.type == "mps":
            if not mps_available():
                raise DeviceUnavailableError(
                    "Apple MPS was requested but is not available here (it needs Apple silicon and macOS 12.3+); "
                    "use --device auto or cpu"
                )
            note = "Using Apple MPS (Metal) GPU (requested)."
        elif device.type == "cpu":
            note = "Using CPU (requested)."
        else:
            raise DeviceUnavailableError(f"unsupported device {prefer!r}: use 'auto', 'cpu', 'cuda' or 'mps'")
    if verbose:
        print(note, flush=True)
    return device


def _cuda_name(device: torch.device) -> str:
    try:
        return f"{torch.cuda.get_device_name(device)} ({device})"
    except Exception:  # a mocked or odd CUDA set-up: the notice must not fail
        return str(device)
