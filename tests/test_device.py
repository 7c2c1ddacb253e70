"""pick_device: CUDA, then MPS, then CPU, with a notice (notebook 04)."""

from __future__ import annotations

import pytest
import torch

import companion.device as device_mod
from companion.device import DeviceUnavailableError, pick_device
from companion.errors import CompanionError


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_mod, "mps_available", lambda: False)


def test_auto_falls_back_to_cpu_with_notice(no_gpu, capsys) -> None:
    assert pick_device() == torch.device("cpu")
    out = capsys.readouterr().out.strip()
    assert out == "Using CPU: no CUDA or MPS device found; training will be slower."


def test_auto_prefers_cuda_then_mps(monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Fake GPU")
    assert pick_device("auto") == torch.device("cuda")
    assert "Using CUDA: Fake GPU" in capsys.readouterr().out
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_mod, "mps_available", lambda: True)
    assert pick_device("auto") == torch.device("mps")
    assert "MPS" in capsys.readouterr().out


def test_explicit_cuda_or_mps_absent_is_a_clear_error(no_gpu) -> None:
    with pytest.raises(DeviceUnavailableError, match="CUDA was requested") as info:
        pick_device("cuda")
    assert isinstance(info.value, CompanionError)
    with pytest.raises(DeviceUnavailableError, match="MPS was requested"):
        pick_device("mps")
    with pytest.raises(DeviceUnavailableError, match="unknown device"):
        pick_device("tpu-please")


def test_explicit_cpu_and_quiet(no_gpu, capsys) -> None:
    assert pick_device("cpu", verbose=False) == torch.device("cpu")
    assert capsys.readouterr().out == ""
    assert pick_device(torch.device("cpu")) == torch.device("cpu")
    assert "requested" in capsys.readouterr().out
