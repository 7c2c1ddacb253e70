"""Speed of the ConvLSTM cell and layer: prints a table, asserts nothing.

    .venv/bin/python benchmarks/bench_convlstm.py [--device cpu|cuda] [--threads N] [--rounds R]

Takes a minute or two on one CPU thread; --threads 2 uses both cores of the course machine.

Every figure is forward + backward over a whole sequence (T steps, batch B), the median over
``--rounds`` interleaved rounds (each round times every variant once, so a load spike from
another process hits all variants alike). Variants, per shape:

  naive8    a cell with eight separate convolutions (W_x* and W_h* per gate), as the paper writes it
  fused     companion.convlstm.ConvLSTMCell: one convolution over cat[x, h] -> 4*hidden
  conv      one plain Conv2d(in+hidden -> 4*hidden) per step, nothing else: the ceiling a
            per-step cell cannot beat (the cell adds the concatenation and the gate arithmetic)
  layer     ConvLSTM, per-step cell
  hoisted   the same layer with the input-to-state convolution for all T frames in one batched
            convolution before the loop, only W_h * h inside it (benchmarks/experiments.py: measured
            no faster on a CPU, so the package keeps the per-step cell)

Then the whole model of the "cpu" configuration (and its non-recurrent ablation): forward +
backward of an MSE loss on a batch of 8 windows, on ONE thread (the notebooks' target: well
under 0.1 s).

Printed ratios: fused vs naive8 (speed-up), conv/fused (the cell's share of the ceiling; 1.0 =
no overhead), layer/hoisted (speed-up from hoisting).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils import benchmark

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments import hoisted_forward  # noqa: E402

from companion.convlstm import ConvLSTM, ConvLSTMCell  # noqa: E402
from companion.model import build_model, count_parameters  # noqa: E402

# (label, B, T, in, hidden, H, W): the bottlenecks of the model configurations (companion.model)
SHAPES = [
    ("cpu       B8 T8 32->32 16x24", 8, 8, 32, 32, 16, 24),
    ("report    B4 T5 64->64 16x16", 4, 5, 64, 64, 16, 16),
    ("keras     B2 T10 64->64 28x28", 2, 10, 64, 64, 28, 28),
]


class NaiveCell(nn.Module):
    """The ConvLSTM cell with one convolution per weight matrix of the paper (eight in all)."""

    def __init__(self, cin: int, hid: int, k: int = 3) -> None:
        super().__init__()
        p = k // 2
        self.wx = nn.ModuleList(nn.Conv2d(cin, hid, k, padding=p) for _ in range(4))
        self.wh = nn.ModuleList(nn.Conv2d(hid, hid, k, padding=p, bias=False) for _ in range(4))

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        i, f, g, o = (wx(x) + wh(h) for wx, wh in zip(self.wx, self.wh))
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


def _cell_seq(cell: nn.Module, x: Tensor, hid: int) -> Callable[[], None]:
    def run() -> None:
        B, _, _, H, W = x.shape
        h = c = x.new_zeros(B, hid, H, W)
        outs = []
        for x_t in x.unbind(1):
            h, c = cell(x_t, (h, c))
            outs.append(h)
        torch.stack(outs, 1).sum().backward()

    return run


def _conv_seq(conv: nn.Conv2d, xh: Tensor) -> Callable[[], None]:
    def run() -> None:
        sum(conv(xh_t).sum() for xh_t in xh.unbind(1)).backward()

    return run


def _layer_seq(layer: ConvLSTM, x: Tensor, forward: Callable = ConvLSTM.forward) -> Callable[[], None]:
    def run() -> None:
        forward(layer, x)[0].sum().backward()

    return run


def _time(fn: Callable[[], None], number: int) -> float:
    t = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return t.timeit(number).median


def bench_shape(shape: tuple, device: torch.device, rounds: int) -> dict[str, float]:
    label, B, T, cin, hid, H, W = shape
    torch.manual_seed(0)
    x = torch.rand(B, T, cin, H, W, device=device, requires_grad=True)
    xh = torch.rand(B, T, cin + hid, H, W, device=device, requires_grad=True)
    layer = ConvLSTM(cin, hid, 3).to(device)
    variants = {
        "naive8": _cell_seq(NaiveCell(cin, hid).to(device), x, hid),
        "fused": _cell_seq(ConvLSTMCell(cin, hid, 3).to(device), x, hid),
        "conv": _conv_seq(nn.Conv2d(cin + hid, 4 * hid, 3, padding=1).to(device), xh),
        "layer": _layer_seq(layer, x),
        "hoisted": _layer_seq(layer, x, hoisted_forward),
    }

    # warm-up, and pick `number` so that one measurement takes about 0.1 s
    number = {}
    for name, fn in variants.items():
        for _ in range(3):
            fn()
        one = _time(fn, 1)
        number[name] = max(1, int(0.1 / max(one, 1e-6)))
    results: dict[str, list[float]] = {n: [] for n in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            results[name].append(_time(fn, number[name]))
    return {n: statistics.median(v) for n, v in results.items()}


def bench_model(device: torch.device, rounds: int, batch: int = 8) -> None:
    """Forward + backward of the "cpu" model and its ablation on one thread (CPU) or the GPU."""
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    print(f"\nmodel 'cpu', batch {batch}, forward+backward of an MSE loss ({'1 CPU thread' if device.type == 'cpu' else device})")
    print(f"  {'':32s}{'wall ms':>9s}{'CPU ms':>9s}   {'parameters':>9s}")
    for recurrent in (True, False):
        torch.manual_seed(0)
        model = build_model("cpu", recurrent=recurrent).to(device)
        x = torch.rand(batch, *model.config.input_shape, device=device)

        def run() -> None:
            torch.nn.functional.mse_loss(model(x), x).backward()

        for _ in range(3):
            run()
        ms = statistics.median(_time(run, 3) for _ in range(rounds)) * 1e3
        cpu_ms = []  # CPU time of this thread: what the run costs when the core is not shared
        for _ in range(rounds):
            t0 = time.thread_time()
            run()
            cpu_ms.append((time.thread_time() - t0) * 1e3)
        label = "ConvLSTM autoencoder" if recurrent else "2D ablation (recurrent=False)"
        cpu = f"{statistics.median(cpu_ms):9.1f}" if device.type == "cpu" else f"{'-':>9s}"
        print(f"  {label:32s}{ms:9.1f}{cpu}   {count_parameters(model):>9,d}", flush=True)
    torch.set_num_threads(threads)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    ap.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads (default 1: on a shared machine extra OpenMP threads make figures erratic)",
    )
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median is printed")
    args = ap.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        ap.error("--device cuda but torch.cuda.is_available() is False")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU thread(s)"
    print(f"torch {torch.__version__}, {name}; forward+backward over T steps, median of {args.rounds} rounds, ms")
    cols = ["naive8", "fused", "conv", "layer", "hoisted"]
    head = f"{'shape':32s}" + "".join(f"{c:>9s}" for c in cols)
    head += f"{'fused/naive8':>14s}{'conv/fused':>12s}{'hoist gain':>12s}"
    print(head)
    print("-" * len(head))
    for shape in SHAPES:
        r = bench_shape(shape, device, args.rounds)
        row = f"{shape[0]:32s}" + "".join(f"{r[c] * 1e3:9.2f}" for c in cols)
        row += f"{r['naive8'] / r['fused']:13.2f}x{r['conv'] / r['fused']:11.0%} {r['layer'] / r['hoisted']:10.2f}x"
        print(row, flush=True)
    print(
        "fused/naive8: speed-up of one fused convolution over eight; conv/fused: the cell's speed as a share "
        "of one plain conv per step (the ceiling); hoist gain: per-step layer time / hoisted layer time."
    )
    bench_model(device, args.rounds)


if __name__ == "__main__":
    main()
