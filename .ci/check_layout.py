"""Look at every page of the built book as a reader does, in headless Chromium, and fail on:

- content wider than its column: text, code or a table that runs past the right edge of the page's
  column, or is cut off by a box that hides its overflow, or sits in a box that scrolls without a
  visible scrollbar (Chromium is started with overlay scrollbars, as macOS and phones show them:
  a box that scrolls only passes when the book's CSS gives it a scrollbar that stays visible);
- a blank widget area: a stored widget view that the vendored widget manager did not render, or
  rendered without its slider, image or text;
- any request that leaves the machine (a script, style, font or image from another host): the
  pages are served from 127.0.0.1 and every request the browser makes is logged.

    .venv/bin/python .ci/check_layout.py [_build/html] [--shots DIR]

Run after the book is built (`make book` does). Exits 1 with one line per problem. Where Chromium
is absent it prints why and exits 0, except under CI (CI=true), where .ci/run installs Chromium
and its absence is an error. --shots DIR saves a PNG of each notebook page (the whole page).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 1000  # a laptop's window: the column is about 750 px wide
WIDGET_TIMEOUT = 30  # seconds for the widget manager to render a page's widgets
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}
WIDGET_MANAGER = "_static/widgets/embed.js"  # .ci/vendor_widgets.sh, loaded by book.yml's nb_ipywidgets_js

# Runs in the page: every layout problem as [kind, where, text]. The column is the article
# (sphinx-book-theme's main content); a problem is reported once, on its outermost element.
LAYOUT_JS = r"""
const col = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const box = col.getBoundingClientRect();
const problems = [];
const seen = new Set();
const visible = (e) => {
  const cs = getComputedStyle(e);
  if (cs.display === 'none' || cs.visibility === 'hidden') return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
};
const where = (e) => {
  const parts = [];
  for (let a = e; a && a !== col && parts.length < 4; a = a.parentElement) {
    const cls = (a.className && a.className.toString().trim().split(/\s+/)[0]) || '';
    parts.unshift(a.tagName.toLowerCase() + (cls ? '.' + cls : ''));
  }
  const section = e.closest('section[id]');
  return (section ? '#' + section.id + ' ' : '') + parts.join(' > ');
};
const text = (e) => (e.innerText || e.textContent || e.getAttribute('alt') || '').replace(/\s+/g, ' ').trim().slice(0, 70);
const report = (kind, e) => {
  if (seen.has(e)) return;
  seen.add(e);
  problems.push([kind, where(e), text(e)]);
};
// The nearest ancestor inside the column that does not let its content overflow visibly.
const clipper = (e) => {
  for (let a = e.parentElement; a && a !== col; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return a;
  }
  return null;
};
const scrollbar = (a) => {
  const cs = getComputedStyle(a);
  return a.offsetHeight - a.clientHeight - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
};
// Its right edge as drawn: the box, or its text when that overflows the box visibly.
const right = (e, cs) => {
  const r = e.getBoundingClientRect();
  return cs.overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
    ? Math.max(r.right, r.left + e.clientLeft + e.scrollWidth) : r.right;
};
// Screen-reader-only copies (MathJax's assistive MathML, Sphinx's visually-hidden text) are
// clipped to nothing on purpose: set aside while measuring.
const aside = Array.from(col.querySelectorAll('*')).filter((e) => getComputedStyle(e).clip.startsWith('rect'));
const display = aside.map((e) => e.style.display);
aside.forEach((e) => e.style.setProperty('display', 'none', 'important'));
const outside = [];
for (const e of col.querySelectorAll('*')) {
  if (['SCRIPT', 'STYLE', 'BR', 'WBR'].includes(e.tagName) || !visible(e)) continue;
  const cs = getComputedStyle(e);
  const wide = e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0;
  // A box that scrolls sideways must show its scrollbar (overlay scrollbars draw none).
  if (wide && (cs.overflowX === 'auto' || cs.overflowX === 'scroll') && scrollbar(e) < 3)
    report('scrolls without a visible scrollbar (looks cut off)', e);
  // A box that hides what does not fit.
  if (wide && (cs.overflowX === 'hidden' || cs.overflowX === 'clip') && (e.innerText || '').trim())
    report('cut off (overflow ' + cs.overflowX + ')', e);
  const r = e.getBoundingClientRect();
  if (right(e, cs) > box.right + 1 || r.left < box.left - 1) outside.push(e);
}
for (const e of outside) {
  const a = clipper(e);
  if (a !== null) continue;  // inside a box that scrolls or clips: judged above
  let top = e;  // report the outermost element that runs past the column
  for (let p = e.parentElement; p && p !== col; p = p.parentElement) if (outside.includes(p)) top = p;
  report('wider than the column', top);
}
aside.forEach((e, i) => { e.style.removeProperty('display'); if (display[i]) e.style.display = display[i]; });
const html = document.documentElement;
if (html.scrollWidth > html.clientWidth + 1) problems.push(['page scrolls sideways', 'html', html.scrollWidth + ' px wide in a ' + html.clientWidth + ' px window']);
return problems;
"""

# Runs in the page: the state of each stored widget view: [rendered, problem or "", summary].
WIDGETS_JS = r"""
return Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')).map((tag) => {
  const area = tag.previousElementSibling;
  if (!area || !area.classList.contains('widget-subarea')) return [false, 'not rendered', ''];
  const r = area.getBoundingClientRect();
  const sliders = area.querySelectorAll('.widget-slider, .widget-hslider, .noUi-target, input[type=range]').length;
  const images = Array.from(area.querySelectorAll('img'));
  const broken = images.filter((i) => !(i.complete && i.naturalWidth > 0)).length;
  const words = (area.innerText || '').trim();
  const bars = area.querySelectorAll('.progress, .widget-progress, progress').length;
  let problem = '';
  if (r.height < 10 || r.width < 10) problem = 'blank (' + Math.round(r.width) + 'x' + Math.round(r.height) + ' px)';
  else if (/error displaying widget/i.test(words)) problem = words.slice(0, 80);
  else if (broken) problem = broken + ' image(s) not drawn';
  else if (!sliders && !images.length && !words && !bars) problem = 'no slider, image or text';
  const summary = sliders + ' slider(s), ' + images.length + ' image(s), text: ' + words.replace(/\s+/g, ' ').slice(0, 60);
  return [true, problem, summary];
});
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102 - no access log on stderr
        pass


