"""The course as a learner sees it: JupyterLab driven by headless Chromium, every notebook run.

    .venv/bin/python .ci/lab_test.py [notebooks/NN_x.ipynb ...] [--shots _build/screenshots]

Starts JupyterLab from the project's own environment on 127.0.0.1 (a free port, a random token,
this tree first on the kernels' PYTHONPATH), serving copies of the notebooks (outputs cleared)
in _build/lab/, never the tracked files. In headless Chromium it opens each notebook in turn,
runs all its cells on a fresh kernel with JupyterLab's own "Run All Cells" command, and checks
what a learner would see:

- every code cell ran and no cell shows an error;
- every widget renders: its slider, and its image (drawn) or its text;
- notebook 05's threshold explorer: dragging its slider with the mouse changes precision and
  recall (and the histogram); its frame scrubber: dragging its slider changes the frame (the
  frame number in its text and the picture).

It saves a screenshot per notebook (lab-NN_name.png; for notebook 05, one per widget) under
--shots, shuts every kernel down, stops JupyterLab and the browser, and removes its copies, also
when a check fails. Exits 1 with one line per problem. Where Chromium is absent it prints why
and exits 0 (under CI, where .ci/run installs Chromium, that is an error).
The kernels see the caller's COURSE_PROFILE (`make browser` sets quick: 2 epochs of each model).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402
from run_notebooks import copy_book_files, prepare  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 1300
NOTEBOOK_TIMEOUT = 900  # seconds for one notebook's "Run All": a hang, not a speed target (a slow machine is slower)
WIDGET_TIMEOUT = 30  # seconds for a widget to render, or to answer a slider move
SERVER_TIMEOUT = 90  # seconds for JupyterLab to start
# The course's widgets, by the description of their slider: checked by moving it.
EXPECTED_WIDGETS = {"05_thresholds_roc": {"threshold", "frame"}}
LAB_SETTINGS = {  # the learner's defaults, less what would fetch from the web or hide cells
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


class Problems(list):
    def add(self, notebook: str, text: str) -> None:
        line = f"{notebook}: {text}"
        print(f"  FAIL {line}", flush=True)
        self.append(line)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


class Lab:
    """A JupyterLab server on 127.0.0.1 serving ``root``, in its own process group."""

    def __init__(self, root: Path) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        settings = root / ".jupyter-settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA", "COURSE_DATASET")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
        env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(root / ".jupyter-workspaces")
        env["JUPYTER_RUNTIME_DIR"] = str(root / ".jupyter-runtime")
        self.log_path = root / "jupyterlab.log"
        self.log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
            "--ServerApp.terminals_enabled=False",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI runs as root
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.process.returncode}: {self.tail()}")
            try:
                self.api("GET", "status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_TIMEOUT} s: {self.tail()}")

    def shutdown_kernels(self) -> None:
        for session in self.api("GET", "sessions") or []:
            self.api("DELETE", f"sessions/{session['id']}")

    def tail(self, lines: int = 15) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the kernels and the server down; the process group is killed if it lingers."""
        if self.process.poll() is None:
            try:
                self.shutdown_kernels()
                self.api("POST", "shutdown")
                self.process.wait(timeout=20)
            except Exception:  # noqa: BLE001 - whatever happened, stop it below
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)  # our own group: the server and its kernels
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


def kernel_cpu_seconds(lab: Lab) -> float | None:
    """CPU seconds used so far by the kernels of the server (Linux's /proc; None elsewhere)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == lab.process.pid:  # a child of the server: a kernel
                total += (int(fields[11]) + int(fields[12])) / tick
        return total
    except (OSError, ValueError, IndexError):
        return None


def poll(driver, script: str, timeout: float, every: float = 0.5, *args):
    """The first truthy value of ``script`` (JavaScript, run in the page) within ``timeout`` s, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def open_lab(driver, lab: Lab) -> None:
    driver.get(f"{lab.base}/lab?token={lab.token}")
    ok = poll(driver, "return !!(window.jupyterapp && document.querySelector('.jp-LabShell'))", 90)
    if not ok:
        raise RuntimeError("JupyterLab's page did not start in the browser within 90 s")
    driver.set_script_timeout(90)
    driver.execute_async_script("const done = arguments[arguments.length - 1]; jupyterapp.restored.then(() => done(true));")


