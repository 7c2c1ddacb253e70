"""The package imports one way: every import between companion modules, those inside functions
and under ``if TYPE_CHECKING`` included, goes from a layer to the same or a lower one, never in a cycle.

The layers are declared here, once (CONTRIBUTING.md's package map follows them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "companion"

#: Lowest first: a module may import modules of its own layer (without a cycle) or of lower layers.
LAYERS: dict[str, set[str]] = {
    "foundation": {"__init__", "errors", "paths"},  # what every layer uses: the version, errors, the cache folder
    "data": {"layout", "groundtruth", "frames", "cache", "report", "download", "synth"},
    "inputs": {"tensors", "signals"},
    "model": {"convlstm", "model", "task", "device", "checkpoints"},
    "training": {"settings", "train", "reference"},
    "evaluation": {"scoring", "scorings", "regions", "baselines", "evaluation", "combine", "scores_csv", "events"},
    "metrics, plots, widgets": {"metrics", "plots", "widgets"},
    "cli": {"cli", "__main__"},
}


def imports_of(path: Path, package: Path) -> set[str]:
    """The companion modules ``path`` imports anywhere in its code (module level, functions, branches)."""
    modules = {p.stem for p in package.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "companion":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and not (node.module or "").startswith("companion"):
                continue
            parts = (node.module or "").split(".")[0 if node.level else 1 :]
            if node.level == 0 and parts and parts[0] == "companion":
                parts = parts[1:]
            if parts and parts[0]:
                found.add(parts[0])
            else:  # from companion import x / from . import x: x is a module, or a name of __init__
                found |= {a.name if a.name in modules else "__init__" for a in node.names}
    found.discard(path.stem)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the companion modules it imports."""
    return {p.stem: imports_of(p, package) for p in sorted(package.glob("*.py"))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a layer to a higher one, as "a (layer) -> b (higher layer)"."""
    rank = {m: i for i, modules in enumerate(LAYERS.values()) for m in modules}
    names = list(LAYERS)
    return [
        f"{m} ({names[rank[m]]}) -> {d} ({names[rank[d]]})"
        for m, deps in sorted(graph.items())
        for d in sorted(deps)
        if m in rank and d in rank and rank[d] > rank[m]
    ]


def test_every_module_has_one_layer() -> None:
    declared = [m for modules in LAYERS.values() for m in modules]
    assert len(declared) == len(set(declared)), "a module is declared in two layers"
    present = {p.stem for p in PACKAGE.glob("*.py")}
    assert present - set(declared) == set(), "place the new module in a layer of LAYERS"
    assert set(declared) - present == set(), "LAYERS names a module that no longer exists"


def test_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_imports_go_down_the_layers() -> None:
    assert layer_violations(import_graph()) == []


def test_the_parser_sees_imports_inside_functions_and_cycles(tmp_path: Path) -> None:
    """The checks catch what only function-level imports kept working (the cycle of issue 11)."""
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "scoring.py").write_text("def f():\n    from companion.train import load_model\n")
    (tmp_path / "train.py").write_text("import companion.signals\n")
    (tmp_path / "signals.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import scoring\n")
    graph = import_graph(tmp_path)
    assert graph["scoring"] == {"train"} and graph["train"] == {"signals"} and graph["signals"] == {"scoring"}
    assert find_cycle(graph) == ["scoring", "train", "signals", "scoring"]
    assert layer_violations(graph) == ["signals (inputs) -> scoring (evaluation)"]


@pytest.mark.parametrize("module", sorted(LAYERS["foundation"]))
def test_the_foundation_imports_nothing_of_the_package(module: str) -> None:
    assert imports_of(PACKAGE / f"{module}.py", PACKAGE) == set()


def function_level_imports(path: Path) -> list[str]:
    """``name:line`` of each import statement inside a function of ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [f"{path.name}:{n.lineno}" for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return sorted(set(found))


def test_imports_inside_functions_only_in_the_cli() -> None:
    """The command line imports lazily so that ``companion --help`` stays fast; nothing else does."""
    found = [hit for p in sorted(PACKAGE.glob("*.py")) if p.stem not in LAYERS["cli"] for hit in function_level_imports(p)]
    assert found == [], "move these imports to the top of their module (or the code to a higher layer)"


def test_function_level_imports_are_found(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os\n\ndef f():\n    import json\n    return json\n")
    assert function_level_imports(tmp_path / "m.py") == ["m.py:4"]
