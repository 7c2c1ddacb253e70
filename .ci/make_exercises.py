"""Learner copies of the notebooks, without the solutions (`make exercises`).

    .venv/bin/python .ci/make_exercises.py [notebooks/NN_x.ipynb ...] [--into _build/exercises]

A solution is a code cell tagged `hide-cell` whose cell metadata says
`mystnb: {code_prompt_show: Show solution, ...}` (CONTRIBUTING.md). In each copy its code becomes
the placeholder `# Your solution here` and it is no longer folded; the empty `# Your code here`
cell just before it, now a second placeholder, is dropped. Every output is cleared (a learner
runs the notebook). The copies go to DIR/notebooks/, with the files the notebooks read beside
them (as `make course` places them), never over a tracked file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebooks import copy_book_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "# Your solution here"
EMPTY_CELL = "# Your code here"


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return (cell.cell_type == "code" and "hide-cell" in cell.metadata.get("tags", [])
            and cell.metadata.get("mystnb", {}).get("code_prompt_show") == "Show solution")


def learner_copy(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """The notebook with each solution replaced by the placeholder, outputs cleared; and the count."""
    cells, solutions = [], 0
    for cell in nb.cells:
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            solutions += 1
            if cells and cells[-1].cell_type == "code" and cells[-1].source.strip() == EMPTY_CELL:
                cells.pop()
            cell.source = PLACEHOLDER
            cell.metadata.pop("mystnb", None)
            cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "hide-cell"]
            if not cell.metadata["tags"]:
                del cell.metadata["tags"]
        cells.append(cell)
    copy = nbformat.from_dict(dict(nb))
    copy.cells = cells
    copy.metadata.pop("widgets", None)  # the stored widget state goes with the outputs
    return copy, solutions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--into", type=Path, default=ROOT / "_build" / "exercises", help="a folder outside notebooks/")
    args = parser.parse_args(argv)
    out = args.into.resolve()
    if out == ROOT or (ROOT / "notebooks") in (out, *out.parents):
        parser.error(f"{args.into} would overwrite the tracked notebooks: choose a folder such as _build/exercises")
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    copy_book_files(out)
    for path in paths:
        nb, solutions = learner_copy(nbformat.read(path, as_version=4))
        nbformat.write(nb, out / "notebooks" / path.name)
        print(f"{path.name}: {solutions} solution(s) replaced by '{PLACEHOLDER}'")
    print(f"learner copies of {len(paths)} notebooks in {out / 'notebooks'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
