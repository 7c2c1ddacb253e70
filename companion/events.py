"""The planted events of the synthetic dataset (``synth.json``) and a model's errors on them.

The synthetic clips record every planted anomaly with its kind, frames and speed; comparing a
model's error on those frames with its error on normal traffic, and on a normal clip played
faster, is how notebook 04 tests the challenge report's claim that faster-than-normal motion
raises the error. Notebook 05 compares scores on a planted one-frame glitch with those of the
frames around it (the report's claim 2). Introduced in notebook 04.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from companion.cache import LoadedClip, load_clip
from companion.layout import UCSDDataset
from companion.synth import WALK_SPEED
from companion.task import config_of
from companion.train import batch_loss

__all__ = [
    "EventError",
    "around_table",
    "event_errors",
    "event_table",
    "planted_glitches",
    "speed_errors",
    "surrounding_median",
]


@dataclass(frozen=True)
class EventError:
    """One planted anomaly: its ``kind``, ``clip``, ``speed`` (times the normal walking speed),
    the mean frame ``error`` over the frames where it is in view, and ``ratio`` to the mean error
    of normal frames."""

    kind: str
    clip: str
    speed: float
    error: float
    ratio: float


def event_errors(ds: UCSDDataset, frame_errors: Callable[[str], np.ndarray]) -> tuple[list[EventError], float] | None:
    """Each planted anomaly of the Test clips against normal traffic, fastest first, and the normal mean.

    ``frame_errors(clip_name)`` returns one error per frame of that Test clip. Normal traffic is
    every frame labelled normal, not repaired, and outside every planted event, glitches
    included, together with the frame after each event (a difference or optical-flow signal
    sees an event once more, on the way out). ``None`` without a ``synth.json`` (real data).
    Introduced in notebook 04.
    """
    manifest = ds.root / "synth.json"
    if not manifest.is_file():
        return None
    clips = {c.name: c for c in ds.clips.get("Test", [])}
    normal_errors, rows = [], []
    for entry in json.loads(manifest.read_text())["clips"]:
        clip = clips.get(entry["name"])
        if entry["split"] != "Test" or clip is None:
            continue
        errors = np.asarray(frame_errors(clip.name), dtype=np.float64)
        quiet = ~np.asarray(clip.labels, dtype=bool)
        for ev in entry["events"]:
            if ev.get("frames"):
                a, b = ev["frames"]
                quiet[a - 1 : b + 1] = False
        quiet &= ~load_clip(clip).repaired
        normal_errors.append(errors[quiet])
        for ev in entry["events"]:
            if ev["anomalous"] and ev.get("frames"):
                a, b = ev["frames"]
                rows.append((ev["kind"], clip.name, ev["speed_bh_per_frame"] / WALK_SPEED, float(errors[a - 1 : b].mean())))
    normal = float(np.concatenate(normal_errors).mean())
    events = [EventError(k, c, s, e, e / normal) for k, c, s, e in sorted(rows, key=lambda r: -r[2])]
    return events, normal


def event_table(events: Sequence[EventError], normal: float, error: str = "mean frame MSE") -> str:
    """:func:`event_errors` as a text table: one row per planted anomaly (kind, clip, speed in
    walking speeds, its mean frame ``error``, and that error over the normal frames') and a last
    row for the normal frames. Introduced in notebook 04.
    """
    lines = [f"{'event':15s} {'clip':8s} {'speed (x walking)':>17s} {error:>15s} {'vs normal frames':>17s}"]
    lines += [f"{ev.kind:15s} {ev.clip:8s} {ev.speed:17.1f} {ev.error:15.5f} {ev.ratio:16.2f}x" for ev in events]
    lines.append(f"{'normal frames':15s} {'all':8s} {'':17s} {normal:15.5f} {1.0:16.2f}x")
    return "\n".join(lines)


def speed_errors(model: nn.Module, clip: LoadedClip, speed: int, length: int | None = None, step: int = 2) -> np.ndarray:
    """The clip played ``speed`` times faster: the mean reconstruction error of each window.

    A window holds ``length`` frames taken ``speed`` frames apart (frames ``start``,
    ``start + speed``, ...; ``speed=0`` repeats frame ``start``: nothing moves), for ``start`` = 0,
    ``step``, 2 ``step``, ...; a window whose span touches a repaired frame is skipped. Each error
    is the training loss of the window (:func:`companion.train.batch_loss`), for a model of grey
    frames, in the mode it is in, on its device, without gradients; ``length`` defaults to
    ``model.config.seq_len``. Introduced in notebook 04.
    """
    length = length or model.config.seq_len
    device = next(model.parameters()).device
    span = max(speed, 1) * (length - 1) + 1
    errors = []
    for start in range(0, len(clip.frames) - span + 1, step):
        if clip.repaired[start : start + span].any():
            continue
        idx = np.full(length, start) if speed == 0 else np.arange(start, start + span, speed)
        with torch.no_grad():
            errors.append(batch_loss(model, torch.from_numpy(clip.frames[idx][None]), device, config_of(model)).item())
    return np.array(errors)


def planted_glitches(ds: UCSDDataset) -> list[tuple[str, int]]:
    """``(clip name, 1-based frame)`` of every one-frame glitch planted in the synthetic clips.

    A glitch (a flash) is recorded in ``synth.json`` and not labelled abnormal; ``[]`` on data
    without a ``synth.json`` (real data). Introduced in notebook 05.
    """
    manifest = ds.root / "synth.json"
    if not manifest.is_file():
        return []
    clips = json.loads(manifest.read_text())["clips"]
    return [(c["name"], e["frames"][0]) for c in clips for e in c["events"] if e["kind"] == "glitch"]


def surrounding_median(scores: np.ndarray, frame: int, near: int = 2, far: int = 6) -> float:
    """The median score of the frames around ``frame`` (0-based), its immediate neighbours left out.

    The frames ``far`` to ``near`` before it and ``near`` to ``far`` after it (by default 6 to 2
    before and 2 to 6 after; fewer at the ends of the clip): a one-frame event can spill into the
    next frame (a frame difference fires twice, a memory carries it), so those frames do not set
    the baseline that the event's score is compared with. Introduced in notebook 05.
    """
    s = np.asarray(scores)
    return float(np.median(np.r_[s[max(frame - far, 0) : max(frame - near + 1, 0)], s[frame + near : frame + far + 1]]))


def around_table(
    scores: Mapping[str, np.ndarray],
    frame: int,
    offsets: Sequence[int] = range(-2, 4),
    column: tuple[str, Mapping[str, float]] | None = None,
) -> str:
    """Each method's scores around ``frame`` (0-based) relative to :func:`surrounding_median`, as text.

    One row per method of ``scores`` (its scores of one clip), one column per frame
    ``frame + offset`` (named 1-based); ``column`` = ``(title, value per method)`` adds a last
    column. Introduced in notebook 05.
    """
    head = f"{'method':24s} " + " ".join(f"{f'frame {frame + 1 + o}':>9s}" for o in offsets)
    lines = [head + (f"   {column[0]}" if column else "")]
    for name, s in scores.items():
        rel = np.asarray(s) / surrounding_median(s, frame)
        lines.append(f"{name:24s} " + " ".join(f"{rel[frame + o]:9.2f}" for o in offsets)
                     + (f"   {column[1][name]:8.0f}" if column else ""))
    return "\n".join(lines)
