"""`.ci/run_notebooks.py`, what `make course` and `make notebooks` run: never damages the clone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "run_notebooks.py"


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A test notebook")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_a_failure_names_the_notebook_and_the_cell_and_changes_nothing(tmp_path: Path) -> None:
    source = _notebook(tmp_path / "98_fails.ipynb", "x = 1", "raise ValueError('broken on purpose')", "print('never')")
    before = source.read_bytes()
    for mode in (["--into", str(tmp_path / "build")], ["--refresh"]):
        run = _run(*mode, str(source))
        assert run.returncode == 1, run.stderr
        assert "FAILED 98_fails.ipynb, cell 2 (\"raise ValueError('broken on purpose')\")" in run.stderr
        assert "ValueError: broken on purpose" in run.stderr and "no tracked file was changed" in run.stderr
        assert source.read_bytes() == before and not source.with_suffix(".md").exists()
    assert (tmp_path / "build" / "failed" / "98_fails.ipynb").is_file()  # kept for inspection


def test_into_executes_a_copy_and_refresh_replaces_only_a_complete_run(tmp_path: Path) -> None:
    source = _notebook(tmp_path / "97_works.ipynb", "print(6 * 7)")
    before = source.read_bytes()
    run = _run("--into", str(tmp_path / "build"), str(source))
    assert run.returncode == 0, run.stderr
    assert source.read_bytes() == before  # the source is never written
    copy = nbformat.read(tmp_path / "build" / "notebooks" / "97_works.ipynb", as_version=4)
    assert copy.cells[1].outputs[0]["text"] == "42\n"
    assert (tmp_path / "build" / "toc.yml").is_file()  # a book root: the book builds from the copies

    run = _run("--refresh", str(source))
    assert run.returncode == 0, run.stderr
    stored = nbformat.read(source, as_version=4)
    assert stored.cells[1].outputs[0]["text"] == "42\n" and stored.cells[1].execution_count == 1
    assert "print(6 * 7)" in source.with_suffix(".md").read_text()  # the jupytext twin, regenerated