OPEN_JS = """
window.__nb = null; window.__ready = false; window.__error = null; window.__done = null;
jupyterapp.commands.execute('docmanager:open', {path: arguments[0], factory: 'Notebook'})
  .then((panel) => { window.__nb = panel; return panel.context.ready.then(() => panel.sessionContext.ready); })
  .then(() => { window.__ready = true; })
  .catch((e) => { window.__error = String(e); });
"""
KERNEL_IDLE_JS = """
const nb = window.__nb;
if (window.__error) return 'error: ' + window.__error;
if (!window.__ready || !nb) return '';
const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
return kernel && kernel.status === 'idle' ? 'idle' : '';
"""
RUN_ALL_JS = """
jupyterapp.shell.activateById(window.__nb.id);
jupyterapp.commands.execute('notebook:run-all-cells')
  .then((ok) => { window.__done = {ok: ok}; }, (e) => { window.__done = {error: String(e)}; });
"""
# '' while running; else a JSON summary of every code cell as the model holds it.
RUN_STATE_JS = """
const nb = window.__nb;
if (!window.__done) return '';
const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
if (!kernel || kernel.status !== 'idle') return '';
if (Array.from(nb.node.querySelectorAll('.jp-InputPrompt')).some((p) => p.textContent.includes('*'))) return '';
const cells = [];
const list = nb.content.model.cells;
for (let i = 0; i < list.length; i++) {
  const c = list.get(i).toJSON();
  if (c.cell_type !== 'code') continue;
  const src = (Array.isArray(c.source) ? c.source.join('') : c.source).split('\\n').find((l) => l.trim()) || '';
  cells.push({index: i, count: c.execution_count, first: src.slice(0, 70),
              errors: c.outputs.filter((o) => o.output_type === 'error').map((o) => o.ename + ': ' + o.evalue),
              widgets: c.outputs.filter((o) => o.data && o.data['application/vnd.jupyter.widget-view+json']).length});
}
return JSON.stringify({done: window.__done, cells: cells});
"""
PROGRESS_JS = """
const list = window.__nb.content.model.cells; let n = 0, ran = 0;
for (let i = 0; i < list.length; i++) { const c = list.get(i); if (c.type === 'code') { n++; if (c.executionCount) ran++; } }
return ran + '/' + n;
"""
# The outputs of the open notebook that hold a widget view (the widget manager's root element).
WIDGET_OUTPUTS = """
const widgetOutputs = () => Array.from(window.__nb.node.querySelectorAll('.jp-OutputArea-output'))
  .filter((o) => o.querySelector(':scope > .jupyter-widgets') || /Error displaying widget/.test(o.textContent));
"""
# Every widget output of the notebook: [description of its first slider, sliders, images drawn,
# images, text, problem].
WIDGETS_JS = WIDGET_OUTPUTS + """
return widgetOutputs()
  .map((out) => {
    const root = out.querySelector('.jupyter-widgets');
    if (!root) return ['', 0, 0, 0, out.textContent.trim().slice(0, 200), 'not rendered'];
    const sliders = out.querySelectorAll('.widget-slider, .widget-hslider');
    const label = sliders.length ? (sliders[0].querySelector('.widget-label') || {}).textContent || '' : '';
    const images = Array.from(out.querySelectorAll('img'));
    const drawn = images.filter((i) => i.complete && i.naturalWidth > 0).length;
    const text = Array.from(out.querySelectorAll('.widget-html-content, .widget-label'))
      .map((e) => e.textContent).join(' ').replace(/\\s+/g, ' ').trim();
    const r = out.getBoundingClientRect();
    let problem = '';
    if (r.height < 10) problem = 'blank';
    else if (!sliders.length && !images.length && !text && !out.querySelector('progress, .progress')) problem = 'no slider, image or text';
    return [label.trim(), sliders.length, drawn, images.length, text.slice(0, 200), problem];
  });
"""
# The state of the widget whose slider is labelled arguments[0]: [slider readout, text, image src].
WIDGET_STATE_JS = WIDGET_OUTPUTS + """
const out = widgetOutputs()
  .find((o) => Array.from(o.querySelectorAll('.widget-slider .widget-label, .widget-hslider .widget-label'))
                 .some((l) => l.textContent.trim() === arguments[0]));
if (!out) return null;
const readout = out.querySelector('.widget-readout');
const html = out.querySelector('.widget-html-content');
const img = out.querySelector('img');
return [readout ? readout.textContent.trim() : '', html ? html.textContent.replace(/\\s+/g, ' ').trim() : '',
        img ? img.src : '', img ? img.complete && img.naturalWidth > 0 : false];
"""
SLIDER_HANDLE_JS = WIDGET_OUTPUTS + """
const out = widgetOutputs()
  .find((o) => Array.from(o.querySelectorAll('.widget-slider .widget-label, .widget-hslider .widget-label'))
                 .some((l) => l.textContent.trim() === arguments[0]));
if (!out) return null;
out.scrollIntoView({block: 'center'});
return out.querySelector('.noUi-handle') || out.querySelector('input[type=range]');
"""


