"""The planted events of the synthetic dataset (``synth.json``) and a model's errors on them.

The synthetic clips record every planted anomaly with its kind, frames and speed; comparing a
model's error on those frames with its error on normal traffic is how notebooks 04 and 05 test
the challenge report's claim that faster-than-normal motion raises the error. Introduced in
notebook 04.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from companion.cache import load_clip
from companion.layout import UCSDDataset
from companion.synth import WALK_SPEED

__all__ = ["EventError", "event_errors"]


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
