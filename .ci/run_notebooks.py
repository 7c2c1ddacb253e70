"""Execute the course notebooks in order, each on a fresh kernel, and keep the jupytext pairs in sync.

    .venv/bin/python .ci/run_notebooks.py                  # every notebooks/NN_*.ipynb, in place
    .venv/bin/python .ci/run_notebooks.py notebooks/03_*.ipynb
    .venv/bin/python .ci/run_notebooks.py --from-md notebooks/03_convlstm_cell.md

With --from-md the MyST text is the source (what an author edits): the .ipynb is rebuilt from it.
Each notebook runs with its folder as working directory; its outputs are stored in the .ipynb
(without timing metadata), and its .md twin is regenerated from the executed notebook, so that
`jupytext --to md:myst -o - NN.ipynb | diff - NN.md` is empty. Prints each notebook's run time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, from_md: bool, timeout: int) -> float:
    ipynb, md = path.with_suffix(".ipynb"), path.with_suffix(".md")
    nb = jupytext.read(md if from_md else ipynb)
    nb.metadata.get("jupytext", {}).pop("formats", None)  # the pairing is in notebooks/jupytext.toml
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(ipynb.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        elapsed = time.perf_counter() - start
        nbformat.write(nb, ipynb)  # even on failure: the traceback is in the stored outputs
    jupytext.write(jupytext.read(ipynb), md, fmt="md:myst")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--from-md", action="store_true", help="rebuild each .ipynb from its .md twin first")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks to run")
        return 0
    for path in paths:
        try:
            elapsed = run(path, args.from_md, args.timeout)
        except Exception as error:  # CellExecutionError and kernel deaths: say which notebook
            print(f"FAILED {path}: {type(error).__name__}: {str(error)[-2000:]}", file=sys.stderr)
            return 1
        print(f"{path.with_suffix('.ipynb').name}: {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
