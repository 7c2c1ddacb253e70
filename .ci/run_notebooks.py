"""Execute the course notebooks in order, each on a fresh kernel, without ever damaging the clone.

    .venv/bin/python .ci/run_notebooks.py --into _build/course          # make course: copies only
    .venv/bin/python .ci/run_notebooks.py --refresh                     # make notebooks (maintainers)
    .venv/bin/python .ci/run_notebooks.py --refresh --from-md notebooks/03_convlstm_cell.md

--into DIR executes copies of the notebooks in DIR/notebooks/ (with the files the notebooks and
the book read beside them: DIR is a book root) and never writes a tracked file. --refresh
executes each notebook in a scratch folder and only when it ran completely replaces the tracked
.ipynb and regenerates its jupytext .md twin (`jupytext --to md:myst -o - NN.ipynb | diff - NN.md`
is then empty); with --from-md the .md (what an author edits) is the source.

The stored outputs are those a learner last saw in JupyterLab (`tidy`): the views of widgets the
kernel closed (tqdm's per-epoch bars) are dropped with their state, consecutive stream outputs
are joined (one block per log), and the state of the widgets still shown is kept, so that the
book draws each of them as it was left.

There is no limit per cell (a slow laptop is slower, never broken); --timeout SECONDS sets one.
A failure names the notebook, the cell and the error, keeps the executed copy for inspection
(in DIR/failed/ or the scratch folder's path printed) and exits 1. Prints each notebook's time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parents[1]
# What a notebook or the book reads outside notebooks/, copied beside the executed copies.
BOOK_FILES = ("book.yml", "toc.yml", "intro.md", "results.md", "benchmarks/results")
SAMPLE = ROOT.parent / "shared" / "data" / "ucsd-ped1-sample"


def prepare(path: Path, from_md: bool) -> nbformat.NotebookNode:
    """The notebook to execute: outputs cleared, the standard kernel, no pairing metadata."""
    nb = jupytext.read(path.with_suffix(".md") if from_md else path.with_suffix(".ipynb"))
    nb.metadata.get("jupytext", {}).pop("formats", None)  # the pairing is in notebooks/jupytext.toml
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    return nb


def failed_cell(nb: nbformat.NotebookNode) -> str:
    """'cell N (first line of its source)' of the first cell holding an error output."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            return f"cell {index} ({first[:70]!r})"
    return "a cell that did not finish"


class CourseClient(NotebookClient):
    """nbclient's client, which also notes the widgets the kernel closed (a tqdm bar when it ends)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.closed_widgets: set[str] = set()

    def handle_comm_msg(self, outs, msg, cell_index) -> None:  # noqa: ANN001 - nbclient's signature
        if msg["msg_type"] == "comm_close":
            self.closed_widgets.add(msg["content"]["comm_id"])
        super().handle_comm_msg(outs, msg, cell_index)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def tidy(nb: nbformat.NotebookNode, closed: set[str]) -> None:
    """Store the outputs as a learner last saw them in JupyterLab.

    A widget the kernel closed has vanished from the screen (tqdm's per-epoch bars): its view is
    dropped, and the stored widget state keeps only the widgets still shown (and the models they
    use), so that the book draws each one as it was left. Consecutive stream outputs become one
    (nbclient stores each flush apart: the training log would be one box per epoch); nbval
    compares streams joined the same way.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id") in closed:
                continue
            last = outputs[-1] if outputs else None
            if (out.output_type == "stream" and last is not None and last.output_type == "stream"
                    and last.name == out.name):
                last.text += out.text
                continue
            outputs.append(out)
        cell.outputs = outputs
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if state is None:
        return
    keep: set[str] = set()
    todo = [out.data[WIDGET_VIEW]["model_id"] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if WIDGET_VIEW in out.get("data", {})]
    while todo:  # the shown widgets, and every model their state names ("IPY_MODEL_<id>")
        model = todo.pop()
        if model in keep or model not in state:
            continue
        keep.add(model)
        todo += re.findall(r"IPY_MODEL_(\w+)", json.dumps(state[model]))
    for model in set(state) - keep:
        del state[model]
    if not state:
        del nb.metadata["widgets"]


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int | None) -> None:
    client = CourseClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                          resources={"metadata": {"path": str(cwd)}})
    client.execute()
    tidy(nb, client.closed_widgets)


def copy_book_files(dest: Path) -> None:
    for name in BOOK_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--into", type=Path, help="execute copies in this folder (a book root); tracked files untouched")
    where.add_argument("--refresh", action="store_true", help="replace each tracked notebook once it ran completely")
    parser.add_argument("--from-md", action="store_true", help="with --refresh: the .md twin is the source")
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell (default: no limit)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks to run")
        return 0
    if args.into:
        out = args.into.resolve()
        (out / "notebooks").mkdir(parents=True, exist_ok=True)
        copy_book_files(out)
        # The copies run outside the repository: a relative COURSE_DATA means from the repository root.
        if os.environ.get("COURSE_DATA") and not Path(os.environ["COURSE_DATA"]).expanduser().is_absolute():
            os.environ["COURSE_DATA"] = str(ROOT / os.environ["COURSE_DATA"])
        # The notebooks find the real sample beside the repository; the copies are elsewhere.
        if "UCSD_PED1_SAMPLE" not in os.environ and SAMPLE.is_dir():
            os.environ["UCSD_PED1_SAMPLE"] = str(SAMPLE)
    (ROOT / "_build").mkdir(exist_ok=True)  # git-ignored; the scratch folder is on the notebooks' file system
    scratch = Path(tempfile.mkdtemp(prefix="notebooks-", dir=ROOT / "_build"))
    total = time.perf_counter()
    for path in paths:
        path = path.resolve()
        name = path.with_suffix(".ipynb").name
        nb = prepare(path, args.from_md)
        cwd = out / "notebooks" if args.into else path.parent
        print(f"{name}: running ...", flush=True)
        start = time.perf_counter()
        try:
            execute(nb, cwd, args.timeout)
        except (CellExecutionError, CellTimeoutError, Exception) as error:  # also a kernel that died
            keep = (out / "failed" if args.into else scratch) / name
            keep.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, keep)
            hint = " (raise the limit with --timeout, or drop it)" if isinstance(error, CellTimeoutError) else ""
            last = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()[-1:] or [type(error).__name__]
            print(f"FAILED {name}, {failed_cell(nb)}: {type(error).__name__}: {last[0][:500]}{hint}\n"
                  f"  the executed copy is kept in {keep}; no tracked file was changed", file=sys.stderr)
            return 1
        elapsed = time.perf_counter() - start
        if args.into:
            nbformat.write(nb, cwd / name)
        else:
            staged = scratch / name
            nbformat.write(nb, staged)
            md = jupytext.writes(jupytext.read(staged), fmt="md:myst")
            os.replace(staged, path.with_suffix(".ipynb"))
            path.with_suffix(".md").write_text(md)
        print(f"{name}: {elapsed:.1f} s", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"all {len(paths)} notebooks ran in {time.perf_counter() - total:.0f} s"
          + (f"; executed copies in {out}" if args.into else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
