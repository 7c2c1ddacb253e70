"""The blind comparisons on the real sample share one procedure (real_ped1_resolution.py,
real_ped1_local.py, real_ped1_epochs.py): this module holds it, so that each script says only what
its candidates are and how a candidate is trained and scored.

The procedure is real_ped1_nested.py's: inside each outer fold the 6 training clips give 3 inner
splits (:func:`real_ped1_nested.inner_splits`); a candidate's inner score is its micro AUC on the
inner-validation pair, averaged over the 3 splits; the highest is the fold's pick (ties: the first
candidate); the nested estimate is the mean over the folds of the pick's outer micro / macro AUC.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch

from experiments import add_root_argument
from real_ped1_nested import inner_splits, r
from sample_folds import FOLDS

K = TypeVar("K", bound=Hashable)
AUCS = ("micro", "macro")
#: outer micro / macro AUC of each candidate
Aucs = Mapping[K, Mapping[str, float]]


def command_line(doc: str, work_help: str) -> argparse.Namespace:
    """``--work``, ``--json`` (refused when it exists: never overwritten) and ``--root``; two torch threads."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("runs/real_ped1"), help=work_help)
    ap.add_argument("--json", type=Path, default=None, help="write the results here (never overwritten)")
    add_root_argument(ap)
    args = ap.parse_args()
    if args.json and args.json.exists():
        raise SystemExit(f"{args.json} already exists and was left untouched: move it away or choose another --json")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    return args


@dataclass
class Choice(Generic[K]):
    """Inner-validation micro AUCs (fold -> candidate -> one per inner split) and outer AUCs (fold -> candidate)."""

    candidates: Sequence[K]
    inner: dict[int, dict[K, list[float]]] = field(default_factory=dict)
    outer: dict[int, Aucs] = field(default_factory=dict)

    def inner_mean(self, fold: int) -> dict[K, float]:
        return {c: float(np.mean(v)) for c, v in self.inner[fold].items()}

    def pick(self, fold: int) -> K:
        means = self.inner_mean(fold)
        return max(self.candidates, key=lambda c: means[c])  # ties: the first

    @property
    def picks(self) -> list[K]:
        return [self.pick(f) for f in FOLDS]

    @property
    def nested(self) -> dict[str, float]:
        return {m: r(np.mean([self.outer[f][self.pick(f)][m] for f in FOLDS])) for m in AUCS}

    def outer_mean(self, candidate: Hashable) -> dict[str, float]:
        return {m: r(np.mean([self.outer[f][candidate][m] for f in FOLDS])) for m in AUCS}


def choose(
    candidates: Sequence[K],
    inner_micro: Callable[[int, int, list[str], list[str]], Mapping[K, float]],
    outer_aucs: Callable[[int], Aucs],
) -> Choice[K]:
    """The nested choice: ``inner_micro(fold, split, inner-training clips, inner-validation clips)``
    gives each candidate's micro AUC on that split, ``outer_aucs(fold)`` the outer AUCs (of the
    candidates and of anything else reported on the same frames)."""
    choice = Choice(candidates)
    for fold in FOLDS:
        choice.inner[fold] = {c: [] for c in candidates}
        for i, (itrain, ival) in enumerate(inner_splits(fold), 1):
            got = inner_micro(fold, i, itrain, ival)
            for c in candidates:
                choice.inner[fold][c].append(got[c])
            print(f"fold {fold} inner {i}: " + "  ".join(f"{c} {got[c]:.4f}" for c in candidates), flush=True)
        choice.outer[fold] = outer_aucs(fold)
        means = ", ".join(f"{c} {v:.4f}" for c, v in choice.inner_mean(fold).items())
        print(f"fold {fold}: pick {choice.pick(fold)} (inner {means})", flush=True)
    return choice


def fold_record(choice: Choice[Any], fold: int, **extra: Any) -> dict[str, Any]:
    """A fold in the JSON: its clips, the inner micro AUCs and their means, the pick, ``extra`` (the
    runs' facts), the outer AUCs."""
    tr, ev = FOLDS[fold]
    return {
        "train": tr, "evaluate": ev, "inner_val_micro": {str(c): [r(x) for x in v] for c, v in choice.inner[fold].items()},
        "inner_val_micro_mean": {str(c): r(v) for c, v in choice.inner_mean(fold).items()}, "pick": choice.pick(fold),
        **extra, "outer": {str(c): {m: r(x) for m, x in v.items()} for c, v in choice.outer[fold].items()},
    }  # fmt: skip


def seed_summary(per_seed: Mapping[int, Mapping[int, Aucs]], candidate: Hashable, label: str) -> dict[str, Any]:
    """The mean over the folds of each seed's outer AUCs (``per_seed``: seed -> fold -> candidate ->
    AUCs), their mean over the seeds and the range of the micro AUC; printed on one line."""
    by_seed = {s: {m: float(np.mean([v[f][candidate][m] for f in FOLDS])) for m in AUCS} for s, v in per_seed.items()}
    micros = [v["micro"] for v in by_seed.values()]
    out = {
        "per_seed_mean": {str(s): {m: r(x) for m, x in v.items()} for s, v in by_seed.items()},
        **{m: r(np.mean([v[m] for v in by_seed.values()])) for m in AUCS},
        "micro_range": [r(min(micros)), r(max(micros))],
    }
    print(f"{label}: seeds {', '.join(map(str, by_seed))} micro " + " ".join(f"{x:.3f}" for x in micros)
          + f"; mean {out['micro']:.3f} / {out['macro']:.3f}", flush=True)  # fmt: skip
    return out


def finish(doc: str, choice: Choice[Any], results: dict[str, Any], rows: Sequence[Any], rule: str, path: Path | None,
           t_start: float) -> None:  # fmt: skip
    """Complete ``results`` (which hold ``folds`` and ``outer_mean``) with the protocol (the script's
    docstring up to its command), date, machine and wall time; print the per-fold table of ``rows``,
    the picks, the nested estimate and what the ``rule`` says; write the JSON to ``path``."""
    results = {"protocol": doc.split("    .venv")[0].strip(), "date": datetime.date.today().isoformat(),
               "machine": "CPU only, torch.set_num_threads(2)", **results, "wall_s": round(time.perf_counter() - t_start)}  # fmt: skip
    folds, means = results["folds"], results["outer_mean"]
    print("\nouter micro / macro AUC per fold | mean of the 3 folds")
    for k in map(str, rows):
        per = " ".join(f"{folds[str(f)]['outer'][k]['micro']:.3f}/{folds[str(f)]['outer'][k]['macro']:.3f}" for f in FOLDS)
        print(f"{k:28s} {per}  |  {means[k]['micro']:.3f} / {means[k]['macro']:.3f}")
    print(f"nested picks {choice.picks}: {choice.nested['micro']:.3f} / {choice.nested['macro']:.3f}; the rule says {rule}")
    print(f"wall {results['wall_s']} s")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1) + "\n")
        print(f"json: {path}")
