"""Shared fixtures: the real Ped1 sample (skipped when absent) and a tiny synthetic dataset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# One thread: the tests' tensors are tiny, and CI's two cores are steadier without oversubscription.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("UCSD_PED1_SAMPLE") or REPO.parent / "shared" / "data" / "ucsd-ped1-sample")


@pytest.fixture(scope="session")
def ped1_sample() -> Path:
    """Folder holding the real UCSD_Anomaly_Dataset.v1p2/ sample; skips the test when absent."""
    if not (SAMPLE / "UCSD_Anomaly_Dataset.v1p2").is_dir():
        pytest.skip(f"real UCSD Ped1 sample not found at {SAMPLE}; set UCSD_PED1_SAMPLE to its folder")
    return SAMPLE


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's caches out of the user's ~/.cache (one cache for the whole session)."""
    monkeypatch.setenv("COMPANION_CACHE", str(tmp_path_factory.getbasetemp() / "companion-cache"))


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic UCSD-layout dataset (seed 0); returns its UCSDsynth/ folder."""
    from companion.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("synth")
    return generate(out, SynthConfig(seed=0, train_clips=2, test_clips=2, frames=40))
