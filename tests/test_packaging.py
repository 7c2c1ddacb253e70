"""Packaging: environment.yml installs exactly what pyproject.toml declares, and the docs' torch pin."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, a dependency of pytest there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def by_name(requirements: list[str]) -> dict[str, Requirement]:
    """Requirements keyed by their normalised name; a name given twice is an error."""
    out: dict[str, Requirement] = {}
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name not in out, f"{req.name} is listed twice"
        out[name] = req
    return out


def declared() -> dict[str, Requirement]:
    """pyproject.toml's dependencies and its dev extras."""
    project = pyproject()["project"]
    return by_name(project["dependencies"] + project["optional-dependencies"]["dev"])


def pip_section(env: dict) -> list[str]:
    sections = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict) and "pip" in entry]
    assert len(sections) == 1, "environment.yml needs one `pip:` list"
    return [str(line).strip() for line in sections[0]]


def env_requirements(env: dict) -> dict[str, Requirement]:
    """The packages environment.yml's pip list names (options such as -e and --extra-index-url aside)."""
    return by_name([line for line in pip_section(env) if not line.startswith("-")])


def drift(wanted: dict[str, Requirement], listed: dict[str, Requirement]) -> list[str]:
    """One line per difference between pyproject's requirements and environment.yml's."""
    problems = [f"{wanted[name]} (pyproject.toml) is missing from environment.yml" for name in sorted(wanted.keys() - listed.keys())]
    problems += [f"{listed[name]} (environment.yml) is not in pyproject.toml" for name in sorted(listed.keys() - wanted.keys())]
    for name in sorted(wanted.keys() & listed.keys()):
        a, b = wanted[name], listed[name]
        if (a.specifier, a.extras, str(a.marker or "")) != (b.specifier, b.extras, str(b.marker or "")):
            problems.append(f"{name}: pyproject.toml says {a}, environment.yml says {b}")
    return problems


def test_environment_lists_every_dependency_with_the_same_spec():
    problems = drift(declared(), env_requirements(environment()))
    assert not problems, "\n".join(problems)


def test_drift_is_caught():
    wanted = declared()
    listed = dict(wanted)
    listed["numpy"] = Requirement("numpy>=1.0")
    del listed["pytest"]
    listed["pyyaml"] = Requirement("pyyaml")
    problems = drift(wanted, listed)
    assert len(problems) == 3
    assert any("pytest" in p and "missing" in p for p in problems)
    assert any("pyyaml" in p and "not in pyproject" in p for p in problems)
    assert any(p.startswith("numpy:") for p in problems)


def test_environment_installs_the_package_itself():
    editable = [line for line in pip_section(environment()) if line.startswith("-e")]
    assert editable, "environment.yml must install the package: `-e .`"
    assert all(re.fullmatch(r"-e\s+\.(\[dev\])?", line) for line in editable), editable


def test_environment_python_meets_requires_python():
    pins = [str(d) for d in environment()["dependencies"] if isinstance(d, str) and re.match(r"python\b", d)]
    assert len(pins) == 1, pins
    version = pins[0].split("=", 1)[1].lstrip("=")
    assert SpecifierSet(pyproject()["project"]["requires-python"]).contains(version)


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    data = pyproject()
    assert data["project"]["license"] == "MIT"  # PEP 639; the table form is deprecated by setuptools
    setuptools = by_name(data["build-system"]["requires"])["setuptools"]
    assert not setuptools.specifier.contains("76.9"), "a license string needs setuptools>=77"


@pytest.mark.parametrize("doc", ["README.md", "environment.yml"])
def test_docs_name_the_pinned_torch(doc):
    pin = declared()["torch"]
    assert str(pin.specifier).startswith("=="), "torch is pinned to one version"
    version = str(pin.specifier)[2:]
    mentioned = set(re.findall(r"torch==([0-9][0-9A-Za-z.+]*[0-9A-Za-z])", (ROOT / doc).read_text(encoding="utf-8")))
    assert mentioned == {version}, f"{doc} names torch {sorted(mentioned)}, pyproject.toml pins {version}"


def test_every_module_the_package_imports_is_declared():
    """A third-party import of `companion` is a runtime dependency in pyproject.toml (not only
    something another dependency happens to pull in)."""
    runtime = {canonicalize_name(r.name) for r in by_name(pyproject()["project"]["dependencies"]).values()}
    dists = packages_distributions()
    missing = []
    for path in sorted((Path(__file__).resolve().parents[1] / "companion").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for top in {n.split(".")[0] for n in names} - {"companion", "__future__"} - set(sys.stdlib_module_names):
                if not {canonicalize_name(d) for d in dists.get(top, [top])} & runtime:
                    missing.append(f"{path.name} imports {top} ({', '.join(dists.get(top, ['?']))})")
    assert not missing, "\n".join(sorted(set(missing)))
