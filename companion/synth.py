"""The embedded default dataset: a synthetic walkway in the exact UCSD layout.

So that the course runs on a fresh machine with no download, :func:`generate` draws,
deterministically from a seed and in seconds on a CPU, a small UCSD-Ped1-like dataset::

    out/UCSD_Anomaly_Dataset.v1p2/
      README.txt  ._README.txt  .DS_Store                      <- planted junk, like the real archive
      UCSDsynth/
        synth.json                                             <- config, planted events, junk, corruption
        Train/Train001/001.tif ...                             <- normal pedestrians only
        Test/Test001/001.tif ...                               <- a normal part, then 1-2 anomalous events
        Test/Test001_gt/001.bmp ...                            <- 0/255 pixel masks for every frame
        Test/UCSDsynth.m                                       <- frame-level ground truth, UCSDped1.m syntax

The scene is a paved walkway seen from above at an angle (people near the top are smaller),
with grass on both sides, sensor noise and a mild lighting flicker. Pedestrians walk along it in
both directions; test clips add UCSD's kinds of anomalies (cyclists and skaters, 3-4x walking
speed; carts, large; people walking on the grass or across the flow), one test clip holds a
single-frame glitch that is NOT labelled, and the archive's junk and corruption are planted:
Finder and AppleDouble files, an editor backup of the ``.m`` file, an error-log stub, one
truncated TIFF in a test clip and one zero-byte TIFF in a training clip.

Paths in ``synth.json`` are relative to the ``UCSDsynth/`` folder (``../README.txt`` is beside it).
Frame numbers there are 1-based and inclusive, as in the ``.m`` file.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from companion.errors import CompanionError
from companion.groundtruth import ranges_of
from companion.layout import DATASETS, find_datasets
from companion.paths import cache_dir

VERSION = 1
"""Bump when the generator's output changes: the cached default dataset is keyed by it."""

ANOMALY_KINDS = ("cyclist", "skater", "cart", "grass-crossing", "cross-flow")

WALK_SPEED = 0.06  # body heights per frame (about 1 m/s at UCSD's 10 frames/s)
_SPEED_FACTOR = {"cyclist": (3.2, 3.8), "skater": (2.8, 3.3), "cart": (1.5, 1.8)}
# Anomalous events of test clip i: _PLAN[i % len(_PLAN)]. Two-event clips start with a fast one
# so that the second fits after it and the .m line gets two ranges.
_PLAN = (
    ("cyclist",),
    ("cart",),
    ("skater", "cross-flow"),
    ("grass-crossing",),
    ("cross-flow",),
    ("cyclist", "cart"),
)
_VISIBLE = 0.3  # an anomalous object is labelled from the frame where 30% of it is in view
_ROWS_PER_STRIP = 34  # like the real Ped1 TIFFs: PackBits, 34 rows per strip, 72 dpi
_WALKERS_IN_VIEW = 6.0  # mean number of normal pedestrians in view


class SynthError(CompanionError):
    """A synthetic-dataset request that cannot be honoured (bad size, existing target)."""


@dataclass(frozen=True)
class SynthConfig:
    """What to generate: seed, clip counts, frames per clip and frame size (Ped1's 158x238)."""

    seed: int = 0
    train_clips: int = 4
    test_clips: int = 4
    frames: int = 120
    height: int = 158
    width: int = 238

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.train_clips <= 999 or not 1 <= self.test_clips <= 999:
            problems.append("train_clips and test_clips must be between 1 and 999")
        if not 30 <= self.frames <= 999:
            problems.append("frames must be between 30 and 999 (UCSD clips have 200)")
        if self.height < 64 or self.width < 96:
            problems.append("frames must be at least 64x96 pixels (HxW)")
        if problems:
            raise SynthError(f"invalid synthetic dataset config {self}: " + "; ".join(problems) + ".")


class _Part(NamedTuple):
    """One soft shape: centre, half-axes (px), grey tone, superellipse power; shadows darken."""

    cx: float
    cy: float
    ax: float
    ay: float
    tone: float
    power: float = 2.0
    shadow: bool = False