def drag(driver, label: str, dx: int) -> tuple[list, list] | None:
    """Drag the slider labelled ``label`` by ``dx`` pixels with the mouse; (state before, state after)."""
    from selenium.webdriver.common.action_chains import ActionChains

    handle = driver.execute_script(SLIDER_HANDLE_JS, label)
    if handle is None:
        return None
    time.sleep(0.3)
    before = driver.execute_script(WIDGET_STATE_JS, label)
    ActionChains(driver).click_and_hold(handle).pause(0.2).move_by_offset(dx // 2, 0).pause(0.1) \
        .move_by_offset(dx - dx // 2, 0).pause(0.2).release().perform()
    after = before
    deadline = time.monotonic() + WIDGET_TIMEOUT
    while time.monotonic() < deadline:
        after = driver.execute_script(WIDGET_STATE_JS, label)
        if after[1] != before[1] and after[2] != before[2] and after[3]:
            break  # the text and the picture were redrawn
        time.sleep(0.25)
    time.sleep(0.3)
    return before, driver.execute_script(WIDGET_STATE_JS, label)


def number(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def check_threshold_explorer(driver, name: str, problems: Problems) -> None:
    moved = drag(driver, "threshold", -25)
    if moved is None:
        problems.add(name, "no threshold explorer (a slider labelled 'threshold') on the page")
        return
    (r0, t0, img0, _), (r1, t1, img1, drawn) = moved
    p0, p1 = number(r"precision ([\d.]+)", t0), number(r"precision ([\d.]+)", t1)
    q0, q1 = number(r"recall ([\d.]+)", t0), number(r"recall ([\d.]+)", t1)
    print(f"  threshold explorer: slider {r0} -> {r1}; precision {p0} -> {p1}, recall {q0} -> {q1}", flush=True)
    if r1 == r0:
        problems.add(name, f"the threshold slider did not move when dragged (readout {r0})")
    elif p0 is None or q0 is None:
        problems.add(name, f"the threshold explorer shows no precision and recall: {t0!r}")
    elif p1 == p0 or q1 == q0:
        problems.add(name, f"the threshold explorer stopped responding: slider moved {r0} -> {r1}, "
                           f"but precision {p0} -> {p1}, recall {q0} -> {q1}")
    elif img1 == img0 or not drawn:
        problems.add(name, "the threshold explorer's histogram was not redrawn after the slider moved")


def check_frame_scrubber(driver, name: str, problems: Problems) -> None:
    moved = drag(driver, "frame", 40)
    if moved is None:
        problems.add(name, "no frame scrubber (a slider labelled 'frame') on the page")
        return
    (r0, t0, img0, _), (r1, t1, img1, drawn) = moved
    f0, f1 = number(r"frame (\d+)/", t0), number(r"frame (\d+)/", t1)
    print(f"  frame scrubber: slider {r0} -> {r1}; text frame {f0} -> {f1}; picture "
          f"{'redrawn' if img1 != img0 and drawn else 'unchanged'}", flush=True)
    if r1 == r0:
        problems.add(name, f"the frame slider did not move when dragged (readout {r0})")
    elif f1 is None or f1 == f0 or f1 != r1:
        problems.add(name, f"the frame scrubber stopped responding: slider moved {r0} -> {r1}, text shows frame {f0} -> {f1}")
    elif img1 == img0 or not drawn:
        problems.add(name, f"the frame scrubber's picture did not change (slider {r0} -> {r1})")


def screenshot(driver, out: Path, label: str | None = None) -> None:
    """The window, scrolled to the widget with slider ``label``, else to the last picture output."""
    if label:
        driver.execute_script(SLIDER_HANDLE_JS, label)
    else:
        driver.execute_script(
            "const imgs = window.__nb.node.querySelectorAll('.jp-OutputArea-output img');"
            "if (imgs.length) imgs[imgs.length - 1].scrollIntoView({block: 'center'});"
        )
    time.sleep(0.5)
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))


def run_notebook(driver, lab: Lab, path: str, shots: Path, problems: Problems) -> None:
    """Open, run and check one notebook; then save it, close it and shut its kernel down, whatever happened."""
    try:
        _run_and_check(driver, lab, Path(path).stem, path, shots, problems)
    finally:
        driver.set_script_timeout(60)
        driver.execute_async_script(  # saved: no "unsaved changes" dialog over the next notebook
            "const done = arguments[arguments.length - 1];"
            "const nb = window.__nb; (nb ? nb.context.save() : Promise.resolve())"
            ".then(() => jupyterapp.commands.execute('application:close-all'))"
            ".then(() => done(true), (e) => done(String(e)));"
        )
        lab.shutdown_kernels()


def _run_and_check(driver, lab: Lab, name: str, path: str, shots: Path, problems: Problems) -> None:
    start = time.perf_counter()
    driver.execute_script(OPEN_JS, path)
    state = poll(driver, KERNEL_IDLE_JS, 120)
    if state != "idle":
        problems.add(name, f"the notebook did not open with an idle kernel within 120 s ({state or 'no kernel'})")
        return
    driver.execute_script(RUN_ALL_JS)
    deadline, last = time.monotonic() + NOTEBOOK_TIMEOUT, 0.0
    summary = ""
    while time.monotonic() < deadline:
        summary = driver.execute_script(RUN_STATE_JS)
        if summary:
            break
        if time.monotonic() - last > 30:
            print(f"  {name}: {driver.execute_script(PROGRESS_JS)} cells run ({time.perf_counter() - start:.0f} s)", flush=True)
            last = time.monotonic()
        time.sleep(1)
    if not summary:
        problems.add(name, f"Run All did not finish within {NOTEBOOK_TIMEOUT} s "
                           f"({driver.execute_script(PROGRESS_JS)} cells run)")
        screenshot(driver, shots / f"lab-{name}.png")
        return
    result = json.loads(summary)
    cells = result["cells"]
    for cell in cells:
        for error in cell["errors"]:
            problems.add(name, f"cell {cell['index']} ({cell['first']!r}) shows an error: {error[:300]}")
    not_run = [c["index"] for c in cells if c["count"] is None]
    if not_run and not any(c["errors"] for c in cells):
        problems.add(name, f"cells {not_run} did not run")
    ran = time.perf_counter() - start
    widgets = []
    # Widget views the kernel displayed; those it closed since (tqdm's bars) are gone from the page.
    expected = EXPECTED_WIDGETS.get(name, set())
    if sum(c["widgets"] for c in cells) or expected:
        deadline = time.monotonic() + WIDGET_TIMEOUT
        while True:  # until every widget shown is drawn, images included, and the course's widgets are there
            widgets = driver.execute_script(WIDGETS_JS)
            drawn = all(not w[5] and w[2] == w[3] for w in widgets) and expected <= {w[0] for w in widgets}
            if drawn or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for k, (label, sliders, drawn, images, text, problem) in enumerate(widgets, 1):
            what = f"widget {k} ({label or 'no slider'})"
            if problem:
                problems.add(name, f"{what} is {problem}")
            elif drawn < images:
                problems.add(name, f"{what}: {images - drawn} of its {images} image(s) not drawn")
            elif images == 0 and not text:
                problems.add(name, f"{what} shows neither an image nor text")
        if widgets:
            print(f"  {name}: {len(widgets)} widget(s) rendered: "
                  + "; ".join(f"{w[0] or '-'}: {w[1]} slider, {w[2]}/{w[3]} image" for w in widgets), flush=True)
    labels = {w[0] for w in widgets}
    for label in sorted(expected - labels):
        problems.add(name, f"no widget with a slider labelled {label!r} rendered")
    if "threshold" in labels:
        check_threshold_explorer(driver, name, problems)
        screenshot(driver, shots / f"lab-{name}.png", "threshold")
    if "frame" in labels:
        check_frame_scrubber(driver, name, problems)
        screenshot(driver, shots / f"lab-{name}-scrubber.png", "frame")
    if "threshold" not in labels:
        screenshot(driver, shots / f"lab-{name}.png")
    errors = sum(len(c["errors"]) for c in cells)
    cpu = kernel_cpu_seconds(lab)
    print(f"{name}: {len(cells) - len(not_run)}/{len(cells)} code cells run, {errors} errors, "
          f"{len(widgets)} widgets ({ran:.0f} s to run{f', kernel CPU {cpu:.0f} s' if cpu else ''}, "
          f"{time.perf_counter() - start:.0f} s in all)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--shots", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the executed copies in _build/lab/")
    args = parser.parse_args(argv)
    why = browser.missing()
    if why:
        print(f"browser test {'FAILED' if in_ci() else 'skipped'}: {why}"
              + ("; CI requires it (.ci/run installs Chromium)" if in_ci() else ""))
        return 1 if in_ci() else 0
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = time.perf_counter()
    scratch = ROOT / "_build" / "lab"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "notebooks").mkdir(parents=True)
    copy_book_files(scratch)  # what the notebooks read beside them (benchmarks/results)
    for path in paths:
        nb = prepare(path, from_md=False)
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, scratch / "notebooks" / path.name)
    profile = os.environ.get("COURSE_PROFILE", "cpu")
    print(f"browser test: {len(paths)} notebooks in JupyterLab, headless Chromium, COURSE_PROFILE={profile}", flush=True)
    problems = Problems()
    lab = Lab(scratch)
    try:
        lab.wait_ready()
        print(f"JupyterLab up on 127.0.0.1:{lab.port} ({time.perf_counter() - total:.0f} s)", flush=True)
        with browser.chromium(WIDTH, HEIGHT) as driver:
            open_lab(driver, lab)
            for path in paths:
                run_notebook(driver, lab, f"notebooks/{path.name}", args.shots, problems)
    except Exception as error:  # noqa: BLE001 - report, then stop everything below
        problems.append(f"browser test: {type(error).__name__}: {str(error).strip()[:500]}")
        print(f"JupyterLab's log ends:\n{lab.tail()}")
    finally:
        lab.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - total
    used = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))  # this process, JupyterLab and its kernels, the browser
    elapsed_text = f"{elapsed:.0f} s, {used:.0f} s of CPU time"
    for line in problems:
        print(line)
    if problems:
        print(f"browser test FAILED: {len(problems)} problem(s) ({elapsed_text})")
        return 1
    print(f"browser test OK: {len(paths)} notebooks run in JupyterLab without an error, widgets respond "
          f"({elapsed_text}); screenshots in {args.shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
