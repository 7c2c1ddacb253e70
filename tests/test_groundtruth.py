"""The .m ground-truth parser: the official syntax, its variations, and robustness to any text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.errors import CompanionError
from companion.groundtruth import GroundTruthError, frame_labels, parse_m, ranges_of

OFFICIAL = """TestVideoFile = {};
TestVideoFile{end+1}.gt_frame = [60:152];
TestVideoFile{end+1}.gt_frame = [5:90, 140:200];
TestVideoFile{end+1}.gt_frame = [1:15, 45:113];
"""


def test_official_syntax() -> None:
    assert parse_m(OFFICIAL) == {1: [(60, 152)], 2: [(5, 90), (140, 200)], 3: [(1, 15), (45, 113)]}


def test_whitespace_comments_and_variants() -> None:
    text = """% UCSD ground truth
    TestVideoFile = { } ;

    TestVideoFile { end + 1 } . gt_frame=[ 5 : 90   140:200 ]   % space-separated ranges
    TestVideoFile{end+1}.gt_frame = [7];
    TestVideoFile{5}.gt_frame = [];
    TestVideoFile{end+1}.gt_frame = [1:3,4:4]
    """
    assert parse_m(text) == {1: [(5, 90), (140, 200)], 2: [(7, 7)], 5: [], 6: [(1, 3), (4, 4)]}


def test_windows_line_endings() -> None:
    assert parse_m(OFFICIAL.replace("\n", "\r\n")) == parse_m(OFFICIAL)


@pytest.mark.parametrize(
    "text, message",
    [
        ("TestVideoFile{end+1}.gt_frame = [90:5];", "empty"),
        ("TestVideoFile{end+1}.gt_frame = [0:5];", "before frame 1"),
        ("TestVideoFile{end+1}.gt_frame = [5:9:12];", "cannot read"),
        ("TestVideoFile{end+1}.gt_frame = [5:9,,12];", "cannot read"),
        ("TestVideoFile{2}.gt_frame = [1:2];\nTestVideoFile{2}.gt_frame = [3:4];", "twice"),
        ("TestVideoFile{0}.gt_frame = [1:2];", "start at 1"),
        ("TestVideoFile{end+1}.gt_mask = [1:2];", "unexpected text"),
        ("\x00\x05Mac OS X ATTR", "unexpected text"),
    ],
)
def test_malformed_files_raise_clear_errors(text: str, message: str) -> None:
    with pytest.raises(GroundTruthError, match=message):
        parse_m(text)


def test_frame_labels() -> None:
    labels = frame_labels([(5, 90), (140, 200)], 200)
    assert labels.dtype == bool and labels.shape == (200,)
    assert labels.sum() == 86 + 61 and labels[4] and not labels[3] and labels[199] and not labels[90]
    assert not frame_labels([], 10).any()
    with pytest.raises(GroundTruthError, match="only 150 frames"):
        frame_labels([(100, 200)], 150)


_RANGES = st.lists(
    st.lists(st.tuples(st.integers(1, 300), st.integers(0, 50)).map(lambda t: (t[0], t[0] + t[1])), max_size=3),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None)
@given(clips=_RANGES, sep=st.sampled_from([", ", ",", " ", "  "]), pad=st.sampled_from(["", " ", "\t"]),
       explicit=st.booleans(), comment=st.booleans())  # fmt: skip
def test_generated_files_round_trip(clips: list, sep: str, pad: str, explicit: bool, comment: bool) -> None:
    lines = ["TestVideoFile = {};"]
    for i, ranges in enumerate(clips, start=1):
        index = str(i) if explicit else "end+1"
        body = sep.join(f"{pad}{a}{pad}:{pad}{b}" for a, b in ranges)
        lines.append(f"{pad}TestVideoFile{{{index}}}.gt_frame{pad}={pad}[{body}];" + ("  % note" if comment else ""))
    parsed = parse_m("\n".join(lines) + "\n")
    assert parsed == {i: list(r) for i, r in enumerate(clips, start=1)}
    for i, ranges in parsed.items():
        labels = frame_labels(ranges, 400)
        expected = np.zeros(400, dtype=bool)
        for a, b in clips[i - 1]:
            expected[a - 1 : b] = True
        assert (labels == expected).all()


_MATLABISH = st.text(alphabet=st.sampled_from(list("TestVideoFile{end+1}.gt_frame=[0123456789:, ];%\n\t")), max_size=200)


@settings(max_examples=25, deadline=None)
@given(text=st.one_of(st.text(max_size=200), _MATLABISH))
def test_any_text_parses_or_raises_a_companion_error(text: str) -> None:
    try:
        result = parse_m(text)
    except CompanionError:
        return
    assert all(isinstance(k, int) and k >= 1 for k in result)
    assert all(1 <= a <= b for ranges in result.values() for a, b in ranges)


@given(st.lists(st.booleans(), max_size=60))
def test_ranges_of_inverts_frame_labels(bits: list[bool]) -> None:
    labels = np.array(bits, dtype=bool)
    ranges = ranges_of(labels)
    np.testing.assert_array_equal(frame_labels(ranges, len(labels)), labels)
    assert all(a <= b for a, b in ranges) and all(b + 1 < c for (_, b), (c, _) in zip(ranges, ranges[1:]))


def test_ranges_of_by_hand() -> None:
    assert ranges_of(np.array([0, 1, 1, 0, 1], dtype=bool)) == [(2, 3), (5, 5)]
    assert ranges_of(np.zeros(4, dtype=bool)) == []
