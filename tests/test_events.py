"""Planted events against normal traffic: which frames count as normal, and the ratios."""

from __future__ import annotations

import json

import numpy as np

from companion.events import event_errors
from companion.layout import open_dataset


def test_event_errors_compare_planted_anomalies_with_quiet_frames(synth_root) -> None:
    ds = open_dataset(synth_root, "synth")
    manifest = json.loads((synth_root / "synth.json").read_text())
    anomalies = [(c["name"], e) for c in manifest["clips"] if c["split"] == "Test" for e in c["events"] if e["anomalous"]]
    assert anomalies, "the fixture plants anomalies"
    assert any(not e["anomalous"] for c in manifest["clips"] for e in c["events"]), "the fixture plants a glitch"
    # errors: 1 on quiet frames, 10 on every labelled frame, 1000 on planted non-anomalous events (glitches)
    errs = {}
    for c in ds.clips["Test"]:
        e = np.where(np.asarray(c.labels, dtype=bool), 10.0, 1.0)
        for entry in manifest["clips"]:
            if entry["name"] == c.name:
                for ev in entry["events"]:
                    if not ev["anomalous"]:
                        a, b = ev["frames"]
                        e[a - 1 : b + 1] = 1000.0  # the event and the frame after it
        errs[c.name] = e
    events, normal = event_errors(ds, errs.__getitem__)
    assert normal == 1.0  # glitches and the frame after them are not normal traffic
    assert len(events) == len(anomalies)
    assert [e.speed for e in events] == sorted((e.speed for e in events), reverse=True)
    assert all(e.ratio == e.error / normal for e in events) and all(e.ratio >= 1.0 for e in events)


def test_event_errors_on_data_without_a_manifest(tmp_path, synth_root) -> None:
    import shutil

    plain = tmp_path / "UCSDsynth"
    shutil.copytree(synth_root, plain)
    (plain / "synth.json").unlink()
    assert event_errors(open_dataset(plain, "synth"), lambda name: np.zeros(1)) is None
