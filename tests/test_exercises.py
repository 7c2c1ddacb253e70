"""`make exercises` (.ci/make_exercises.py): learner copies without the solutions, tracked files untouched."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _script():
    sys.path.insert(0, str(REPO / ".ci"))
    spec = importlib.util.spec_from_file_location("make_exercises", REPO / ".ci" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (REPO / "notebooks").iterdir() if p.is_file()}


def test_learner_copies_hold_no_solution_and_no_output(tmp_path) -> None:
    make_exercises = _script()
    before = _digest()
    assert make_exercises.main(["--into", str(tmp_path)]) == 0
    assert _digest() == before, "make exercises changed a file in notebooks/"
    for path in NOTEBOOKS:
        original = nbformat.read(path, as_version=4)
        copy = nbformat.read(tmp_path / "notebooks" / path.name, as_version=4)
        solutions = [c.source for c in original.cells if make_exercises.is_solution(c)]
        assert solutions, f"{path.name} has no solution cells"
        assert not any(make_exercises.is_solution(c) for c in copy.cells)
        sources = [c.source for c in copy.cells]
        assert sources.count(make_exercises.PLACEHOLDER) == len(solutions), path.name
        assert not any(s in sources for s in solutions), f"{path.name}: a solution survived"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in copy.cells if c.cell_type == "code")
        # Everything else is the notebook as it was: its text and its other code, in order.
        kept = [c.source for c in original.cells if not make_exercises.is_solution(c) and c.source != "# Your code here"]
        assert [s for s in sources if s != make_exercises.PLACEHOLDER] == kept, path.name
    assert (tmp_path / "benchmarks" / "results" / "real_ped1_summary.json").is_file()  # what notebook 06 reads


def test_it_refuses_to_write_over_the_tracked_notebooks() -> None:
    with pytest.raises(SystemExit):
        _script().main(["--into", str(REPO / "notebooks")])
