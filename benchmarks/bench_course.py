"""The course's compute budget, measured: training seconds per epoch of each course model, the time of
each notebook, and of the book build (prints figures and writes them to a JSON file; asserts nothing).

    .venv/bin/python benchmarks/bench_course.py [--out benchmarks/results/course_timings.json] [--skip-notebooks]
    taskset -c 0 .venv/bin/python benchmarks/bench_course.py --skip-training --out benchmarks/results/course_timings_1core.json

Run it on an idle machine. The notebooks and the README quote these figures with the machine
they were measured on (the "machine" entry). Targets (issue 10): `make course` within 5 minutes
on 2 idle cores; no cell much over 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
EPOCHS_TIMED = 2


def machine() -> str:
    """'CPU model, N cores, T torch threads, load average L' of this machine (L near 0: idle)."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1).strip() if found else model
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {cores} cores, {torch.get_num_threads()} torch threads, load average {load:.1f} at the start"


def epoch_seconds() -> dict[str, float]:
    """Seconds per training epoch of each shipped course model on the synthetic default (the mean of 2 epochs)."""
    from companion.reference import SHIPPED, train_recipe
    from companion.synth import default_dataset

    root, out = default_dataset(), {}
    for name in SHIPPED:
        result = train_recipe(name, root, None, dataset="synth", epochs=EPOCHS_TIMED, device="cpu", progress=False,
                              verbose=False)
        out[name] = round(sum(result.history["seconds"]) / EPOCHS_TIMED, 2)
        print(f"{name:13s} {out[name]:6.2f} s per epoch")
    return out


def notebook_seconds() -> tuple[dict[str, float], float, float]:
    """Each notebook's time as `make course` runs it (copies in a scratch folder), the book build, the total."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA", "COURSE_DATASET", "COURSE_PROFILE")}
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, str(ROOT / ".ci" / "run_notebooks.py"), "--into", tmp], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        t1 = time.perf_counter()
        subprocess.run(["make", "-s", "book", f"BOOK_ROOT={tmp}"], cwd=ROOT, env=env, capture_output=True, check=True)
        t2 = time.perf_counter()
    times = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+\.ipynb): ([\d.]+) s$", run.stdout, re.M)}
    for name, seconds in times.items():
        print(f"{name:32s} {seconds:6.1f} s")
    print(f"{'book build':32s} {t2 - t1:6.1f} s\n{'notebooks + book':32s} {t2 - t0:6.1f} s")
    return times, round(t2 - t1, 1), round(t2 - t0, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "course_timings.json")
    parser.add_argument("--skip-notebooks", action="store_true", help="time the training only")
    parser.add_argument("--skip-training", action="store_true", help="time the notebooks and the book only")
    args = parser.parse_args(argv)
    report: dict = {"machine": machine(), "torch": torch.__version__}
    if not args.skip_training:
        report["epoch_seconds"] = epoch_seconds()
    if not args.skip_notebooks:
        report["notebook_seconds"], report["book_seconds"], report["course_seconds"] = notebook_seconds()
    print(f"machine: {report['machine']}")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
