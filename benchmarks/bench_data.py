"""Data-layer benchmark: decode and cache speed, and memory of a cached set (prints figures; asserts nothing).

    .venv/bin/python benchmarks/bench_data.py [ROOT]

ROOT defaults to the real Ped1 sample (``$UCSD_PED1_SAMPLE`` or ``../shared/data/ucsd-ped1-sample``);
without it, a synthetic dataset is generated into a temporary folder. The cache is a temporary
``COMPANION_CACHE``, so the first pass really decodes.

1. Frames per second of ``load_clip`` over every clip: first pass (strict decode + integrity
   check + write the cache) and cached reload, at native size and at 64x96 (first pass at 64x96
   = decode + area resize, on a fresh cache).
2. Memory of the same frames as our uint8 cache versus the float64 arrays of the Keras seed
   project (10-frame clips at 224x224: non-overlapping as it built them, and stride-1 windows
   if materialised), plus the same figures scaled to the 6800 frames of Ped1's training set.

Timings depend on the machine and on whatever else runs on it; compare runs on one machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments import sample_root  # noqa: E402

from companion.cache import load_clip  # noqa: E402
from companion.layout import Clip, open_dataset  # noqa: E402

SAMPLE = sample_root()
SMALL = (64, 96)
KERAS_SIZE, KERAS_T = 224, 10
PED1_TRAIN_FRAMES = 34 * 200


def _timed(clips: list[Clip], size: tuple[int, int] | None) -> tuple[float, int]:
    start = time.perf_counter()
    frames = sum(len(load_clip(c, size=size).frames) for c in clips)
    return time.perf_counter() - start, frames


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:9.1f} MiB"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE
        if not root.exists():
            from companion.synth import SynthConfig, generate

            print(f"{root} not found: using a synthetic dataset")
            root = generate(Path(tmp) / "synth", SynthConfig(seed=0))
        ds = open_dataset(root, dataset="synth" if root.name == "UCSDsynth" else "ped1")
        clips = ds.clips["Train"] + ds.clips["Test"]
        print(f"{ds.name} at {ds.root}: {len(clips)} clips, {sum(len(c.frames) for c in clips)} frames")
        print(f"\n{'load_clip':<28}{'seconds':>9}{'frames/s':>11}")
        for label, size in (("native", None), (f"{SMALL[0]}x{SMALL[1]}", SMALL)):
            os.environ["COMPANION_CACHE"] = str(Path(tmp) / f"cache-{label}")
            for phase in ("first decode", "cached reload"):
                seconds, n = _timed(clips, size)
                print(f"{label + ', ' + phase:<28}{seconds:9.2f}{n / seconds:11.0f}")
        native = [load_clip(c).frames for c in clips]
        n_frames = sum(len(f) for f in native)
        h, w = native[0].shape[1:]
        ours = sum(f.nbytes for f in native)
        ours_small = n_frames * SMALL[0] * SMALL[1]
        keras_frame = KERAS_SIZE * KERAS_SIZE * 8
        keras_clips = sum(len(f) // KERAS_T for f in native) * KERAS_T * keras_frame
        keras_windows = sum(max(len(f) - KERAS_T + 1, 0) for f in native) * KERAS_T * keras_frame
        print(f"\n{f'memory of these {n_frames} frames':<44}{'this set':>13}{'Ped1 train (6800)':>19}")
        rows = [
            (f"ours: uint8 {h}x{w}", ours),
            (f"ours: uint8 {SMALL[0]}x{SMALL[1]}", ours_small),
            (f"Keras: float64 {KERAS_SIZE}x{KERAS_SIZE}, {KERAS_T}-frame clips", keras_clips),
            ("Keras: same, stride-1 windows", keras_windows),
        ]
        for label, n_bytes in rows:
            print(f"{label:<44}{_mb(n_bytes):>13}{_mb(n_bytes * PED1_TRAIN_FRAMES / n_frames):>19}")
        print(f"\nratio Keras clips / ours native: {keras_clips / ours:.1f}x; / ours {SMALL[0]}x{SMALL[1]}: "
              f"{keras_clips / ours_small:.1f}x; stride-1 windows / ours native: {keras_windows / ours:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
