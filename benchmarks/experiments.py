"""What the benchmark scripts share: an experiment the package does not ship, where the real sample
is, and training a run, or reusing the one already there only when it is the run asked for.

- :func:`hoisted_forward` (bench_convlstm.py): a ConvLSTM layer whose input-to-state convolution
  is computed for all T frames in one batched convolution before the time loop, keeping only the
  state-to-state convolution inside it. Same result as ``ConvLSTM.forward``; on a CPU it measured
  no faster (the per-step convolutions of a small bottleneck stay in cache), so the package keeps
  the plain loop. It would save T-1 kernel launches per layer on a GPU.
- :func:`sample_root`: the real UCSD Ped1 sample: ``--root``, else ``$UCSD_PED1_SAMPLE``, else
  ``../shared/data/ucsd-ped1-sample`` next to the repository (as the tests' ``ped1_sample``).
- :func:`train_or_reuse` (real_ped1.py, real_ped1_nested.py): ``companion.train.train``, what
  ``companion train`` runs; a run already in the folder is reused only when its configuration,
  settings, clips and epochs are those asked for.

Measured once and removed from the package as dead ends (their code is in the git history, at
commit fbeb65b, with which benchmarks/real_ped1.py measured them): a residual next-frame decoder
(``residual=True``: collapses to "copy the last frame"), the frame-difference signal
(``signal="absdiff"``: 0.836 micro AUC on the real sample, below flow-next), denoising input noise,
Gaussian score smoothing and PSNR scores (never better than the frame mean and the moving average).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from companion.checkpoints import CHECKPOINT_NAME, load_checkpoint  # noqa: E402
from companion.convlstm import ConvLSTM, State  # noqa: E402
from companion.errors import CompanionError  # noqa: E402
from companion.layout import open_dataset  # noqa: E402
from companion.model import resolve_config  # noqa: E402
from companion.settings import TrainSettings, default_settings, epochs_for  # noqa: E402
from companion.train import CONFIG_OPTIONS, train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def sample_root(given: str | Path | None = None) -> Path:
    """The folder holding the real sample's ``UCSD_Anomaly_Dataset.v1p2/``: ``given``, else
    ``$UCSD_PED1_SAMPLE``, else ``../shared/data/ucsd-ped1-sample`` beside the repository."""
    return Path(given or os.environ.get("UCSD_PED1_SAMPLE") or REPO.parent / "shared" / "data" / "ucsd-ped1-sample")


def add_root_argument(parser: argparse.ArgumentParser) -> None:
    """``--root``: the real sample (default: :func:`sample_root`)."""
    parser.add_argument("--root", type=Path, default=sample_root(),
                        help="the real UCSD Ped1 sample (default: $UCSD_PED1_SAMPLE or ../shared/data/ucsd-ped1-sample)")  # fmt: skip


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------------------------
# the hoisted input convolution


def hoisted_forward(layer: ConvLSTM, x: Tensor, state: list[State | None] | None = None) -> tuple[Tensor, list[State]]:
    """``layer(x, state)`` with each layer's input-to-state convolution hoisted out of the time loop.

    The weights are ``gates.weight`` split into its input and state halves (contiguous copies: a
    convolution with a sliced weight is slow), so the parameters and the result are the layer's own.
    """
    seq = x if layer.batch_first else x.transpose(0, 1)  # (B, T, C, H, W)
    B, T = seq.shape[:2]
    state = state or [None] * layer.num_layers
    last: list[State] = []
    for cell, s in zip(layer.cells, state):
        s = s if s is not None else cell.init_state(seq[:, 0])
        w = cell.gates.weight
        w_x, w_h = w[:, : cell.in_channels].contiguous(), w[:, cell.in_channels :].contiguous()
        gx = F.conv2d(seq.reshape(B * T, *seq.shape[2:]), w_x, cell.gates.bias, padding=cell.padding)
        outs = []
        # unbind, not gx[:, t]: the backward of T selects would zero-fill T full-size buffers
        for g in gx.view(B, T, *gx.shape[1:]).unbind(1):
            s = cell._step(g + F.conv2d(s[0], w_h, None, padding=cell.padding), s[1])
            outs.append(s[0])
        seq = torch.stack(outs, dim=1)
        last.append(s)
    return (seq if layer.batch_first else seq.transpose(0, 1)), last


# --------------------------------------------------------------------------------------------
# runs


def _facts(ckpt: dict[str, Any], timing: dict[str, Any]) -> dict[str, Any]:
    prep, data = ckpt["preprocessing"], ckpt["data"]
    return {
        "cpu_s": timing.get("cpu_s"), "wall_s": timing.get("wall_s", float(sum(ckpt["history"]["seconds"]))),
        "epochs": ckpt["epoch"], "clips": data["clip_spec"], "train_windows": data["train_windows"],
        "val_windows": data["val_windows"], "val_clips": data["val_clips"],
        "size": f"{prep['height']}x{prep['width']}", "seq_len": prep["seq_len"],
    }  # fmt: skip


def train_or_reuse(
    root: Path, out: Path, *, config: str, clips: str | None, train_on: str = "normal-test-frames", dataset: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Train ``config`` on ``clips`` of ``dataset`` into ``out`` with ``companion.train.train`` (on the CPU),
    or reuse the run already in ``out`` when it is exactly that run; its facts (windows, CPU seconds, ...).

    ``options`` are ``train``'s (``seed``, ``target``, ``epochs``, ...). A run in ``out`` that was
    trained another way (or on other data) stops the script: it never stands in for the run asked for.
    """
    wanted_config = dataclasses.replace(resolve_config(config), **{k: v for k, v in options.items() if k in CONFIG_OPTIONS})
    wanted = {
        "settings": default_settings(wanted_config.name, **{k: v for k, v in options.items() if k not in CONFIG_OPTIONS}),
        "clip_spec": clips,
        "train_on": train_on,
        "data": str(open_dataset(root, dataset=dataset).root.resolve()),
    }
    timing_file = out / "facts.json"
    if (out / CHECKPOINT_NAME).exists():
        try:
            ckpt = load_checkpoint(out, config=wanted_config)
            found = {"settings": TrainSettings.from_dict(ckpt["settings"]), "clip_spec": ckpt["data"].get("clip_spec"),
                     "train_on": ckpt["data"].get("train_on"), "data": ckpt["data"].get("root")}  # fmt: skip
        except CompanionError as err:
            raise SystemExit(f"{out} holds another run: {err}. Remove it or choose another --work") from None
        if options.get("epochs") is None:  # train() grows the default epochs on small data (companion.settings.epochs_for)
            grown = epochs_for(wanted_config.name, wanted["settings"].epochs, ckpt["data"]["train_windows"])
            wanted["settings"] = dataclasses.replace(wanted["settings"], epochs=grown)
        differ = [f"{k}: {found[k]} (found) != {wanted[k]} (wanted)" for k in wanted if found[k] != wanted[k]]
        if ckpt["epoch"] != wanted["settings"].epochs:
            differ.append(f"epochs trained: {ckpt['epoch']} (found) != {wanted['settings'].epochs} (wanted)")
        if differ:
            raise SystemExit(f"{out} holds another run ({'; '.join(differ)}). Remove it or choose another --work")
        return _facts(ckpt, json.loads(timing_file.read_text()) if timing_file.exists() else {})
    c0, t0 = cpu_seconds(), time.perf_counter()
    train(root, out, config=config, clips=clips, train_on=train_on, dataset=dataset, device="cpu", progress=False, verbose=False,
          **options)  # fmt: skip
    timing = {"cpu_s": cpu_seconds() - c0, "wall_s": time.perf_counter() - t0}
    timing_file.write_text(json.dumps(timing, indent=2))
    return _facts(load_checkpoint(out), timing)


def run_or_exit_2(run: Any, args: argparse.Namespace, argv: list[str] | None) -> int:
    """``run(args, argv)`` for a benchmark's ``main``: a :class:`CompanionError` (bad input, an output
    that exists) becomes one ``error:`` line and exit status 2, as in the command line."""
    try:
        return run(args, argv if argv is not None else sys.argv[1:])
    except CompanionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
