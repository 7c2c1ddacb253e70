"""Retrain the reference runs shipped in companion/reference/ (maintainers only: `make reference-models`).

Each shipped course model (`companion.reference.SHIPPED`) is trained on the synthetic default with the
package's default settings (`companion.settings.TRAIN_DEFAULTS`) on this machine's CPU, then
exported with its weights only. The old files are replaced only after every model trained.
Afterwards refresh the notebooks (`make notebooks`) and commit both.
"""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

from companion.reference import REFERENCE_DIR, SHIPPED, export_reference, train_recipe
from companion.synth import default_dataset


def main() -> int:
    root = default_dataset()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "reference"
        for name in SHIPPED:
            t0 = time.perf_counter()
            result = train_recipe(name, root, Path(tmp) / "runs" / name, dataset="synth", device="cpu", progress=False,
                                  verbose=False)
            path = export_reference(result.run_dir, fresh / name)
            print(f"{name:13s} {result.epochs} epochs in {time.perf_counter() - t0:5.0f} s, validation loss "
                  f"{result.history['val_loss'][-1]:.5f}, {path.stat().st_size / 1024:.0f} KiB")
        for name in SHIPPED:
            shutil.rmtree(REFERENCE_DIR / name, ignore_errors=True)
            shutil.copytree(fresh / name, REFERENCE_DIR / name)
    print(f"trained on {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; written to {REFERENCE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
