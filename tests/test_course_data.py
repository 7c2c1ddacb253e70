"""The data switch of the notebooks: `course_data()` reads $COURSE_DATA and $COURSE_DATASET.

A relative $COURSE_DATA is taken from the repository root (the notebooks' kernels run in
notebooks/), the dataset defaults to the only one present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from companion import synth
from companion.errors import DatasetNotFoundError
from companion.layout import open_dataset
from companion.synth import course_data, course_path, repo_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _switch_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.delenv("COURSE_DATASET", raising=False)


def _repo(base: Path, marker: str = "notebooks") -> Path:
    """A course checkout in miniature: pyproject.toml beside notebooks/ (or companion/)."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "pyproject.toml").write_text("[project]\nname = 'companion'\n")
    (base / marker).mkdir()
    return base


def _download(base: Path, *names: str) -> Path:
    """A folder holding UCSD_Anomaly_Dataset.v1p2/ with the dataset folders ``names`` (empty)."""
    for name in names:
        (base / "UCSD_Anomaly_Dataset.v1p2" / name / "Test" / "Test001").mkdir(parents=True)
    return base


def test_unset_or_empty_gives_the_synthetic_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(synth, "default_dataset", lambda: tmp_path / "UCSDsynth")
    assert course_data() == (tmp_path / "UCSDsynth", "synth")
    monkeypatch.setenv("COURSE_DATA", "")
    assert course_data() == (tmp_path / "UCSDsynth", "synth")


@pytest.mark.parametrize("where", ["", "notebooks", "notebooks/deeper"])
def test_relative_path_is_taken_from_the_repository_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    repo = _repo(tmp_path / "course")
    data = _download(repo / "data" / "ucsd", "UCSDped1")
    (repo / where).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(repo / where)
    monkeypatch.setenv("COURSE_DATA", "data/ucsd")
    assert course_data() == (data, "ped1")


def test_the_readme_command_opens_the_dataset_from_notebooks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, synth_root: Path
) -> None:
    """`COURSE_DATA=data/ucsd jupyter lab notebooks/`: the kernel runs in notebooks/."""
    repo = _repo(tmp_path / "course")
    (repo / "data").mkdir()
    (repo / "data" / "ucsd").symlink_to(synth_root.parents[1], target_is_directory=True)
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("COURSE_DATA", "data/ucsd")
    root, dataset = course_data()
    assert (root, dataset) == (repo / "data" / "ucsd", "synth")  # the symlink is kept, not resolved
    ds = open_dataset(root, dataset=dataset)
    assert ds.name == "UCSDsynth" and ds.clips["Test"]


def test_dot_dot_leaves_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The README's `COURSE_DATA=../shared/data/ucsd-ped1-sample`, written from the root."""
    repo = _repo(tmp_path / "work" / "main")
    sample = _download(tmp_path / "work" / "shared" / "data" / "sample", "UCSDped1")
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("COURSE_DATA", "../shared/data/sample")
    assert course_data() == (sample, "ped1")


def test_companion_folder_also_marks_the_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "course", marker="companion")
    (repo / "companion" / "sub").mkdir()
    monkeypatch.chdir(repo / "companion" / "sub")
    assert repo_root() == repo
    assert course_path("data") == repo / "data"


def test_pyproject_alone_is_not_a_course_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "course")
    inner = repo / "notebooks" / "other-project"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'other'\n")
    monkeypatch.chdir(inner)
    assert repo_root() == repo


def test_the_nearest_course_root_wins(tmp_path: Path) -> None:
    outer = _repo(tmp_path / "outer")
    inner = _repo(outer / "copies" / "inner")
    assert repo_root(inner / "notebooks") == inner
    assert repo_root(outer / "copies") == outer


def test_outside_a_repository_the_current_directory_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    here = tmp_path / "plain" / "notebooks"
    here.mkdir(parents=True)
    if repo_root(here) is not None:
        pytest.skip(f"{tmp_path} lies inside a course repository")
    data = _download(here / "data", "UCSDped2")
    monkeypatch.chdir(here)
    monkeypatch.setenv("COURSE_DATA", "data")
    assert course_data() == (data, "ped2")


def test_absolute_and_home_paths_are_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "course")
    elsewhere = _download(tmp_path / "elsewhere", "UCSDped2")
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("COURSE_DATA", str(elsewhere))
    assert course_data() == (elsewhere, "ped2")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA", "~/elsewhere")
    assert course_data() == (elsewhere, "ped2")


def test_dataset_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = _download(tmp_path / "ucsd", "UCSDped1", "UCSDped2")
    monkeypatch.setenv("COURSE_DATA", str(data))
    monkeypatch.setenv("COURSE_DATASET", "ped2")
    assert course_data() == (data, "ped2")
    monkeypatch.setenv("COURSE_DATASET", "")  # empty counts as unset
    assert course_data() == (data, "ped1")


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (("UCSDped1",), "ped1"),
        (("UCSDped2",), "ped2"),
        (("UCSDsynth",), "synth"),
        (("UCSDped1", "UCSDped2"), "ped1"),  # several: ped1, as open_dataset picks
        (("UCSDped2", "UCSDsynth"), "ped1"),  # several without ped1: open_dataset says so
    ],
)
def test_unset_dataset_is_the_only_one_present(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, present: tuple[str, ...], expected: str
) -> None:
    data = _download(tmp_path / "ucsd", *present)
    monkeypatch.setenv("COURSE_DATA", str(data))
    assert course_data() == (data, expected)


def test_a_dataset_folder_given_directly_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = _download(tmp_path / "ucsd", "UCSDped1", "UCSDped2")
    folder = data / "UCSD_Anomaly_Dataset.v1p2" / "UCSDped2"
    monkeypatch.setenv("COURSE_DATA", str(folder / "Test"))
    assert course_data() == (folder / "Test", "ped2")


def test_a_missing_folder_is_reported_at_the_repository_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "course")
    monkeypatch.chdir(repo / "notebooks")
    monkeypatch.setenv("COURSE_DATA", "data/ucsd")
    root, dataset = course_data()
    assert (root, dataset) == (repo / "data" / "ucsd", "ped1")
    with pytest.raises(DatasetNotFoundError, match=f"{repo / 'data' / 'ucsd'} does not exist") as err:
        open_dataset(root, dataset=dataset)
    assert "notebooks" not in str(err.value)


def test_relative_sample_path_from_the_notebooks_folder(monkeypatch: pytest.MonkeyPatch, ped1_sample: Path) -> None:
    """The real sample, named relative to this checkout's root, from a kernel in notebooks/."""
    monkeypatch.chdir(REPO / "notebooks")
    monkeypatch.setenv("COURSE_DATA", os.path.relpath(ped1_sample, REPO))
    root, dataset = course_data()
    assert root == Path(os.path.abspath(ped1_sample)) and dataset == "ped1"
    assert open_dataset(root, dataset=dataset).clips["Test"]
