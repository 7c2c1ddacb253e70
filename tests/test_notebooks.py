"""The notebooks as documents: pairs in sync, one clean run stored, the course skeleton, the toc.

These tests read the notebooks; they do not execute them. Execution is checked by
`pytest --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg` (`make nbval`), which
re-runs every cell and compares its output with the stored one.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

# The skeleton (COURSE-STYLE.md): these `##` headings, in this order; the course's own sections
# go between "Imports" and "Summary".
BEFORE = ["Overview", "Prerequisites", "Time to learn", "Imports"]
AFTER = ["Summary", "Exercises", "What's next", "Resources and references"]
SOLUTION_TAGS = {"hide-input", "hide-cell", "hide-output"}
SOLUTION_PROMPTS = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _headings(nb: nbformat.NotebookNode) -> list[tuple[int, str, int]]:
    """(level, text, cell index) of every markdown heading outside code fences."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            m = None if fenced else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                found.append((len(m.group(1)), m.group(2), index))
    return found


def _sections(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[nbformat.NotebookNode]]]:
    """Each `##` section as (heading, its markdown text, its code cells), in order.

    A section runs from its heading line to the next `##` heading, across cells (one markdown
    cell may hold several short sections).
    """
    sections: list[tuple[str, list[str], list[nbformat.NotebookNode]]] = [("", [], [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            sections[-1][2].append(cell)
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            m = None if fenced else re.match(r"^##\s+(.*?)\s*#*\s*$", line)
            if m:
                sections.append((m.group(1), [], []))
            else:
                sections[-1][1].append(line)
    return [(title, "\n".join(lines), cells) for title, lines, cells in sections[1:]]


def _section(nb: nbformat.NotebookNode, title: str) -> tuple[str, list[nbformat.NotebookNode]]:
    """(markdown text, code cells) of the first `## title...` section."""
    for heading, text, cells in _sections(nb):
        if _norm(heading).startswith(_norm(title)):
            return text, cells
    raise AssertionError(f"no '## {title}' section")


def _norm(text: str) -> str:
    """Heading or list text without markdown decoration, lower case."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    text = re.sub(r"[*_`]", "", text)
    return text.replace("’", "'").strip().lower()


def _contributing_names() -> list[str]:
    """Notebook file names in CONTRIBUTING.md's table, in course order."""
    text = (REPO / "CONTRIBUTING.md").read_text()
    return re.findall(r"`notebooks/(\d\d_[a-z0-9_]+)\.ipynb`", text)


def test_notebook_names_follow_contributing() -> None:
    names = _contributing_names()
    assert names, "CONTRIBUTING.md lists no notebooks"
    for path in NOTEBOOKS:
        assert path.stem in names, f"{path.name} is not in CONTRIBUTING.md's notebook table {names}"
    md_only = {p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.md")} - {p.stem for p in NOTEBOOKS}
    assert not md_only, f"text twins without a notebook: {sorted(md_only)}; run .ci/run_notebooks.py --from-md"


def test_toc_lists_the_notebooks_in_order() -> None:
    toc = yaml.safe_load((REPO / "toc.yml").read_text())
    files = [
        chapter["file"]
        for part in toc.get("parts", [])
        for chapter in part.get("chapters", [])
        if str(chapter.get("file", "")).startswith("notebooks/")
    ]
    assert files == [f"notebooks/{p.stem}" for p in NOTEBOOKS], "toc.yml and notebooks/NN_*.ipynb disagree"
    order = [n for n in _contributing_names() if (REPO / "notebooks" / f"{n}.ipynb").exists()]
    assert [p.stem for p in NOTEBOOKS] == order, "notebook numbering disagrees with CONTRIBUTING.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_text_twin_in_sync(path: Path) -> None:
    """Same check as the pre-stop hook: `jupytext --to md:myst -o - nb.ipynb | diff -q - nb.md`."""
    md = path.with_suffix(".md")
    assert md.exists(), f"{md.name} missing: run `jupytext --to md:myst {path}`"
    expected = jupytext.writes(jupytext.read(path), fmt="md:myst")
    if not expected.endswith("\n"):
        expected += "\n"  # the command line prints a final newline
    assert md.read_text() == expected, (
        f"{md.name} and {path.name} differ: after editing the .md run "
        f".ci/run_notebooks.py --from-md {md.relative_to(REPO)}; after editing the .ipynb run "
        f"jupytext --to md:myst {path.relative_to(REPO)}"
    )


def test_notebooks_are_paired_with_myst_twins() -> None:
    """The pairing lives in notebooks/jupytext.toml (so JupyterLab keeps both files in sync)."""
    config = (REPO / "notebooks" / "jupytext.toml").read_text()
    assert re.search(r'^formats\s*=\s*"ipynb,md:myst"', config, re.M), "notebooks/jupytext.toml must pair ipynb,md:myst"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_from_one_clean_run(path: Path) -> None:
    nb = _read(path)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1..n: re-run {path.name} top to bottom on a fresh kernel"
    )
    for cell in nb.cells:
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"stored error in {path.name}: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_skeleton(path: Path) -> None:
    nb = _read(path)
    headings = _headings(nb)
    titles = [text for level, text, _ in headings if level == 1]
    assert len(titles) == 1, f"{path.name} needs exactly one '#' title, found {titles}"
    assert headings[0][0] == 1 and headings[0][2] == 0, "the '#' title comes first, in the first cell"
    h2 = [_norm(text) for level, text, _ in headings if level == 2]
    wanted = [_norm(t) for t in BEFORE + AFTER]
    positions = []
    for title in wanted:
        hits = [k for k, text in enumerate(h2) if text.startswith(title)]
        assert hits, f"{path.name} lacks a '## {title}' section"
        positions.append(hits[0])
    assert positions == sorted(positions), f"{path.name}: skeleton sections out of order: {h2}"
    body = h2[positions[len(BEFORE) - 1] + 1 : positions[len(BEFORE)]]
    assert body, f"{path.name} has no sections between Imports and Summary"

    # Overview: a numbered list, one item per body section, each starting with its heading.
    overview = _section(nb, "Overview")[0]
    items = [_norm(m) for m in re.findall(r"^\s*\d+\.\s+(.*)$", overview, re.M)]
    assert len(items) == len(body), f"{path.name}: Overview lists {len(items)} items for {len(body)} sections {body}"
    for item, section in zip(items, body):
        assert item.startswith(section), f"{path.name}: Overview item '{item}' does not name section '{section}'"

    # Prerequisites: the Concepts | Importance | Notes table, rows Necessary or Helpful.
    prereq = _section(nb, "Prerequisites")[0]
    rows = [r for r in prereq.splitlines() if r.strip().startswith("|")]
    assert rows and [_norm(x) for x in rows[0].strip("| ").split("|")] == ["concepts", "importance", "notes"], (
        f"{path.name}: Prerequisites needs a 'Concepts | Importance | Notes' table"
    )
    for row in rows[2:]:
        importance = _norm(row.strip("| ").split("|")[1])
        assert importance in {"necessary", "helpful"}, f"{path.name}: importance '{importance}' in {row!r}"

    time_text = _section(nb, "Time to learn")[0]
    assert re.search(r"\d+\s*minutes", time_text), f"{path.name}: 'Time to learn' gives no minutes"

    imports = _section(nb, "Imports")[1]
    assert imports and any(re.search(r"^import companion\b", c.source, re.M) for c in imports), (
        f"{path.name}: the Imports section needs a code cell with `import companion`"
    )
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "COURSE_DATA" in first_code.source, f"{path.name}: the first code cell must be the COURSE_DATA switch"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_have_folded_executed_solutions(path: Path) -> None:
    cells = _section(_read(path), "Exercises")[1]
    solutions = [c for c in cells if SOLUTION_TAGS & set(c.metadata.get("tags", []))]
    assert solutions, f"{path.name}: each exercise needs a solution code cell tagged hide-cell (folded in the book)"
    for cell in solutions:
        assert cell.execution_count is not None, f"{path.name}: a solution cell was not executed"
        # The book's fold says what it hides (myst-nb's default is "Show code cell content").
        assert cell.metadata.get("mystnb", {}) == SOLUTION_PROMPTS, (
            f"{path.name}: a solution cell needs the cell metadata mystnb: {SOLUTION_PROMPTS} "
            f"(its first line: {cell.source.splitlines()[0]!r})"
        )


def test_the_first_code_cell_is_the_same_data_switch() -> None:
    switches = {next(c.source for c in _read(p).cells if c.cell_type == "code") for p in NOTEBOOKS}
    assert len(switches) <= 1, "the COURSE_DATA switch cell differs between notebooks: keep one copy"
