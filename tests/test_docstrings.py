"""Traceability that cannot drift: "Introduced in notebook NN" names a notebook that uses the symbol.

Every public function and class of `companion` whose docstring says "Introduced in notebook NN"
must be named as code (backticks, a call, an attribute, an import) in notebook NN's MyST source
(`notebooks/NN_*.md`, the text an author edits); a module whose docstring says so must be named
there as `companion.<module>` or `<module>.py`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import companion

REPO = Path(__file__).resolve().parents[1]
INTRODUCED = re.compile(r"Introduced in notebook (\d\d)")


def _public_symbols() -> list[tuple[str, str, object]]:
    """(module, name, object) of each public function and class defined in a `companion` module."""
    found = []
    for info in pkgutil.iter_modules(companion.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"companion.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) == module.__name__:
                found.append((module.__name__, name, obj))
    return found


def _notebook_text(number: str) -> str:
    paths = sorted((REPO / "notebooks").glob(f"{number}_*.md"))
    assert len(paths) == 1, f"no single notebooks/{number}_*.md: {paths}"
    return paths[0].read_text()


CLAIMS = [(f"{module}.{name}", m.group(1)) for module, name, obj in _public_symbols()
          for m in [INTRODUCED.search(inspect.getdoc(obj) or "")] if m]


MODULE_CLAIMS = [(info.name, m.group(1)) for info in pkgutil.iter_modules(companion.__path__)
                 if not info.name.startswith("_")
                 for m in [INTRODUCED.search(importlib.import_module(f"companion.{info.name}").__doc__ or "")] if m]


@pytest.mark.parametrize("module,number", MODULE_CLAIMS, ids=[m for m, _ in MODULE_CLAIMS])
def test_the_notebook_named_in_a_module_docstring_uses_the_module(module: str, number: str) -> None:
    text = _notebook_text(number)
    assert re.search(rf"companion\.{module}\b|\b{module}\.py\b", text), (
        f"companion/{module}.py says 'Introduced in notebook {number}', but notebooks/{number}_*.md never names "
        f"companion.{module}: point it at the notebook that uses it, or drop the line"
    )


def test_some_symbols_name_their_notebook() -> None:
    assert len(CLAIMS) > 20, CLAIMS  # the convention of CONTRIBUTING.md is in use


@pytest.mark.parametrize("symbol,number", CLAIMS, ids=[s for s, _ in CLAIMS])
def test_the_notebook_named_in_the_docstring_uses_the_symbol(symbol: str, number: str) -> None:
    name = re.escape(symbol.rsplit(".", 1)[1])
    text = _notebook_text(number)
    # Named as code, not as an English word ("fit", "protocol"): in backticks, called, an attribute,
    # or imported (one name per line in a long import).
    as_code = rf"`[^`\n]*\b{name}\b[^`\n]*`|\b{name}\(|\.{name}\b|^\s*(from|import)\b.*\b{name}\b|^\s+{name},?$"
    assert re.search(as_code, text, re.M), (
        f"{symbol}'s docstring says 'Introduced in notebook {number}', but notebooks/{number}_*.md never names "
        f"{name}: point the docstring at the notebook that uses it, or drop the line"
    )


def test_a_drifted_docstring_is_caught() -> None:
    """The check itself: a symbol that notebook 01 never names fails it."""
    assert not re.search(r"\bfit_background\b", _notebook_text("01"))
