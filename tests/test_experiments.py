"""benchmarks/experiments.py: the hoisted ConvLSTM equals the package's, and a cached benchmark run
is reused only when it is the run asked for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from experiments import hoisted_forward, train_or_reuse  # noqa: E402

from companion.convlstm import ConvLSTM  # noqa: E402
from companion.model import ModelConfig  # noqa: E402

D = torch.float64
TINY = ModelConfig(name="tiny", seq_len=3, height=16, width=16, encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))


@pytest.mark.parametrize("batch_first", [True, False])
def test_hoisted_forward_equals_the_layer(batch_first: bool) -> None:
    torch.manual_seed(0)
    layer = ConvLSTM(2, [3, 4], 3, batch_first=batch_first, peephole=True, forget_bias=1.0).to(D)
    x = torch.randn(2, 5, 2, 6, 5, dtype=D)
    out, states = layer(x)
    out_h, states_h = hoisted_forward(layer, x)
    torch.testing.assert_close(out_h, out, atol=1e-12, rtol=0)
    for (h, c), (hh, ch) in zip(states, states_h):
        torch.testing.assert_close(hh, h, atol=1e-12, rtol=0)
        torch.testing.assert_close(ch, c, atol=1e-12, rtol=0)


def test_a_cached_run_is_reused_only_when_it_is_the_run_asked_for(synth_root: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    facts = train_or_reuse(synth_root, run, config=TINY, clips="1,2", epochs=1, stride=4, seed=0)
    assert facts["clips"] == "1,2" and facts["epochs"] == 1 and facts["cpu_s"] is not None
    stamp = (run / "checkpoint.pt").stat().st_mtime_ns
    assert train_or_reuse(synth_root, run, config=TINY, clips="1,2", epochs=1, stride=4, seed=0) == facts
    assert (run / "checkpoint.pt").stat().st_mtime_ns == stamp  # reused, not retrained
    for other in ({"seed": 1}, {"target": "next"}, {"epochs": 2}):
        with pytest.raises(SystemExit, match="holds another run"):
            train_or_reuse(synth_root, run, config=TINY, clips="1,2", **{"epochs": 1, "stride": 4, "seed": 0, **other})
    with pytest.raises(SystemExit, match="clip_spec"):
        train_or_reuse(synth_root, run, config=TINY, clips="2", epochs=1, stride=4, seed=0)
