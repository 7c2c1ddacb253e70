"""Check the built book: every page of toc.yml exists, and no page loads anything from the web.

Run after `jupyter-book build` (the `book` target of the Makefile):
    .venv/bin/python .ci/check_book.py [_build/html]
Exits 1 with one line per problem.

One exception outside CI: a book built without the vendored MathJax (no npm, see
.ci/vendor_mathjax.sh) loads the standard MathJax from Sphinx's default CDN URL; that is reported
as a notice. In CI (CI=true) the vendored copy is required and that build fails the check.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# <script src="https://...">, <script src="//cdn...">, and the same for stylesheets and fonts.
EXTERNAL = re.compile(
    r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?((https?:)?//[^"'\s>]+)""", re.I
)
LOCAL_MATHJAX = "_static/mathjax/tex-chtml.js"
# Sphinx's default mathjax_path, used when vendor_mathjax.sh found no npm (see its notice).
try:
    from sphinx.ext.mathjax import MATHJAX_URL as CDN_MATHJAX
except ImportError:  # pragma: no cover - Sphinx 7's value
    CDN_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
# Any http(s) URL of a script inside an inline <script>: none may be loaded unless listed here.
INLINE_JS_URL = re.compile(r"""https?://[^"'\s<>]+\.m?js\b""")
INERT = {
    # sphinx-thebe (always loaded by Jupyter Book 1) writes this URL into an inline config; it is
    # fetched only when a reader presses a "live code" launch button, which this book does not
    # show (launch_buttons.thebe: false in book.yml).
    "https://unpkg.com/thebe@": "sphinx-thebe launch button (disabled)",
}


def toc_files(toc: dict) -> list[str]:
    """Every `file:` of a jb-book table of contents, root first, in order."""
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def external_refs(html: str) -> list[str]:
    """External URLs a page would load (hyperlinks to other sites are fine and not listed)."""
    found = []
    for tag, _attr, url, _scheme in EXTERNAL.findall(html):
        if tag.lower() == "link":
            # <link href=...> loads something only for these rel values.
            rels = re.findall(r"""<link\b[^>]*\brel\s*=\s*["']([^"']+)["'][^>]*\bhref\s*=\s*["']?""" + re.escape(url), html, re.I)
            if not any(r.lower() in {"stylesheet", "preload", "modulepreload", "icon"} for r in rels):
                continue
        found.append(f"<{tag}> {url}")
    for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.I | re.S):
        for url in INLINE_JS_URL.findall(body):
            if not any(url.startswith(prefix) for prefix in INERT):
                found.append(f"inline <script> {url}")
    return found


def in_ci() -> bool:
    """True under CI (the CI variable most services set), where the vendored MathJax is required."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def main(build: Path) -> int:
    problems: list[str] = []
    ci = in_ci()
    toc = yaml.safe_load((ROOT / "toc.yml").read_text())
    for page in toc_files(toc):
        if not (build / f"{page}.html").is_file():
            problems.append(f"missing page: {build / page}.html (listed in toc.yml)")
    pages = sorted(build.rglob("*.html"))
    if not pages:
        problems.append(f"no HTML pages under {build}: build the book first (make book)")
    vendored, cdn = False, []  # cdn: the pages loading MathJax from its CDN
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        name = str(page.relative_to(build))
        loads_cdn = False
        for ref in external_refs(html):
            if ref == f"<script> {CDN_MATHJAX}":
                loads_cdn = True
            else:
                problems.append(f"{name} loads an external resource: {ref}")
        if loads_cdn:
            cdn.append(name)
            if ci:
                problems.append(f"{name} loads MathJax from its CDN ({CDN_MATHJAX}): CI requires the vendored "
                                f"{LOCAL_MATHJAX} (install npm: .ci/vendor_mathjax.sh vendors it)")
        vendored = vendored or LOCAL_MATHJAX in html
        if 'class="math notranslate' in html and LOCAL_MATHJAX not in html and not loads_cdn:
            problems.append(f"{name} uses math but loads no MathJax (neither the vendored {LOCAL_MATHJAX} nor the CDN's)")
    if vendored and not (build / LOCAL_MATHJAX).is_file():
        problems.append(f"{LOCAL_MATHJAX} is missing from the build (run .ci/vendor_mathjax.sh)")
    for line in problems:
        print(line)
    if problems:
        return 1
    if not cdn:
        print(f"book OK: {len(pages)} pages, every toc page present, no external scripts or styles")
        return 0
    print(f"book OK: {len(pages)} pages, every toc page present, no external scripts or styles but MathJax")
    print(f"notice: {len(cdn)} pages load MathJax from its CDN ({CDN_MATHJAX}): math needs the network "
          "when read; install npm and rerun make book for the offline copy (CI requires it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "html"))