@dataclass(frozen=True)
class _Scene:
    """Perspective geometry: a person whose feet are at row y is ``h(y)`` pixels tall.

    Ground coordinates are in body heights: ``gx`` across the walkway (0 on its centre line,
    walkway edges at +-``half_width``), ``gy`` along it (growing towards the camera).
    """

    height: int
    width: int

    @property
    def h_far(self) -> float:
        return 0.075 * self.height

    @property
    def slope(self) -> float:
        return (0.17 * self.height - self.h_far) / self.height

    @property
    def half_width(self) -> float:
        return 0.3 * self.width / self.h(self.height)

    def h(self, y: np.ndarray | float) -> np.ndarray | float:
        return self.h_far + self.slope * y

    def x_centre(self, h: np.ndarray | float) -> np.ndarray | float:
        """Column of the walkway's centre line where bodies are ``h`` tall (through the vanishing point)."""
        vanish, bottom = 0.62 * self.width, 0.5 * self.width
        return vanish + (bottom - vanish) * h / self.h(self.height)

    def gy_of_row(self, y: np.ndarray | float) -> np.ndarray | float:
        return np.log(self.h(y)) / self.slope

    def project(self, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ground (gx, gy) to image feet position (x, y) and body height h."""
        h = np.exp(self.slope * gy)
        return self.x_centre(h) + gx * h, (h - self.h_far) / self.slope, h


@dataclass
class _Actor:
    """A moving object: per-frame feet position and body height, plus its look."""

    kind: str
    x: np.ndarray
    y: np.ndarray
    h: np.ndarray
    active: np.ndarray
    direction: tuple[float, float]
    speed: float
    tones: tuple[float, float, float]
    phase: np.ndarray

    @property
    def anomalous(self) -> bool:
        return self.kind in ANOMALY_KINDS

    def parts(self, t: int) -> list[_Part]:
        x, y, s, ph = float(self.x[t]), float(self.y[t]), float(self.h[t]), float(self.phase[t])
        body, legs, head = self.tones
        if self.kind == "cart":
            return [
                _Part(x + 0.35 * s, y - 0.4 * s, 0.55 * s, 0.55 * s, 0.0, 4.0, True),
                _Part(x, y - 0.5 * s, 0.47 * s, 0.55 * s, 45.0, 5.0),
                _Part(x, y - 0.55 * s, 0.37 * s, 0.41 * s, 212.0, 5.0),
            ]
        shadow = _Part(x + 0.24 * s, y - 0.04 * s, 0.32 * s, 0.09 * s, 0.0, 2.0, True)
        if self.kind == "cyclist":
            pedal = 0.05 * s * np.sin(ph)
            return [
                shadow,
                _Part(x, y - 0.03 * s, 0.045 * s, 0.13 * s, 25.0),
                _Part(x, y - 0.4 * s, 0.045 * s, 0.13 * s, 25.0),
                _Part(x, y - 0.21 * s, 0.03 * s, 0.3 * s, 40.0),
                _Part(x - 0.07 * s, y - 0.3 * s + pedal, 0.045 * s, 0.13 * s, legs),
                _Part(x + 0.07 * s, y - 0.3 * s - pedal, 0.045 * s, 0.13 * s, legs),
                _Part(x, y - 0.57 * s, 0.18 * s, 0.2 * s, body),
                _Part(x, y - 0.8 * s, 0.085 * s, 0.085 * s, head),
            ]
        if self.kind == "skater":
            x = x + 0.12 * s * np.sin(ph / 3)
            return [
                shadow,
                _Part(x, y - 0.03 * s, 0.06 * s, 0.17 * s, 30.0),
                _Part(x - 0.08 * s, y - 0.2 * s, 0.05 * s, 0.2 * s, legs),
                _Part(x + 0.08 * s, y - 0.2 * s, 0.05 * s, 0.2 * s, legs),
                _Part(x, y - 0.55 * s, 0.22 * s, 0.2 * s, body),
                _Part(x, y - 0.84 * s, 0.085 * s, 0.085 * s, head),
            ]
        dx, dy = self.direction
        sx, sy = 0.05 * s * np.sin(ph) * dx, 0.05 * s * np.sin(ph) * dy
        return [
            shadow,
            _Part(x - 0.055 * s - sx, y - 0.2 * s - sy, 0.05 * s, 0.2 * s, legs),
            _Part(x + 0.055 * s + sx, y - 0.2 * s + sy, 0.05 * s, 0.2 * s, legs),
            _Part(x, y - 0.55 * s, 0.16 * s, 0.22 * s, body),
            _Part(x, y - 0.84 * s, 0.085 * s, 0.085 * s, head),
        ]


def _footprint(part: _Part, height: int, width: int) -> tuple[tuple[slice, slice], np.ndarray, int]:
    """Anti-aliased coverage of ``part`` clipped to the frame, and its unclipped pixel count."""
    ax, ay = max(part.ax, 0.6), max(part.ay, 0.6)
    x0, x1 = int(np.floor(part.cx - ax)) - 1, int(np.ceil(part.cx + ax)) + 2
    y0, y1 = int(np.floor(part.cy - ay)) - 1, int(np.ceil(part.cy + ay)) + 2
    dx = np.abs((np.arange(x0, x1, dtype=np.float32) - part.cx) / ax)[None, :]
    dy = np.abs((np.arange(y0, y1, dtype=np.float32) - part.cy) / ay)[:, None]
    r = (dx**part.power + dy**part.power) ** (1.0 / part.power)
    alpha = np.clip((1.0 - r) * min(ax, ay) + 0.5, 0.0, 1.0)
    total = int(np.count_nonzero(alpha >= 0.5))
    cy0, cy1, cx0, cx1 = max(y0, 0), min(y1, height), max(x0, 0), min(x1, width)
    if cy0 >= cy1 or cx0 >= cx1:
        return (slice(0, 0), slice(0, 0)), alpha[:0, :0], total
    return (slice(cy0, cy1), slice(cx0, cx1)), alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], total


def _value_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Smooth noise in [-1, 1]-ish with features about ``cell`` texels wide."""
    grid = rng.standard_normal((int(shape[0] / cell) + 3, int(shape[1] / cell) + 3)).astype(np.float32)
    big = cv2.resize(grid, (int(grid.shape[1] * cell), int(grid.shape[0] * cell)), interpolation=cv2.INTER_CUBIC)
    return big[: shape[0], : shape[1]]


def _background(scene: _Scene, rng: np.random.Generator) -> np.ndarray:
    """The static scene: paved walkway with joints and a kerb, grass beside it, textures in perspective."""
    rows, cols = np.mgrid[0 : scene.height, 0 : scene.width].astype(np.float32)
    h = scene.h(rows)
    gx = (cols - scene.x_centre(h)) / h
    gy = scene.gy_of_row(rows)
    per_bh = 12.0  # texels per body height
    gx0, gy0 = float(gx.min()) - 1, float(gy.min()) - 1
    tex_shape = (int((float(gy.max()) - gy0 + 2) * per_bh), int((float(gx.max()) - gx0 + 2) * per_bh))
    map_x, map_y = ((gx - gx0) * per_bh).astype(np.float32), ((gy - gy0) * per_bh).astype(np.float32)

    def ground(tex: np.ndarray) -> np.ndarray:
        return cv2.remap(tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    patches = ground(_value_noise(rng, tex_shape, 10.0))
    grain = ground(_value_noise(rng, tex_shape, 1.5))
    tile = 0.6  # paving slab size in body heights (about 1 m)
    joint_px = np.minimum(
        np.abs((gx / tile + 0.5) % 1.0 - 0.5), np.abs((gy / tile + 0.5) % 1.0 - 0.5)
    ) * (tile * h)
    paving = 158.0 + 7.0 * patches + 4.0 * grain - 16.0 * np.exp(-((joint_px / 0.7) ** 2))
    grass = 92.0 + 12.0 * patches + 10.0 * grain + 6.0 * rng.standard_normal(h.shape).astype(np.float32)
    edge = np.abs(gx) - scene.half_width
    on_walk = np.clip(0.5 - edge * h, 0.0, 1.0)
    kerb = np.exp(-((edge * h / max(0.8, 0.05 * scene.height / 10)) ** 2))
    image = grass + on_walk * (paving - grass) + 30.0 * kerb
    image += 3.0 * rng.standard_normal(image.shape).astype(np.float32)  # fixed-pattern grain
    vignette = 1.0 - 0.12 * (((cols / scene.width) - 0.5) ** 2 + ((rows / scene.height) - 0.5) ** 2)
    return (image * vignette).astype(np.float32)


def _along(
    scene: _Scene, rng: np.random.Generator, kind: str, frames: int, t0: float, gx: float, start_row: float | None
) -> _Actor:
    """An actor moving along the walkway, up or down, entering at frame ``t0`` (or already in view)."""
    down = bool(rng.random() < 0.5)
    lo, hi = _SPEED_FACTOR.get(kind, (1.0, 1.0))
    speed = float(np.clip(rng.normal(WALK_SPEED, 0.007), 0.045, 0.075)) * float(rng.uniform(lo, hi))
    if start_row is None:
        start_row = 0.0 if down else scene.height + 1.25 * scene.h(scene.height)
    t = np.arange(frames, dtype=np.float64) - t0
    gy = scene.gy_of_row(start_row) + (1 if down else -1) * speed * t
    wander = 0.08 * np.sin(2 * np.pi * t / rng.uniform(60, 120) + rng.uniform(0, 2 * np.pi))
    x, y, h = scene.project(gx + (wander if kind not in ("cyclist", "cart") else 0.0), gy)
    return _actor(scene, rng, kind, x, y, h, t >= 0, (0.0, 1.0 if down else -1.0), speed, speed * t)


def _across(scene: _Scene, rng: np.random.Generator, frames: int, t0: float) -> _Actor:
    """A pedestrian walking across the flow, entering at a side edge at frame ``t0``."""
    row = float(rng.uniform(0.3, 0.8)) * scene.height
    h = scene.h(row)
    right = bool(rng.random() < 0.5)
    edge = (0.0 if right else scene.width) - scene.x_centre(h)
    gx_start = edge / h + (-0.5 if right else 0.5)
    speed = float(np.clip(rng.normal(WALK_SPEED, 0.007), 0.045, 0.075))
    t = np.arange(frames, dtype=np.float64) - t0
    gx = gx_start + (1 if right else -1) * speed * t
    gy = np.full(frames, scene.gy_of_row(row)) + 0.05 * np.sin(t / 15.0)
    x, y, hh = scene.project(gx, gy)
    return _actor(scene, rng, "cross-flow", x, y, hh, t >= 0, (1.0 if right else -1.0, 0.0), speed, speed * t)


def _actor(
    scene: _Scene,
    rng: np.random.Generator,
    kind: str,
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
    started: np.ndarray,
    direction: tuple[float, float],
    speed: float,
    distance: np.ndarray,
) -> _Actor:
    dark = rng.random() < 0.75 and kind != "grass-crossing"  # light clothes stand out on grass
    body = float(rng.uniform(30, 80) if dark else rng.uniform(175, 215))
    tones = (body, float(rng.uniform(25, 70)), float(rng.uniform(20, 70)))
    in_view = (y + 0.2 * h > 0) & (y - 1.1 * h < scene.height) & (x + 0.9 * h > 0) & (x - 0.7 * h < scene.width)
    phase = 2 * np.pi * distance / 0.7 + rng.uniform(0, 2 * np.pi)
    return _Actor(kind, x, y, h, started & in_view, direction, speed, tones, phase)


def _walkers(scene: _Scene, rng: np.random.Generator, frames: int) -> list[_Actor]:
    """Normal pedestrians arriving at both ends at random, the clip starting with some in view."""
    crossing = np.log(scene.h(scene.height * 1.4) / scene.h_far) / (scene.slope * 0.045)
    prefill = int(np.ceil(crossing))
    arrivals = np.flatnonzero(rng.random(frames + prefill) < _WALKERS_IN_VIEW / crossing * 1.3) - prefill
    walkers = []
    for t0 in arrivals:
        gx = float(rng.uniform(-0.8, 0.8)) * scene.half_width
        walker = _along(scene, rng, "walker", frames, float(t0), gx, None)
        if walker.active.any():
            walkers.append(walker)
    return walkers


def _anomaly(scene: _Scene, rng: np.random.Generator, kind: str, frames: int, t0: float) -> _Actor:
    if kind == "cross-flow":
        return _across(scene, rng, frames, t0)
    if kind == "grass-crossing":
        side = 1 if rng.random() < 0.5 else -1
        gx = side * (scene.half_width + float(rng.uniform(0.5, 1.1)))
        return _along(scene, rng, kind, frames, t0, gx, None)
    return _along(scene, rng, kind, frames, t0, float(rng.uniform(-0.6, 0.6)) * scene.half_width, None)


def _schedule(scene: _Scene, rng: np.random.Generator, index: int, frames: int) -> list[_Actor]:
    """The anomalous actors of test clip ``index``: one event after a normal part, or two apart."""
    kinds = _PLAN[index % len(_PLAN)]
    if len(kinds) == 1:
        return [_anomaly(scene, rng, kinds[0], frames, float(int(rng.uniform(0.3, 0.45) * frames)))]
    first = _anomaly(scene, rng, kinds[0], frames, float(int(rng.uniform(0.05, 0.12) * frames)))
    t_second = int(np.flatnonzero(first.active)[-1]) + max(5, frames // 12)
    if t_second > frames - 8:
        return [first]
    return [first, _anomaly(scene, rng, kinds[1], frames, float(t_second))]


class _Rendered(NamedTuple):
    frames: np.ndarray  # uint8 (T, H, W)
    masks: np.ndarray  # bool (T, H, W), anomalous pixels of labelled frames
    labels: np.ndarray  # bool (T,)
    events: list[dict]
    walkers: dict


def _render(
    scene: _Scene, background: np.ndarray, rng: np.random.Generator, actors: list[_Actor], frames: int, glitch: int | None
) -> _Rendered:
    """Draw every frame (depth-ordered actors, flicker, sensor noise) and the anomaly masks."""
    H, W = scene.height, scene.width
    out = np.empty((frames, H, W), np.uint8)
    masks = np.zeros((frames, H, W), bool)
    shown = np.zeros((len(actors), frames), bool)
    area = np.zeros((len(actors), frames))
    flicker = 1.0 + 0.012 * np.sin(2 * np.pi * np.arange(frames) / rng.uniform(25, 45) + rng.uniform(0, 6.3))
    flicker += np.cumsum(rng.normal(0, 0.002, frames))
    for t in range(frames):
        frame = background.copy()
        actor_masks: dict[int, np.ndarray] = {}
        for i in sorted((i for i, a in enumerate(actors) if a.active[t]), key=lambda i: actors[i].y[t]):
            actor = actors[i]
            if actor.anomalous:
                actor_masks[i] = np.zeros((H, W), bool)
            inside = total = 0
            for part in actor.parts(t):
                region, alpha, part_total = _footprint(part, H, W)
                if part.shadow:
                    frame[region] *= 1.0 - 0.3 * alpha
                    continue
                frame[region] += alpha * (part.tone - frame[region])
                inside, total = inside + int(np.count_nonzero(alpha >= 0.5)), total + part_total
                if actor.anomalous:
                    actor_masks[i][region] |= alpha >= 0.5
            area[i, t] = total / actor.h[t] ** 2
            shown[i, t] = inside >= _VISIBLE * total
            if actor.anomalous and shown[i, t]:
                masks[t] |= actor_masks[i]
        frame *= flicker[t]
        frame += rng.normal(0.0, 2.5, (H, W)).astype(np.float32)
        if t == glitch:
            frame += 45.0
            band = slice(int(0.45 * H), int(0.45 * H) + max(4, H // 10))
            frame[band] = rng.normal(128.0, 60.0, frame[band].shape)
        out[t] = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    labels = masks.any(axis=(1, 2))
    events = []
    for i, actor in enumerate(actors):
        if not actor.anomalous:
            continue
        seen = np.flatnonzero(shown[i])
        steps = np.hypot(np.diff(actor.x), np.diff(actor.y))[seen[:-1]] if len(seen) > 1 else np.zeros(1)
        events.append(
            {
                "kind": actor.kind,
                "frames": [int(seen[0]) + 1, int(seen[-1]) + 1] if len(seen) else None,
                "anomalous": True,
                "speed_bh_per_frame": round(actor.speed, 4),
                "speed_px_per_frame": round(float(steps.mean()), 3),
                "area_bh2": round(float(area[i, seen].mean()), 4) if len(seen) else None,
            }
        )
    normal = [i for i, a in enumerate(actors) if not a.anomalous]
    seen_all = [np.flatnonzero(shown[i]) for i in normal]
    walkers = {
        "count": sum(1 for s in seen_all if len(s)),
        "max_speed_bh_per_frame": round(max((actors[i].speed for i in normal), default=0.0), 4),
        "max_speed_px_per_frame": round(
            max(
                (
                    float(np.hypot(np.diff(actors[i].x), np.diff(actors[i].y))[s[:-1]].mean())
                    for i, s in zip(normal, seen_all)
                    if len(s) > 1
                ),
                default=0.0,
            ),
            3,
        ),
        "max_area_bh2": round(max((float(area[i, s].mean()) for i, s in zip(normal, seen_all) if len(s)), default=0.0), 4),
    }
    return _Rendered(out, masks, labels, events, walkers)


def _m_file(ranges: list[list[tuple[int, int]]]) -> str:
    lines = ["TestVideoFile = {};"]
    for clip in ranges:
        lines.append("TestVideoFile{end+1}.gt_frame = [" + ", ".join(f"{a}:{b}" for a, b in clip) + "];")
    return "\n".join(lines) + "\n"


def _write_tiff(path: Path, frame: np.ndarray) -> None:
    Image.fromarray(frame).save(
        path, format="TIFF", compression="packbits", strip_size=_ROWS_PER_STRIP * frame.shape[1], dpi=(72, 72)
    )


def _truncate_first_strip(path: Path) -> int:
    """Declare the first PackBits strip shorter than it is, like the real ``Test017/142.tif``.

    The header still parses (``Image.open`` works) but decoding runs out of data, so ``.load()``
    raises ``OSError``. Returns the number of bytes cut from the strip.
    """
    data = bytearray(path.read_bytes())
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        tag, kind, n, value = struct.unpack_from("<HHII", data, entry)
        if tag == 279:  # StripByteCounts
            size = 4 if kind == 4 else 2
            where = value if n * size > 4 else entry + 8
            (first,) = struct.unpack_from("<I" if size == 4 else "<H", data, where)
            cut = first // 2
            struct.pack_into("<I" if size == 4 else "<H", data, where, first - cut)
            path.write_bytes(bytes(data))
            return cut
    raise AssertionError(f"{path} has no StripByteCounts tag")


def _quiet_frame(labels: np.ndarray, avoid: int | None) -> int:
    """Middle of the longest run of frames at least 3 away from labelled frames and ``avoid``."""
    near = np.convolve(labels.astype(int), np.ones(5, int), mode="same") > 0
    if avoid is not None:
        near[max(avoid - 2, 0) : avoid + 3] = True
    runs = ranges_of(~near)
    a, b = max(runs, key=lambda r: r[1] - r[0])
    return (a + b) // 2 - 1


_DS_STORE = b"\x00\x00\x00\x01Bud1" + bytes(6148 - 8)


def _apple_double() -> bytes:
    """An AppleDouble ``._name`` file as macOS leaves in archives (Finder info, empty resource fork)."""
    header = struct.pack(">II16sH", 0x00051607, 0x00020000, b"Mac OS X        ", 2)
    entries = struct.pack(">III", 9, 50, 32) + struct.pack(">III", 2, 82, 0)
    return header + entries + bytes(32)


_README = """**********UCSD-like SYNTHETIC Anomaly Detection Dataset (companion course)*********
*UCSDsynth mimics the layout of the UCSD Anomaly Detection Dataset v1p2 (Mahadevan et al.,
CVPR 2010): Train/ holds ONLY NORMAL clips, Test/ clips contain anomalous frames listed in
Test/UCSDsynth.m ('gt_frame'), with pixel masks in TestNNN_gt/.
*Generated by `companion synth`; every planted event, junk file and corrupt frame is listed
in UCSDsynth/synth.json.
"""


def _plant(path: Path, data: bytes, planted: list[str], root: Path) -> None:
    """Write a junk file unless something is already there (never overwrite); record it."""
    if path.exists():
        return
    path.write_bytes(data)
    planted.append(os.path.relpath(path, root))


def generate(out: Path | str, config: SynthConfig = SynthConfig()) -> Path:
    """Write the synthetic dataset to ``out/UCSD_Anomaly_Dataset.v1p2/UCSDsynth/`` and return that folder.

    Deterministic: the same config gives byte-identical files. Refuses to write into an existing
    non-empty ``UCSDsynth/``; files already beside it (e.g. a real download's README) are kept.
    """
    v1p2 = Path(out) / "UCSD_Anomaly_Dataset.v1p2"
    root = v1p2 / "UCSDsynth"
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise SynthError(
            f"{root} already exists and is not empty; nothing was written. Generate into another "
            f"folder, or delete {root} yourself if you no longer need it."
        )
    v1p2.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".UCSDsynth-", dir=v1p2))
    try:
        manifest = _write(tmp, config)
        planted: list[str] = []
        _plant(v1p2 / "README.txt", _README.encode(), planted, root)
        _plant(v1p2 / "._README.txt", _apple_double(), planted, root)
        _plant(v1p2 / ".DS_Store", _DS_STORE, planted, root)
        manifest["junk"] = planted + manifest["junk"]
        (tmp / "synth.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if root.exists():
            root.rmdir()  # empty, checked above
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def _write(root: Path, config: SynthConfig) -> dict:
    """Render and write every clip, the .m file, masks, junk and corruption into ``root``."""
    scene = _Scene(config.height, config.width)
    background = _background(scene, np.random.default_rng([config.seed, 0]))
    junk: list[str] = []
    clips: list[dict] = []
    gt: list[list[tuple[int, int]]] = []
    rendered: dict[str, _Rendered] = {}
    for split, count in (("Train", config.train_clips), ("Test", config.test_clips)):
        for index in range(count):
            rng = np.random.default_rng([config.seed, 1 if split == "Train" else 2, index])
            actors = _walkers(scene, rng, config.frames)
            glitch = None
            if split == "Test":
                actors += _schedule(scene, rng, index, config.frames)
                glitch = int(0.15 * config.frames) if index == 0 else None
            name = f"{split}{index + 1:03d}"
            result = _render(scene, background, rng, actors, config.frames, glitch)
            rendered[f"{split}/{name}"] = result
            events = list(result.events)
            if glitch is not None:
                events.append({"kind": "glitch", "frames": [glitch + 1, glitch + 1], "anomalous": False})
            clip = {"split": split, "name": name, "frames": config.frames, "events": events, "walkers": result.walkers}
            if split == "Test":
                gt.append(ranges_of(result.labels))
                clip["gt_frame"] = gt[-1]
            clips.append(clip)
            folder = root / split / name
            folder.mkdir(parents=True)
            for t, frame in enumerate(result.frames):
                _write_tiff(folder / f"{t + 1:03d}.tif", frame)
            if result.labels.any():
                gt_folder = root / split / f"{name}_gt"
                gt_folder.mkdir()
                for t, mask in enumerate(result.masks):
                    Image.fromarray(mask.astype(np.uint8) * 255).save(gt_folder / f"{t + 1:03d}.bmp", format="BMP")
    test = root / "Test"
    m_text = _m_file(gt)
    (test / "UCSDsynth.m").write_text(m_text)

    corrupt = []
    bad_test = clips[config.train_clips + min(1, config.test_clips - 1)]
    labels = rendered[f"Test/{bad_test['name']}"].labels
    glitch_frame = next((e["frames"][0] - 1 for e in bad_test["events"] if e["kind"] == "glitch"), None)
    t_bad = _quiet_frame(labels, glitch_frame)
    bad_path = test / bad_test["name"] / f"{t_bad + 1:03d}.tif"
    cut = _truncate_first_strip(bad_path)
    corrupt.append(
        {"file": bad_path.relative_to(root).as_posix(), "kind": "truncated-tiff",
         "detail": f"first PackBits strip declared {cut} bytes short; Pillow raises on load()"}
    )
    bad_train = clips[config.train_clips - 1]
    zero = root / "Train" / bad_train["name"] / f"{config.frames // 2:03d}.tif"
    zero.write_bytes(b"")
    corrupt.append({"file": zero.relative_to(root).as_posix(), "kind": "zero-byte", "detail": "empty file"})

    _plant(root / ".DS_Store", _DS_STORE, junk, root)
    _plant(test / ".DS_Store", _DS_STORE, junk, root)
    _plant(test / "UCSDsynth.m~", m_text.rstrip("\n").encode(), junk, root)
    _plant(test / "._UCSDsynth.m", _apple_double(), junk, root)
    _plant(test / f"{clips[config.train_clips]['name']}_Error.txt", b"frame export failed: retry\n", junk, root)
    for clip in clips[:2] + clips[config.train_clips : config.train_clips + 2]:
        folder = root / clip["split"] / clip["name"]
        _plant(folder / ".DS_Store", _DS_STORE, junk, root)
        _plant(folder / "._.DS_Store", _apple_double(), junk, root)
    first_gt = test / f"{clips[config.train_clips]['name']}_gt"
    if first_gt.is_dir():
        _plant(first_gt / ".DS_Store", _DS_STORE, junk, root)
        _plant(first_gt / "._.DS_Store", _apple_double(), junk, root)
    return {"version": VERSION, "config": asdict(config), "clips": clips, "junk": junk, "corrupt": corrupt}


def default_dataset() -> Path:
    """The course's default data: seed 0, default size, generated once into the cache.

    Lives in ``cache_dir()/synth/v{VERSION}-seed0``; written to a temporary folder and renamed
    into place with a ``COMPLETE`` marker, so a half-written folder is never used. Returns its
    ``UCSDsynth/`` folder. Introduced in notebook 01.
    """
    target = cache_dir() / "synth" / f"v{VERSION}-seed0"
    root = target / "UCSD_Anomaly_Dataset.v1p2" / "UCSDsynth"
    if (target / "COMPLETE").is_file():
        return root
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # left by an interrupted or foreign process: set aside, never deleted
        target.rename(Path(tempfile.mkdtemp(prefix=f"{target.name}.incomplete-", dir=target.parent)) / target.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        generate(tmp, SynthConfig())
        (tmp / "COMPLETE").write_text(f"companion synth v{VERSION} seed 0\n")
        tmp.rename(target)
    except OSError:
        if not (target / "COMPLETE").is_file():  # not another process finishing first
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def repo_root(start: str | Path | None = None) -> Path | None:
    """The course repository holding ``start`` (default: the current directory), or None.

    The nearest of ``start`` and its ancestors that holds ``pyproject.toml`` beside
    ``notebooks/`` or ``companion/``: the repository root whether a notebook's kernel runs in
    ``notebooks/`` or a shell in the root. Used by :func:`course_data`.
    """
    here = Path(os.path.abspath(Path.cwd() if start is None else Path(start).expanduser()))
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and ((folder / "notebooks").is_dir() or (folder / "companion").is_dir()):
            return folder
    return None


def course_path(value: str | Path, start: str | Path | None = None) -> Path:
    """``$COURSE_DATA`` as an absolute path: ``~`` expanded, and a relative path taken from the
    repository root (:func:`repo_root` of ``start``, default the current directory), or from
    ``start`` itself outside a course repository. ``.`` and ``..`` are resolved, symlinks kept.
    """
    path = Path(value).expanduser()
    if not path.is_absolute():
        here = Path.cwd() if start is None else Path(start).expanduser()
        path = (repo_root(here) or here) / path
    return Path(os.path.abspath(path))


def _only_dataset_key(root: Path) -> str | None:
    """The key (``"ped2"``) of the one dataset at ``root`` (a dataset folder given directly
    included), or None when there are none or several, or ``root`` cannot be read."""
    try:
        found = find_datasets(root)
    except CompanionError:
        return None
    if len(found) != 1:
        return None
    return {name: key for key, name in DATASETS.items()}[next(iter(found))]


def course_data() -> tuple[Path, str]:
    """The course's data switch, read by the first cell of every notebook: ``(root, dataset)``.

    With ``$COURSE_DATA`` unset (or empty), the synthetic default (:func:`default_dataset`,
    dataset ``synth``). Set it to a UCSD download (the folder holding
    ``UCSD_Anomaly_Dataset.v1p2/``, that folder, or a dataset folder such as ``UCSDped2/``).
    A relative ``$COURSE_DATA`` is taken from the repository root, the nearest folder at or
    above the current directory that holds ``pyproject.toml`` and ``notebooks/`` (or
    ``companion/``), so ``COURSE_DATA=data/ucsd`` means ``<repository>/data/ucsd`` both in a
    shell at the root and in a notebook kernel running in ``notebooks/``; outside a course
    repository it is taken from the current directory. ``~`` is expanded. ``$COURSE_DATASET``
    (``ped1``, ``ped2`` or ``synth``) chooses the dataset; unset, the only dataset present, or
    ``ped1`` when there are several (or none: :func:`~companion.layout.open_dataset` then says
    what is wrong). Introduced in notebook 01.
    """
    real = os.environ.get("COURSE_DATA")
    if not real:
        return default_dataset(), "synth"
    root = course_path(real)
    return root, os.environ.get("COURSE_DATASET") or _only_dataset_key(root) or "ped1"
