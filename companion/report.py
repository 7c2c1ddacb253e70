"""The inspection report of a dataset: a JSON-ready dict and a readable table.

Used by ``companion inspect`` and notebook 01. Paths in the report are relative to the dataset
folder (``UCSDped1/``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath

from companion.cache import load_clip
from companion.errors import CorruptDataError
from companion.layout import MASK_NAME, Clip, UCSDDataset, junk_reason, numbered_files

_LISTS = {"corrupt": "corrupt", "duplicate": "duplicates", "gap": "gaps"}
_SHOWN = 8  # junk examples and problem lines shown per group in the table


def _clip_entry(ds: UCSDDataset, clip: Clip) -> dict:
    labelled = clip.labels is not None
    entry: dict = {
        "name": clip.name,
        "frames": len(clip.frames),
        "frame_size": None,
        "abnormal_frames": int(clip.labels.sum()) if labelled else None,  # type: ignore[union-attr]
        "label_ranges": [list(r) for r in ds.label_ranges[clip.number]] if labelled else None,
        "masks": len(numbered_files(clip.mask_dir, MASK_NAME)[0]) if clip.mask_dir else None,
        "repaired_frames": 0,
        **{name: [] for name in _LISTS.values()},
        "error": None,
    }
    try:
        loaded = load_clip(clip)
    except CorruptDataError as err:
        entry["error"] = str(err)
        return entry
    entry["frame_size"] = list(loaded.frames.shape[1:])
    entry["repaired_frames"] = int(loaded.repaired.sum())
    for p in loaded.problems:
        entry[_LISTS[p.kind]].append({"file": p.file, "reason": p.reason, "repair": p.repair})
    return entry


def inspect_dataset(ds: UCSDDataset) -> dict:
    """The full report: clips, frame counts and sizes, labels, corrupt frames (with their
    repair), duplicates, gaps and junk; JSON-serialisable. Decodes (and caches) every clip.

    Introduced in notebook 01.
    """
    splits = {}
    for split, clips in ds.clips.items():
        entries = [_clip_entry(ds, clip) for clip in clips]
        labelled = [e["abnormal_frames"] for e in entries if e["abnormal_frames"] is not None]
        splits[split] = {
            "clips": entries,
            "frames": sum(e["frames"] for e in entries),
            "abnormal_frames": sum(labelled) if labelled else None,
        }
    all_clips = [e for s in splits.values() for e in s["clips"]]
    return {
        "dataset": ds.name,
        "root": str(ds.root),
        "gt_file": ds.gt_file.relative_to(ds.root).as_posix() if ds.gt_file else None,
        "gt_clips": len(ds.label_ranges),
        "junk": list(ds.junk),
        "junk_kinds": dict(Counter(junk_reason(PurePosixPath(j).name) for j in ds.junk)),
        "splits": splits,
        "summary": {
            "clips": len(all_clips),
            "frames": sum(e["frames"] for e in all_clips),
            **{name: sum(len(e[name]) for e in all_clips) for name in _LISTS.values()},
            "unreadable_clips": sum(e["error"] is not None for e in all_clips),
            "junk": len(ds.junk),
        },
    }


def _problem_summary(entry: dict) -> str:
    parts = [f"{len(entry[name])} {name}" for name in _LISTS.values() if entry[name]]
    if entry["error"]:
        parts.insert(0, "UNREADABLE")
    return ", ".join(parts) or "-"


def _more(items: list, shown: int) -> list[str]:
    return [f"... and {len(items) - shown} more (see the JSON report)"] if len(items) > shown else []


def format_report(report: dict) -> str:
    """The report as a readable table: per split, each clip's frames, size, abnormal frames,
    label ranges and problems, then the junk that was ignored. Introduced in notebook 01.
    """
    gt = report["gt_file"]
    lines = [
        f"{report['dataset']} at {report['root']}",
        f"ground truth: {gt} ({report['gt_clips']} clips labelled)" if gt else "ground truth: none (no labels)",
    ]
    header = f"  {'clip':<9}{'frames':>7}  {'size':<9}{'abnormal':>9}  {'ranges':<16}problems"
    for split, data in report["splits"].items():
        clips = data["clips"]
        lines.append("")
        if not clips:
            lines.append(f"{split}: no clips")
            continue
        abnormal = data["abnormal_frames"]
        lines.append(f"{split}: {len(clips)} clips, {data['frames']} frames" + (f", {abnormal} abnormal" if abnormal is not None else ""))
        lines.append(header)
        for e in clips:
            size = "x".join(map(str, e["frame_size"])) if e["frame_size"] else "?"
            labels = "-" if e["abnormal_frames"] is None else str(e["abnormal_frames"])
            ranges = ",".join(f"{a}-{b}" for a, b in e["label_ranges"]) if e["label_ranges"] is not None else "-"
            lines.append(f"  {e['name']:<9}{e['frames']:>7}  {size:<9}{labels:>9}  {ranges:<16}{_problem_summary(e)}")
            if e["error"]:
                lines.append(f"      {e['error']}")
            found = [p for name in _LISTS.values() for p in e[name]]
            lines += [f"      {p['file']}: {p['reason']} -> {p['repair']}" for p in found[:_SHOWN]]
            lines += ["      " + m for m in _more(found, _SHOWN)]
    junk = report["junk"]
    lines.append("")
    if not junk:
        lines.append("junk: none")
        return "\n".join(lines)
    lines.append(f"junk ({len(junk)} files, ignored, never loaded):")
    for kind, count in report["junk_kinds"].items():
        examples = [j for j in junk if junk_reason(PurePosixPath(j).name) == kind]
        lines.append(f"  {kind}: {count}")
        lines += [f"      {j}" for j in examples[:_SHOWN]]
        lines += ["      " + m for m in _more(examples, _SHOWN)]
    return "\n".join(lines)
