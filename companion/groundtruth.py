"""Frame-level ground truth of the UCSD test clips: the ``UCSDped1.m`` / ``UCSDped2.m`` files.

The official files are MATLAB scripts of the form::

    TestVideoFile = {};
    TestVideoFile{end+1}.gt_frame = [60:152];
    TestVideoFile{end+1}.gt_frame = [5:90, 140:200];

The n-th ``gt_frame`` line (or ``TestVideoFile{n}``) describes clip ``Testnnn``; frames are
numbered from 1 and ranges are inclusive.
"""

from __future__ import annotations

import re

import numpy as np

from companion.errors import CorruptDataError

Ranges = list[tuple[int, int]]

_COMMENT = re.compile(r"%[^\n]*")
_INIT = re.compile(r"[A-Za-z_]\w*\s*=\s*\{\s*\}\s*;?")
_ENTRY = re.compile(
    r"[A-Za-z_]\w*\s*\{\s*(?P<index>end\s*\+\s*1|[0-9]+)\s*\}\s*\.\s*gt_frame\s*=\s*\[(?P<body>[^\]\[]*)\]\s*;?"
)
_ITEM = re.compile(r"\s*([0-9]+)\s*(?::\s*([0-9]+))?\s*(?:,|(?=\s)|$)")


class GroundTruthError(CorruptDataError):
    """A ground-truth ``.m`` file that cannot be read, or labels that do not fit a clip."""


def _parse_ranges(body: str, clip: int) -> Ranges:
    ranges: Ranges = []
    pos = 0
    while body[pos:].strip():
        item = _ITEM.match(body, pos)
        if item is None:
            raise GroundTruthError(f"clip {clip}: cannot read frame ranges [{body}]; expected e.g. [5:90, 140:200]")
        start = int(item.group(1))
        end = int(item.group(2)) if item.group(2) is not None else start
        if not 1 <= start <= end:
            raise GroundTruthError(f"clip {clip}: range {start}:{end} is empty or starts before frame 1")
        ranges.append((start, end))
        pos = item.end()
    return ranges


def parse_m(text: str) -> dict[int, Ranges]:
    """Parse a UCSD ground-truth ``.m`` file into ``{clip_number: [(start, end), ...]}``.

    Ranges are 1-based and inclusive. ``%`` comments, blank lines and extra whitespace are
    ignored; any other statement raises :class:`GroundTruthError`. Introduced in notebook 01.
    """
    code = _COMMENT.sub("", text)
    labels: dict[int, Ranges] = {}
    leftover = []
    pos = 0
    for entry in _ENTRY.finditer(code):
        leftover.append(code[pos : entry.start()])
        pos = entry.end()
        index = entry.group("index")
        clip = max(labels, default=0) + 1 if index.startswith("end") else int(index)
        if clip < 1:
            raise GroundTruthError("clip numbers start at 1; found TestVideoFile{0}")
        if clip in labels:
            raise GroundTruthError(f"clip {clip} is given twice in the ground-truth file")
        labels[clip] = _parse_ranges(entry.group("body"), clip)
    leftover.append(code[pos:])
    rest = _INIT.sub("", "".join(leftover)).strip()
    if rest:
        snippet = rest.splitlines()[0][:60]
        raise GroundTruthError(
            f"unexpected text in the ground-truth file: {snippet!r}; expected lines like "
            "'TestVideoFile{end+1}.gt_frame = [60:152];' (is this the official UCSDped1.m?)"
        )
    return dict(sorted(labels.items()))


def frame_labels(ranges: Ranges, n_frames: int) -> np.ndarray:
    """Boolean array of length ``n_frames``: True for frames inside any 1-based inclusive range.

    Raises :class:`GroundTruthError` when a range runs past the clip. Introduced in notebook 01.
    """
    labels = np.zeros(n_frames, dtype=bool)
    for start, end in ranges:
        if end > n_frames:
            raise GroundTruthError(
                f"ground truth labels frames {start}-{end} but the clip has only {n_frames} frames; "
                "the clip is incomplete or the .m file belongs to another dataset"
            )
        labels[start - 1 : end] = True
    return labels


def ranges_of(labels: np.ndarray) -> Ranges:
    """The 1-based inclusive runs of True in ``labels``: the inverse of :func:`frame_labels`
    (``[F, T, T, F, T]`` -> ``[(2, 3), (5, 5)]``)."""
    padded = np.concatenate([[False], np.asarray(labels, dtype=bool), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a) + 1, int(b)) for a, b in zip(edges[::2], edges[1::2])]
