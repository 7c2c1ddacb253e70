"""The tools that look at the course as a learner does (.ci/): the stored outputs' tidying, and the
book's layout check in headless Chromium, shown failing on a page with each problem it looks for.

JupyterLab itself is driven by `make browser` (.ci/lab_test.py: minutes, not a unit test).
The Chromium tests skip where Debian's chromium and chromium-driver are absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

CI_DIR = Path(__file__).resolve().parents[1] / ".ci"


def _load(name: str):
    if str(CI_DIR) not in sys.path:
        sys.path.insert(0, str(CI_DIR))
    spec = importlib.util.spec_from_file_location(name, CI_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _view(model: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": model, "version_major": 2,
                                                                           "version_minor": 0}, "text/plain": "w"}
    )


def _model(name: str, **state) -> dict:
    return {"model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0", "model_name": name,
            "state": state}


def test_tidy_drops_closed_widgets_and_joins_streams() -> None:
    run_notebooks = _load("run_notebooks")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("train()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="training\n"),
        _view("bar1"),  # a tqdm bar of epoch 1, closed when the epoch ended
        nbformat.v4.new_output("stream", name="stdout", text="epoch 1\n"),
        _view("bar2"),
        nbformat.v4.new_output("stream", name="stdout", text="epoch 2\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
        _view("box"),  # still on screen
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
        "bar1": _model("HBoxModel", children=["IPY_MODEL_bar1text"]), "bar1text": _model("HTMLModel", value="1/2"),
        "bar2": _model("HBoxModel", children=[]),
        "box": _model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_image"]),
        "slider": _model("IntSliderModel", value=3, layout="IPY_MODEL_layout"), "layout": _model("LayoutModel"),
        "image": _model("ImageModel"),
    }}}
    run_notebooks.tidy(nb, closed={"bar1", "bar2"})
    kinds = [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs]
    assert kinds[:2] == [("stream", "stdout", "training\nepoch 1\nepoch 2\n"), ("stream", "stderr", "a warning\n")]
    assert cell.outputs[2].data["application/vnd.jupyter.widget-view+json"]["model_id"] == "box"
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert sorted(state) == ["box", "image", "layout", "slider"]

    run_notebooks.tidy(nb, closed={"box"})  # nothing left on screen: no widget state at all
    assert "widgets" not in nb.metadata
    assert len(cell.outputs) == 2


@pytest.fixture(scope="module")
def page_checker(tmp_path_factory: pytest.TempPathFactory):
    """check(name, html) -> the layout check's problems for that page (one browser for the module)."""
    browser = _load("browser")
    why = browser.missing()
    if why:
        pytest.skip(why)
    check_layout = _load("check_layout")
    check_layout.WIDGET_TIMEOUT = 2  # the blank widget never renders: do not wait 30 s for it
    root = tmp_path_factory.mktemp("pages")
    server = check_layout.serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with browser.chromium(1000, 600, performance_log=True, overlay_scrollbars=True) as driver:
            def check(name: str, html: str) -> list[str]:
                (root / name).write_text(html)
                return check_layout.check_page(driver, base, name, True)

            yield check
    finally:
        server.shutdown()
        server.server_close()


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
  body {{ margin: 0; }} article.bd-article {{ width: 500px; margin-left: 100px; }}
  pre {{ white-space: pre; }}
  .styled::-webkit-scrollbar {{ height: 10px; }} .styled::-webkit-scrollbar-thumb {{ background: #999; }}
</style>{head}</head><body><article class="bd-article"><section id="s">{body}</section></article></body></html>"""
LONG = "x = " + "1 + " * 80 + "1"
CASES = {
    "wide": ("", f"<pre>{LONG}</pre>", "wider than the column"),
    "overlay-scroll": ("", f'<pre style="overflow-x: auto">{LONG}</pre>', "scrolls without a visible scrollbar"),
    "hidden": ("", f'<pre style="overflow-x: hidden">{LONG}</pre>', "cut off"),
    "blank-widget": ("", '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "m", "version_major": 2, '
                         '"version_minor": 0}</script>', "widget view 1 of 1: not rendered"),
    "external": ('<link rel="stylesheet" href="http://192.0.2.1/style.css">', "<p>text</p>",
                 "requests a resource from another host"),
    "ok": ("", f'<pre class="styled" style="overflow-x: auto">{LONG}</pre><p>short</p>', None),
}


@pytest.mark.parametrize("case", CASES)
def test_layout_check_finds_each_problem(page_checker, case: str) -> None:
    head, body, expected = CASES[case]
    problems = page_checker(f"{case}.html", PAGE.format(head=head, body=body))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in line for line in problems), problems