@functools.lru_cache(maxsize=1)
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def serve(directory: Path) -> http.server.ThreadingHTTPServer:
    """A static file server for the book on 127.0.0.1 (a free port), in a daemon thread."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def external_requests(driver) -> list[str]:
    """URLs the browser requested from anywhere but this machine since the last call."""
    found = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        parsed = urlparse(url)
        if parsed.scheme in LOCAL_SCHEMES or parsed.hostname in LOCAL_HOSTS:
            continue
        found.append(url)
    return found


def wait_for_page(driver, widgets: bool = True, timeout: float | None = None) -> None:
    """Until the page is loaded, MathJax has typeset it and the widget manager has rendered every view."""
    deadline = time.monotonic() + (WIDGET_TIMEOUT if timeout is None else timeout)
    while time.monotonic() < deadline:
        done = driver.execute_script(
            """
            if (document.readyState !== 'complete') return false;
            const views = arguments[0] ? document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]') : [];
            for (const v of views) {
              const a = v.previousElementSibling;
              if (!a || !a.classList.contains('widget-subarea') || !a.firstElementChild) return false;
              for (const i of a.querySelectorAll('img')) if (!i.complete) return false;
            }
            if (window.MathJax && MathJax.startup && MathJax.startup.promise && !window.__mathjaxDone) {
              MathJax.startup.promise.then(() => { window.__mathjaxDone = true; });
              return false;
            }
            return true;
            """,
            widgets,
        )
        if done:
            return
        time.sleep(0.25)


def check_page(driver, base: str, page: str, widgets: bool) -> list[str]:
    """The problems of one page; ``widgets``: the book has a widget manager, so every view must render."""
    driver.get(f"{base}/{page}")
    wait_for_page(driver, widgets)
    time.sleep(0.3)  # a last layout pass (fonts, images)
    problems = [f"{page}: {kind}: {where}: {text!r}" for kind, where, text in driver.execute_script(LAYOUT_JS)]
    views = driver.execute_script(WIDGETS_JS) if widgets else []
    for index, (rendered, problem, summary) in enumerate(views, 1):
        if problem:
            problems.append(f"{page}: widget view {index} of {len(views)}: {problem}" + (f" ({summary})" if rendered else ""))
    problems += [f"{page}: requests a resource from another host: {url}" for url in external_requests(driver)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--shots", type=Path, help="save a full-page PNG of each notebook page here")
    args = parser.parse_args(argv)
    why = browser.missing()
    if why:
        if _in_ci():
            print(f"layout check: {why}; CI requires it (.ci/run installs Chromium)")
            return 1
        print(f"layout check skipped: {why}")
        return 0
    build = args.build.resolve()
    pages = sorted(p.relative_to(build).as_posix() for p in build.rglob("*.html")
                   if not p.relative_to(build).parts[0].startswith(("_static", "_sources", "_images")))
    if not pages:
        print(f"layout check: no HTML pages under {build}: build the book first (make book)")
        return 1
    widgets = (build / WIDGET_MANAGER).is_file()
    if not widgets:
        if _in_ci():
            print(f"layout check: {WIDGET_MANAGER} is missing: CI draws the stored widgets (.ci/vendor_widgets.sh)")
            return 1
        print(f"notice: the book has no widget manager ({WIDGET_MANAGER}: npm was not found), so its widget "
              "areas are empty and not checked")
    start = time.perf_counter()
    server = serve(build)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    problems: list[str] = []
    rendered = 0
    try:
        with browser.chromium(WIDTH, HEIGHT, performance_log=True, overlay_scrollbars=True) as driver:
            for page in pages:
                problems += check_page(driver, base, page, widgets)
                rendered += driver.execute_script("return document.querySelectorAll('.widget-subarea').length")
                if args.shots and page.startswith("notebooks/"):
                    browser.full_page_screenshot(driver, args.shots / f"book-{Path(page).stem}.png")
    finally:
        server.shutdown()
        server.server_close()
    for line in problems:
        print(line)
    if problems:
        print(f"layout check: {len(problems)} problem(s) on {len(pages)} pages")
        return 1
    print(f"layout OK: {len(pages)} pages in headless Chromium ({WIDTH}x{HEIGHT}): nothing wider than its column, "
          f"{rendered} widget views rendered, no request to another host ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
