"""Discovery of UCSD-layout datasets: clips, frames, masks, ground truth and junk.

The official archive holds ``UCSD_Anomaly_Dataset.v1p2/UCSDped1/{Train,Test}/`` (and
``UCSDped2/``); the synthetic dataset of this course uses the same layout as ``UCSDsynth/``.
Anything that is not a clip folder, a frame, a mask folder, a mask or the ground-truth ``.m``
file is *junk*: it is listed (``UCSDDataset.junk``) and never loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from companion.errors import CompanionError, DatasetNotFoundError
from companion.groundtruth import GroundTruthError, Ranges, frame_labels, parse_m, ranges_of

DATASETS = {"ped1": "UCSDped1", "ped2": "UCSDped2", "synth": "UCSDsynth"}
ARCHIVE_DIR = "UCSD_Anomaly_Dataset.v1p2"
SPLITS = ("Train", "Test")
MANIFEST = "synth.json"  # UCSDsynth/ describes its planted events here; not junk

# Frames as released (TIFF) or re-encoded (PNG, JPEG): any of them, numbered the same way.
FRAME_NAME = re.compile(r"([0-9]+)\.(?:tiff?|png|jpe?g)", re.IGNORECASE)
MASK_NAME = re.compile(r"(?:frame)?([0-9]+)\.bmp", re.IGNORECASE)
MAX_FRAME = 99_999  # a larger number in a frame name is junk, not a 100 000-frame gap
_CLIP_DIR = {split: re.compile(split + r"([0-9]+)") for split in SPLITS}
_MASK_DIR = re.compile(r"(Test[0-9]+)_gt")


class ClipSelectionError(CompanionError):
    """A clip specification that is malformed or names clips the dataset does not have."""


@dataclass(frozen=True, eq=False)
class Clip:
    """One clip folder: its frames in numeric order and, for labelled test clips, per-frame labels.

    ``labels[i]`` is True when ``frames[i]`` is abnormal; None for training clips and for test
    clips missing from the ground-truth file.
    """

    split: str
    name: str
    path: Path
    frames: tuple[Path, ...] = field(repr=False)
    mask_dir: Path | None = field(repr=False)
    labels: np.ndarray | None = field(repr=False)

    @property
    def number(self) -> int:
        """The clip number, e.g. 17 for ``Test017``."""
        return int(self.name[len(self.split) :])

    @property
    def frame_numbers(self) -> np.ndarray:
        """Frame numbers read from the file names (1-based; gaps show as jumps)."""
        return np.array([file_number(p.name) for p in self.frames], dtype=int)


@dataclass(frozen=True, eq=False)
class UCSDDataset:
    """A UCSD-layout dataset folder (``UCSDped1/``, ``UCSDped2/`` or ``UCSDsynth/``).

    ``clips`` maps ``"Train"`` and ``"Test"`` to clips sorted by number; ``junk`` lists ignored
    files as paths relative to ``root`` (folders end in ``/``; the archive's litter beside ``root``
    shows as ``../NAME``); ``gt_file`` is the ``.m`` ground truth (or None) and ``label_ranges``
    its parsed content.
    """

    name: str
    root: Path
    clips: dict[str, list[Clip]]
    junk: list[str]
    gt_file: Path | None
    label_ranges: dict[int, Ranges] = field(default_factory=dict)

    def __repr__(self) -> str:
        splits = ", ".join(f"{s}: {len(c)} clips" for s, c in self.clips.items())
        return f"UCSDDataset({self.name} at {self.root}; {splits}; {len(self.junk)} junk)"

    def select(self, split: str, spec: str | None = None) -> list[Clip]:
        """Clips of ``split`` named by ``spec`` (e.g. ``"1-8,17"``), or all of them when None.

        Introduced in notebook 01.
        """
        split_name = _split_name(split)
        clips = self.clips[split_name]
        if spec is None:
            return list(clips)
        by_number = {clip.number: clip for clip in clips}
        wanted = parse_clip_spec(spec)
        missing = [n for n in wanted if n not in by_number]
        if missing:
            raise ClipSelectionError(
                f"{split_name} clip(s) {format_clip_spec(missing)} not found in {self.name}; "
                f"available: {format_clip_spec(sorted(by_number)) or 'none'}"
            )
        return [by_number[n] for n in wanted]


def _split_name(split: str) -> str:
    for name in SPLITS:
        if split.lower() == name.lower():
            return name
    raise ClipSelectionError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")


def parse_clip_spec(spec: str) -> list[int]:
    """``"1-8,17"`` -> ``[1, ..., 8, 17]`` (sorted, without repeats)."""
    numbers: set[int] = set()
    for part in spec.split(","):
        match = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", part)
        if match is None:
            raise ClipSelectionError(f"cannot read clip list {spec!r}; write e.g. '1-8,17'")
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if end < start:
            raise ClipSelectionError(f"clip range {start}-{end} in {spec!r} runs backwards; write {end}-{start}")
        if end > 999:
            raise ClipSelectionError(f"clip number {end} in {spec!r}: UCSD clips are numbered 1 to 999")
        numbers.update(range(start, end + 1))
    return sorted(numbers)


def number_runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of non-negative numbers, first and last: ``[1, 2, 3, 17]`` -> ``[(1, 3), (17, 17)]``."""
    present = np.zeros(max(numbers, default=0) + 1, dtype=bool)
    present[numbers] = True  # index n -> label n + 1 of groundtruth.ranges_of
    return [(a - 1, b - 1) for a, b in ranges_of(present)]


