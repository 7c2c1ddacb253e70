"""Training time of the recommended detector at the size of Ped1's Train split (34 clips x 200 frames of
158x238), on synthetic frames: seconds per epoch, and the projected time of the default epochs against
the 15-minute budget of issue 12 (prints figures and writes them to a JSON file; asserts nothing).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_ped1_size.py [--epochs 2] [--clips 34 --frames 200]
        [--config NAME|FILE.json] [--planned-epochs N]
        [--work _build/bench_ped1_size] [--json benchmarks/results/ped1_size_timing.json]

The frames are generated once into ``--work`` (what ``companion synth OUT --train-clips 34 --test-clips 1
--frames 200 --size 158x238`` writes) and reused by later runs. Each run then trains the recommended
configuration with ``companion.train.train`` (what ``companion train`` runs: its default settings but
``--epochs``, on the CPU, no progress bars, nothing written) with a fresh decoded-frame cache, so the
time before the first epoch (decoding, resizing, the optical flow of every frame) is a first run's.
Projected total = that preparation + the planned epochs (default: the epochs ``companion train``
would train on these windows, ``companion.settings.epochs_for``: 15 for the recommended configuration
on Ped1's Train split) x the mean seconds per timed epoch. ``--config`` times another configuration (a name of
``companion.model.CONFIGS`` or a JSON file, what ``companion train --config`` takes; default the
recommended one). Run it on
an idle machine: the JSON names the machine, its cores, torch's threads and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

from bench_course import machine
from experiments import run_or_exit_2

from companion.errors import CompanionError
from companion.settings import RECOMMENDED_CONFIG, default_settings, epochs_for
from companion.synth import SynthConfig, generate

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 15 * 60
PED1_TRAIN = {"clips": 34, "frames": 200, "height": 158, "width": 238}


def frames_root(work: Path, config: SynthConfig) -> tuple[Path, float]:
    """The synthetic dataset of ``config`` under ``work`` (generated now, or the one generated before),
    and the seconds it took to generate (0 when reused)."""
    out = work / f"synth-{config.train_clips}x{config.frames}-{config.height}x{config.width}-seed{config.seed}"
    root = out / "UCSD_Anomaly_Dataset.v1p2" / "UCSDsynth"
    manifest = root / "synth.json"
    if manifest.is_file() and json.loads(manifest.read_text())["config"] == asdict(config):
        return root, 0.0
    t0 = time.perf_counter()
    generate(out, config)  # refuses a folder that holds anything else
    return root, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed (default 2)")
    parser.add_argument("--clips", type=int, default=PED1_TRAIN["clips"], help="Train clips (default 34, Ped1's)")
    parser.add_argument("--frames", type=int, default=PED1_TRAIN["frames"], help="frames per clip (default 200; at least 30)")
    parser.add_argument("--config", default=RECOMMENDED_CONFIG, help=f"configuration name or JSON file (default {RECOMMENDED_CONFIG})")
    parser.add_argument("--planned-epochs", type=int, default=None, help="epochs the projection counts (default: the configuration's)")
    parser.add_argument("--work", type=Path, default=REPO / "_build" / "bench_ped1_size", help="where the frames are generated")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results" / "ped1_size_timing.json",
                        help="the JSON to write (never overwritten)")  # fmt: skip
    args = parser.parse_args(argv)
    return run_or_exit_2(run, args, argv)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from companion.model import resolve_config
    from companion.train import train

    if args.json.exists():
        raise CompanionError(f"{args.json} already exists and was left untouched: move it away or choose another --json")
    if args.epochs < 1:
        raise CompanionError(f"--epochs must be at least 1, got {args.epochs}")
    config = SynthConfig(seed=0, train_clips=args.clips, test_clips=1, frames=args.frames,
                         height=PED1_TRAIN["height"], width=PED1_TRAIN["width"])  # fmt: skip
    print(f"machine: {machine()}", flush=True)
    root, generate_s = frames_root(args.work, config)
    print(f"frames: {root} ({'generated in %.0f s' % generate_s if generate_s else 'reused'})", flush=True)
    model = resolve_config(args.config)
    with tempfile.TemporaryDirectory(dir=args.work) as cache:
        os.environ["COMPANION_CACHE"] = cache  # a first run: every frame decoded and its flow computed
        t0 = time.perf_counter()
        result = train(root, None, config=model, dataset="synth", epochs=args.epochs, device="cpu",
                       progress=False, verbose=False)  # fmt: skip
        wall = time.perf_counter() - t0
    epochs = [round(s, 2) for s in result.history["seconds"]]
    per_epoch = sum(epochs) / len(epochs)
    prepare = wall - sum(epochs)
    # what `companion train` would train on these windows (epochs_for: more epochs on small data only)
    default_epochs = args.planned_epochs or epochs_for(model.name, default_settings(model.name).epochs, result.data["train_windows"])
    projected = prepare + default_epochs * per_epoch
    report = {
        "machine": machine(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "config": str(args.config), "size": f"{model.height}x{model.width}", "train_clips": args.clips, "frames_per_clip": args.frames,
        "frame_size": f"{config.height}x{config.width}", "ped1_train_size": args.clips == PED1_TRAIN["clips"] and args.frames == PED1_TRAIN["frames"],
        "train_windows": result.data["train_windows"], "val_windows": result.data["val_windows"],
        "generate_s": round(generate_s, 1), "prepare_s": round(prepare, 1), "epoch_s": epochs,
        "seconds_per_epoch": round(per_epoch, 2), "default_epochs": default_epochs, "projected_s": round(projected, 1),
        "budget_s": BUDGET_S, "fits_budget": projected <= BUDGET_S,
        "command": "python benchmarks/bench_ped1_size.py " + " ".join(shlex.quote(a) for a in argv),
    }  # fmt: skip
    print(f"{args.config} ({model.height}x{model.width}) on {args.clips} clips x {args.frames} frames of {report['frame_size']}: "
          f"{result.data['train_windows']} training windows, {result.data['val_windows']} validation windows")  # fmt: skip
    print(f"preparation (decoding, flow) {prepare:.0f} s; {per_epoch:.1f} s per epoch ({', '.join(map(str, epochs))})")
    print(f"projected: {projected:.0f} s for {default_epochs} epochs, "
          f"{'within' if projected <= BUDGET_S else 'OVER'} the {BUDGET_S // 60}-minute budget")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
