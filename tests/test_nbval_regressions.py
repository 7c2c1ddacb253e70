"""The notebooks' stored outputs are portable, yet a real regression still fails `pytest --nbval`.

Notebook 05's stored figures are printed at a precision that holds on any CPU, thread count or
GPU; no sanitizer hides them. To show that this precision still catches real mistakes, each test
runs nbval on a copy of notebook 05, cut after its micro/macro AUC cell, with one deliberate bug
injected as an extra cell (a cell without stored outputs, so nbval compares nothing for it):
the cells after it must then fail. The untouched copy must pass (the control).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "05_thresholds_roc.ipynb"
AUC_CELL = "auc = frame_auc(labels, scores)"  # the first cell printing micro and macro AUC
SCORES_CELL = "conv_test, conv_train = score_model(model)"  # builds labels and scores
IMPORTS_CELL = "from companion.reference import"

REGRESSIONS = {
    "untrained model": (IMPORTS_CELL, (
        "_course_model = course_model\n"
        "def course_model(name, *args, **kwargs):  # the regression: the weights of an untrained model\n"
        "    from companion.model import ModelConfig, build_model\n"
        "    m, c, run, where = _course_model(name, *args, **kwargs)\n"
        "    torch.manual_seed(0)\n"
        "    return build_model(ModelConfig.from_dict(c['model_config'])).to(DEVICE).eval(), c, run, where"
    )),
    "labels shifted by one frame": (SCORES_CELL, "labels = {k: np.roll(v, 1) for k, v in labels.items()}"),
    "normalisation with test frames": (SCORES_CELL, "scores = normalize_scores(raw, 'video')"),
}


def _cut_copy(tmp_path: Path, after: str | None = None, code: str | None = None) -> Path:
    """notebook 05 up to its AUC cell, with `code` as a new cell after the cell containing `after`."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    end = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and AUC_CELL in c.source)
    cells = nb.cells[: end + 1]
    if code is not None:
        at = next(i for i, c in enumerate(cells) if c.cell_type == "code" and after in c.source)
        cells.insert(at + 1, nbformat.v4.new_code_cell(code))
    nb.cells = cells
    folder = tmp_path / "notebooks"  # the notebook reads ../benchmarks/results like the original
    folder.mkdir()
    (tmp_path / "benchmarks").symlink_to(REPO / "benchmarks")
    path = folder / NOTEBOOK.name
    nbformat.write(nb, path)
    return path


def _nbval(path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA", "COURSE_DATASET", "COURSE_PROFILE")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(REPO / "notebooks" / "sanitize.cfg"), str(path)],
        cwd=path.parent, env=env, capture_output=True, text=True, timeout=900,
    )


def test_the_cut_copy_passes(tmp_path: Path) -> None:
    run = _nbval(_cut_copy(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:]


@pytest.mark.parametrize("name", REGRESSIONS)
def test_a_regression_fails_nbval(name: str, tmp_path: Path) -> None:
    after, code = REGRESSIONS[name]
    run = _nbval(_cut_copy(tmp_path, after, code))
    assert run.returncode == 1, f"{name}: nbval passed despite the regression\n{run.stdout[-3000:]}"
    assert "Cell outputs differ" in run.stdout, run.stdout[-3000:]
    assert "micro AUC" in run.stdout  # the AUC figures themselves give the regression away