def format_clip_spec(numbers: list[int]) -> str:
    """Inverse of :func:`parse_clip_spec`: ``[1, 2, 3, 17]`` -> ``"1-3,17"``."""
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in number_runs(numbers))


def file_number(name: str) -> int:
    """The frame number in a frame or mask file name: ``042.tif``, ``042.jpg``, ``042.bmp``, ``frame042.bmp``."""
    match = FRAME_NAME.fullmatch(name) or MASK_NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not a frame or mask file name")
    return int(match.group(1))


def _junk_kind(name: str) -> str | None:
    """The kind of a file that is junk by its name alone (archive litter), else None."""
    if name == ".DS_Store":
        return "Finder metadata (.DS_Store)"
    if name.startswith("._"):
        return "AppleDouble resource fork (._*)"
    if name.endswith("~"):
        return "editor backup (*~)"
    if name.endswith("_Error.txt"):
        return "error stub (*_Error.txt)"
    return None


def junk_reason(name: str) -> str:
    """Why a file is junk, from its name alone (for the report). Introduced in notebook 01."""
    return _junk_kind(name) or "not a frame, mask or ground-truth file"


def numbered_files(folder: Path, pattern: re.Pattern[str]) -> tuple[list[Path], list[Path]]:
    """``(files, junk)`` of ``folder``: files named by ``pattern`` (``FRAME_NAME`` or ``MASK_NAME``)
    with numbers from 1 to ``MAX_FRAME`` in numeric order (the first name wins a repeated number),
    and the rest.
    """
    found: dict[int, Path] = {}
    junk: list[Path] = []
    for entry in sorted(folder.iterdir()):
        match = pattern.fullmatch(entry.name)
        number = int(match.group(1)) if match else 0
        if match and entry.is_file() and 1 <= number <= MAX_FRAME and number not in found:
            found[number] = entry
        else:
            junk.append(entry)
    return [found[n] for n in sorted(found)], junk


def _read_ground_truth(gt_file: Path) -> dict[int, Ranges]:
    try:
        return parse_m(gt_file.read_bytes().decode("utf-8", errors="replace"))
    except GroundTruthError as err:
        raise GroundTruthError(f"{gt_file}: {err}") from None


def _clip_labels(clip_name: str, frames: list[Path], ranges: Ranges) -> np.ndarray:
    numbers = np.array([file_number(p.name) for p in frames], dtype=int)
    try:
        return frame_labels(ranges, int(numbers.max(initial=0)))[numbers - 1]
    except GroundTruthError as err:
        raise GroundTruthError(f"{clip_name}: {err}") from None


def _scan(folder: Path) -> UCSDDataset:
    """Read one dataset folder (``UCSDped1/`` or the like)."""
    junk = [e for e in sorted(folder.iterdir()) if not (e.is_dir() and e.name in SPLITS or e.name == MANIFEST)]
    gt_file = folder / "Test" / f"{folder.name}.m"
    gt_file = gt_file if gt_file.is_file() else None
    label_ranges = _read_ground_truth(gt_file) if gt_file else {}
    clips: dict[str, list[Clip]] = {}
    for split in SPLITS:
        split_dir = folder / split
        entries = sorted(split_dir.iterdir()) if split_dir.is_dir() else []
        clip_dirs = {
            int(m.group(1)): e for e in entries if e.is_dir() and (m := _CLIP_DIR[split].fullmatch(e.name))
        }
        mask_dirs = {
            m.group(1): e for e in entries if e.is_dir() and (m := _MASK_DIR.fullmatch(e.name)) and split == "Test"
        }
        known = {*clip_dirs.values(), *mask_dirs.values(), gt_file}
        junk += [e for e in entries if e not in known]
        clips[split] = []
        for number in sorted(clip_dirs):
            path = clip_dirs[number]
            frames, clip_junk = numbered_files(path, FRAME_NAME)
            junk += clip_junk
            mask_dir = mask_dirs.pop(path.name, None)
            if mask_dir is not None:
                junk += numbered_files(mask_dir, MASK_NAME)[1]
            ranges = label_ranges.get(number) if split == "Test" else None
            labels = _clip_labels(path.name, frames, ranges) if ranges is not None else None
            clips[split].append(Clip(split, path.name, path, tuple(frames), mask_dir, labels))
        junk += mask_dirs.values()  # mask folders without their clip
    names = [e.relative_to(folder).as_posix() + ("/" if e.is_dir() else "") for e in junk]
    if folder.parent.name == ARCHIVE_DIR:  # the archive's own litter beside the dataset folders
        names += [f"../{e.name}" for e in folder.parent.iterdir() if _junk_kind(e.name)]
    names.sort()
    return UCSDDataset(folder.name, folder, clips, names, gt_file, label_ranges)


