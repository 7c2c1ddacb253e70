"""Every timing the text states is a figure of `benchmarks/bench_course.py` and names its machine."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
TEXTS = ("README.md", "intro.md", "results.md")


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def test_the_readme_quotes_make_course_on_two_cores_and_one() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("course_timings.json", "course_timings_1core.json"):
        t = _load(name)
        assert f"{t['course_seconds'] / 60:.1f} minutes" in readme, name
        assert t["machine"] in readme, name


def test_the_results_page_quotes_training_and_each_notebook() -> None:
    page = (REPO / "results.md").read_text()
    t = _load("course_timings.json")
    assert t["machine"] in page
    assert f"{t['epoch_seconds']['cpu'] * 20:.0f} s for the 20 epochs of `cpu`" in page
    for notebook, seconds in t["notebook_seconds"].items():
        assert f"{notebook.split('_')[0]}: {seconds:.0f} s" in page, notebook


def test_no_other_timing_is_stated() -> None:
    """Durations in the prose come from the benchmark: no 'a couple of minutes' and the like."""
    vague = re.compile(r"(a couple of|a few|about (two|three|five)) minutes|\b\d+ s for \d+ epochs\b(?! of `cpu`)")
    for name in TEXTS:
        text = (REPO / name).read_text()
        assert not vague.search(text), f"{name}: {vague.search(text).group(0)!r}"
