"""Training benchmark for the ``cpu`` and ``flow-next`` configurations (prints figures; asserts nothing).

1. Throughput: training steps (forward, backward, Adam) per second on random uint8 windows,
   reported as clips (windows of ``seq_len`` frames) per second, plus forward-only (scoring).
2. A full run of ``companion.train.train`` with the defaults of ``--config`` (``cpu``, or
   ``flow-next``: the same network on optical-flow images, which adds the Farneback flow of
   every training frame) on the synthetic default dataset (``companion.synth.default_dataset()``):
   train/validation loss per epoch and wall time. Target: the loss clearly drops within 3
   minutes on 2 CPU cores.

    .venv/bin/python benchmarks/bench_train.py [--threads 2] [--config flow-next] [--epochs N --lr LR --batch-size B --stride S]

Timings depend on the machine and on whatever else runs on it; compare runs on one machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch


def throughput(config_name: str, batch_size: int, steps: int) -> None:
    from companion.model import CONFIGS, build_model
    from companion.tensors import to_model_input

    cfg = CONFIGS[config_name]
    torch.manual_seed(0)
    model = build_model(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (batch_size, cfg.seq_len, cfg.height, cfg.width), dtype=np.uint8)
    x = to_model_input(batch)

    def step() -> None:
        loss = torch.nn.functional.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    train_s = (time.perf_counter() - t0) / steps
    model.eval()
    with torch.no_grad():
        model(x)
        t0 = time.perf_counter()
        for _ in range(steps):
            model(x)
        fwd_s = (time.perf_counter() - t0) / steps
    print(f"config {config_name}: {cfg}")
    print(f"  {n_params:,} parameters; batch {batch_size} x {cfg.seq_len} frames x {cfg.height}x{cfg.width}")
    print(f"  training: {batch_size / train_s:7.1f} clips/s ({train_s * 1000:.0f} ms per batch)")
    print(f"  scoring:  {batch_size / fwd_s:7.1f} clips/s ({fwd_s * 1000:.0f} ms per batch, no grad)")


def full_run(args: argparse.Namespace) -> None:
    from companion.settings import default_settings
    from companion.synth import default_dataset
    from companion.train import train

    root = default_dataset()
    settings = default_settings(
        args.config, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, stride=args.stride, seed=args.seed
    )
    print(f"\nfull run on {root}: {settings}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = train(
            root, f"{tmp}/run", config=args.config, dataset="synth", epochs=settings.epochs, lr=settings.lr,
            batch_size=settings.batch_size, stride=settings.stride, seed=settings.seed, progress=False,
        )  # fmt: skip
        wall = time.perf_counter() - t0
    h = result.history
    print("epoch  train loss   val loss   seconds  clips/s")
    for e, tl, vl, s, w in zip(h["epoch"], h["train_loss"], h["val_loss"], h["seconds"], h["windows_per_second"]):
        print(f"{e:5d}  {tl:10.5f}  {vl if vl is None else f'{vl:9.5f}'}  {s:8.1f}  {w:7.1f}")
    first, last = h["val_loss"][0], h["val_loss"][-1]
    print(f"wall time {wall:.1f} s (including data loading) on {torch.get_num_threads()} threads")
    if first and last:
        print(f"validation loss {first:.5f} -> {last:.5f} ({last / first:.2f}x the first epoch's)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--steps", type=int, default=10, help="batches timed for throughput")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-run", action="store_true")
    p.add_argument("--config", default="cpu", choices=["cpu", "flow-next"], help="configuration of the full run")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--stride", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.skip_throughput:
        from companion.settings import default_settings

        throughput("cpu", args.batch_size or default_settings("cpu").batch_size, args.steps)
    if not args.skip_run:
        full_run(args)


if __name__ == "__main__":
    main()