def _dataset_name(dataset: str) -> str:
    key = dataset.lower().removeprefix("ucsd")
    if key not in DATASETS:
        raise DatasetNotFoundError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[key]


def _direct_folder(root: Path) -> Path | None:
    """The dataset folder when ``root`` is one (or its Test/ or Train/), else None."""
    if root.name in SPLITS and root.parent.name in DATASETS.values():
        return root.parent
    return root if root.name in DATASETS.values() else None


def _absolute(path: str | Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))  # "." and ".." resolved, symlinks kept


def find_datasets(path: str | Path) -> dict[str, Path]:
    """The dataset folders at ``path`` by name, e.g. ``{"UCSDsynth": Path(...)}``, without reading them.

    ``path`` as for :func:`open_dataset`; a dataset folder (or its ``Test/`` or ``Train/``) given
    directly finds itself alone. Raises :class:`DatasetNotFoundError` when ``path`` does not exist,
    is a file or holds no dataset. Used by :func:`open_dataset`, scoring and the command line.
    """
    root = _absolute(path)
    if not root.exists():
        raise DatasetNotFoundError(
            f"{root} does not exist. Pass the folder you extracted UCSD_Anomaly_Dataset.tar.gz into "
            "(`companion download DEST` fetches it), or `companion synth DEST` for the synthetic data."
        )
    if not root.is_dir():
        raise DatasetNotFoundError(f"{root} is a file, not a folder; extract it first (`companion download DEST --archive FILE`).")
    folder = _direct_folder(root)
    if folder is not None:
        return {folder.name: folder}
    bases = (root, root / ARCHIVE_DIR)
    found = {name: base / name for base in bases for name in DATASETS.values() if (base / name).is_dir()}
    if not found:
        looked = ", ".join(f"{base / name}/" for base in bases for name in DATASETS.values())
        raise DatasetNotFoundError(
            f"no UCSD dataset in {root}. Looked for {looked}, and for {root} being one of "
            "those dataset folders or its Test/ or Train/ folder."
        )
    return dict(sorted(found.items()))


def only_dataset(path: str | Path) -> str | None:
    """The key (``"synth"``) of the one dataset under ``path`` when it holds exactly one and is not
    itself a dataset folder; None otherwise (errors are left to :func:`open_dataset`).

    What ``open_dataset(path)`` picks without being told; the command line says so.
    """
    root = _absolute(path)
    try:
        found = find_datasets(root)
    except DatasetNotFoundError:
        return None
    if len(found) != 1 or _direct_folder(root) is not None:
        return None
    return _dataset_key(next(iter(found)))


def _dataset_key(name: str) -> str:
    """``"UCSDsynth"`` -> ``"synth"``."""
    return {v: k for k, v in DATASETS.items()}[name]


def _choices(found: dict[str, Path]) -> str:
    return ", ".join(_dataset_key(name) for name in found)


def open_dataset(path: str | Path, dataset: str | None = None) -> UCSDDataset:
    """Find and read a UCSD-layout dataset.

    ``path`` may be the folder the tarball was extracted into (holding ``UCSD_Anomaly_Dataset.v1p2/``),
    that folder itself, a dataset folder (``UCSDped1/``, ``UCSDped2/``, ``UCSDsynth/``) or its
    ``Test/`` or ``Train/``. ``dataset`` (``ped1``, ``ped2`` or ``synth``) chooses when several
    are present; ``None`` takes the only one present, or ``ped1`` among several. A dataset folder
    given directly is used whatever ``dataset`` says. Introduced in notebook 01.
    """
    root = _absolute(path)
    wanted = None if dataset is None else _dataset_name(dataset)
    found = find_datasets(root)
    if _direct_folder(root) is not None or (len(found) == 1 and wanted is None):
        folder = next(iter(found.values()))
    elif wanted is not None:
        folder = found.get(wanted)
        if folder is None:
            raise DatasetNotFoundError(
                f"{wanted} not found in {root}; present: {', '.join(found)} (choose with --dataset {_choices(found)})"
            )
    elif DATASETS["ped1"] in found:
        folder = found[DATASETS["ped1"]]
    else:
        raise DatasetNotFoundError(
            f"{root} holds several datasets ({', '.join(found)}); choose one with --dataset {_choices(found)}"
        )
    if not any((folder / split).is_dir() for split in SPLITS):
        raise DatasetNotFoundError(f"{folder} has no Train/ or Test/ folder; re-extract the archive")
    ds = _scan(folder)
    if not any(ds.clips.values()):
        raise DatasetNotFoundError(f"{folder} holds no clip folders (expected Train/Train001/, Test/Test001/, ...)")
    return ds
