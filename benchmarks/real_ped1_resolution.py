"""Does a larger input help the recommended detector? 64x96 against 96x144, chosen by nested
cross-validation on the real UCSD Ped1 sample (issue 12: "64x96 leaves a far pedestrian a pixel or two").

Not a test: a script (prints a table, writes a JSON).

Fixed before any AUC of a 96x144 model was computed (2026-12-02):

- Candidates: the recommended ``flow-next`` configuration as it is (64x96, its 30 epochs), and the
  same configuration at 96x144 (1.5x each side, the aspect ratio of both Ped1 and Ped2 frames)
  trained for 15 epochs, so that it fits issue 12's budget (15 minutes on 2 cores for Ped1's Train
  split). ``benchmarks/bench_ped1_size.py --config FILE --planned-epochs N`` measured 50.1 s per
  epoch at 96x144 against 18.5 s at 64x96 (2.7x) and 25 s of preparation: 30 epochs would take
  about 1530 s, the 20 first planned 1028 s (over), 15 about 776 s (the candidate; set after that
  timing, before any AUC). Seed 0, every
  other setting the configuration's default. Both are scored by the recommended scoring
  (``mean+zp99``), statistics from the normal frames of the training clips.
- The choice: real_ped1_nested.py's protocol. Inside each outer fold its 6 training clips give 3
  inner splits (4 clips train, 2 consecutive clips validate); each candidate is trained on each
  inner split and the candidate with the higher micro AUC on the inner-validation pairs (mean of
  the 3 splits; ties: 64x96) is the fold's pick. The nested estimate is the mean over the 3 outer
  folds of the pick's outer micro / macro AUC (outer model trained on all 6 training clips).
- The rule: the recommended configuration moves to 96x144 only if the nested choice picks it in
  at least 2 of the 3 outer folds and its Ped1-size training fits the budget.

The 64x96 runs are real_ped1.py's and real_ped1_nested.py's (WORK/flow-next_fN, WORK/nested/
flow-next_fN_iK), reused; the 96x144 runs are trained into WORK/resolution/. For comparison on the
same frames, the hand-made baselines motion-sq, flow and flow-background are also scored at 96x144
on the outer folds (they choose nothing). After the choice, to show how much of the gap is seed
noise, both sizes are also trained with seeds 1 and 2 on the outer folds (64x96: real_ped1.py's
WORK/flow-next-sS_fN) and the mean and range of the 3 seeds' outer AUCs reported; this decides nothing.

    .venv/bin/python benchmarks/real_ped1_resolution.py --work runs/real_ped1 \\
        --json benchmarks/results/real_ped1_resolution.json

Findings (2026-12-02, 2 CPU cores; outer micro / macro AUC, mean of the 3 folds): the nested
choice picks 96x144 in all 3 folds (inner margins 0.018, 0.007, 0.010), so the nested estimate is
its outer figure, 0.871 / 0.866, against 0.860 / 0.850 at 64x96 (fold 1 lost: 0.787 against
0.793). Seeds 0-2 after the choice: 0.871 / 0.866 against 0.861 / 0.849, every 96x144 seed above
every 64x96 seed. The baselines at 96x144 score below their 64x96 figures (motion-sq 0.843,
flow-background 0.821). The rule held and the Ped1-size training fits (735 s projected), so
``companion.settings.RECOMMENDED_CONFIG`` is ``flow-next-96x144``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments import add_root_argument, train_or_reuse
from real_ped1_nested import inner_splits, r
from sample_folds import FOLDS, assess, baseline_scorer, names, run_maps, run_scorer, spec

from companion.model import CONFIGS, ModelConfig
from companion.scorings import SCORINGS

BASE = "flow-next"
#: candidate -> (model configuration, training options, the run's folder name)
CANDIDATES: dict[str, tuple[ModelConfig, dict[str, Any], str]] = {
    "64x96": (CONFIGS[BASE], {"seed": 0}, BASE),
    "96x144": (dataclasses.replace(CONFIGS[BASE], height=96, width=144), {"seed": 0, "epochs": 15}, f"{BASE}-96x144"),
}
BASELINES = ("motion-sq", "flow", "flow-background")
SCORING = SCORINGS["mean+zp99"]


#: the extra seeds trained on the outer folds, reported after the choice
REPORT_SEEDS = (1, 2)


def run_dir(work: Path, candidate: str, fold: int, inner: int | None = None, seed: int = 0) -> Path:
    """Where a candidate's outer (``inner=None``) or inner run lives: for 64x96 real_ped1.py's
    (WORK/flow-next[-sS]_fN) and real_ped1_nested.py's (WORK/nested/flow-next_fN_iK), else WORK/resolution/."""
    folder = CANDIDATES[candidate][2] + (f"-s{seed}" if seed else "")
    outer_home, inner_home = (work, work / "nested") if candidate == "64x96" else (work / "resolution",) * 2
    return outer_home / f"{folder}_f{fold}" if inner is None else inner_home / f"{folder}_f{fold}_i{inner}"


def train_candidate(root: Path, out: Path, candidate: str, clips: list[str], seed: int = 0) -> dict[str, Any]:
    config, options, _ = CANDIDATES[candidate]
    return train_or_reuse(root, out, config=config, clips=spec(clips), **{**options, "seed": seed})


def size_of(candidate: str) -> tuple[int, int]:
    config = CANDIDATES[candidate][0]
    return config.height, config.width


def outer_run(root: Path, work: Path, candidate: str, fold: int, seed: int = 0) -> tuple[dict[str, Any], dict[str, float]]:
    """Train (or reuse) a candidate's outer run of ``fold``; its facts and outer micro/macro AUC."""
    tr, ev = FOLDS[fold]
    run = run_dir(work, candidate, fold, seed=seed)
    facts = train_candidate(root, run, candidate, names(tr), seed)
    a = assess(run_scorer(run_maps(run, root, size_of(candidate)), SCORING), names(tr), names(ev))
    return facts, {"micro": a["micro_train"], "macro": a["macro_train"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("runs/real_ped1"), help="real_ped1.py's --work; 96x144 runs go to WORK/resolution")
    ap.add_argument("--json", type=Path, default=None, help="write the results here (never overwritten)")
    add_root_argument(ap)
    args = ap.parse_args()
    if args.json and args.json.exists():
        raise SystemExit(f"{args.json} already exists and was left untouched: move it away or choose another --json")
    t_start = time.perf_counter()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    folds: dict[str, Any] = {}
    outer_raw: dict[int, dict[str, dict[str, float]]] = {}
    for fold, (tr, ev) in FOLDS.items():
        inner: dict[str, list[float]] = {c: [] for c in CANDIDATES}
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in CANDIDATES}
        for i, (itrain, ival) in enumerate(inner_splits(fold), 1):
            for c in CANDIDATES:
                facts = train_candidate(args.root, run_dir(args.work, c, fold, i), c, itrain)
                runs[c].append({"train": facts["clips"], "val": spec(ival), "epochs": facts["epochs"], "size": facts["size"],
                                "wall_s": round(facts["wall_s"], 1), "cpu_s": facts["cpu_s"] and round(facts["cpu_s"], 1)})  # fmt: skip
                scorer = run_scorer(run_maps(run_dir(args.work, c, fold, i), args.root, size_of(c)), SCORING)
                inner[c].append(assess(scorer, itrain, ival)["micro_train"])
            print(f"fold {fold} inner {i}: " + "  ".join(f"{c} {inner[c][-1]:.3f}" for c in CANDIDATES), flush=True)
        inner_mean = {c: float(np.mean(v)) for c, v in inner.items()}
        pick = max(CANDIDATES, key=lambda c: inner_mean[c])  # ties: the first, 64x96
        outer: dict[str, dict[str, float]] = {}
        outer_runs = {}
        for c in CANDIDATES:
            facts, outer[c] = outer_run(args.root, args.work, c, fold)
            outer_runs[c] = {"epochs": facts["epochs"], "size": facts["size"], "wall_s": round(facts["wall_s"], 1),
                             "cpu_s": facts["cpu_s"] and round(facts["cpu_s"], 1)}  # fmt: skip
        outer_raw[fold] = outer
        for b in BASELINES:
            a = assess(baseline_scorer(args.root, b, size=size_of("96x144")), names(tr), names(ev))
            outer[f"{b} at 96x144"] = {"micro": a["micro_train"], "macro": a["macro_train"]}
        folds[str(fold)] = {
            "train": tr, "evaluate": ev, "inner_runs": runs, "inner_val_micro": {c: [r(x) for x in v] for c, v in inner.items()},
            "inner_val_micro_mean": {c: r(v) for c, v in inner_mean.items()}, "pick": pick, "outer_runs": outer_runs,
            "outer": {k: {m: r(x) for m, x in v.items()} for k, v in outer.items()},
        }  # fmt: skip
        print(f"fold {fold}: pick {pick} (inner {', '.join(f'{c} {v:.3f}' for c, v in inner_mean.items())})", flush=True)

    seeds: dict[str, Any] = {}
    for c in CANDIDATES:
        per_seed = {0: [outer_raw[f][c] for f in FOLDS]}
        per_seed |= {seed: [outer_run(args.root, args.work, c, f, seed)[1] for f in FOLDS] for seed in REPORT_SEEDS}
        seed_means = {s_: {m: float(np.mean([x[m] for x in v])) for m in ("micro", "macro")} for s_, v in per_seed.items()}
        seeds[c] = {
            "per_seed_mean": {str(s_): {m: r(x) for m, x in v.items()} for s_, v in seed_means.items()},
            **{m: r(np.mean([v[m] for v in seed_means.values()])) for m in ("micro", "macro")},
            "micro_range": [r(min(v["micro"] for v in seed_means.values())), r(max(v["micro"] for v in seed_means.values()))],
        }
        print(f"{c}: seeds 0, 1, 2 micro " + " ".join(f"{v['micro']:.3f}" for v in seed_means.values())
              + f"; mean {seeds[c]['micro']:.3f} / {seeds[c]['macro']:.3f}", flush=True)

    rows = list(folds["1"]["outer"])
    means = {k: {m: r(np.mean([outer_raw[f][k][m] for f in FOLDS])) for m in ("micro", "macro")} for k in rows}
    picks = [folds[str(f)]["pick"] for f in FOLDS]
    nested = {m: r(np.mean([outer_raw[f][folds[str(f)]["pick"]][m] for f in FOLDS])) for m in ("micro", "macro")}
    adopt = picks.count("96x144") >= 2
    results = {
        "protocol": __doc__.split("    .venv")[0].strip(),
        "date": datetime.date.today().isoformat(),
        "machine": "CPU only, torch.set_num_threads(2)",
        "candidates": {c: {"config": cfg.to_dict(), "options": opt} for c, (cfg, opt, _) in CANDIDATES.items()},
        "folds": folds,
        "picks": picks,
        "nested": nested,
        "rule_says_96x144": adopt,
        "outer_mean": means,
        "seeds_0_1_2_after_the_choice": seeds,
        "wall_s": round(time.perf_counter() - t_start),
    }
    print("\nouter micro / macro AUC per fold | mean of the 3 folds (mean + z p99 for the models)")
    for k in rows:
        per = " ".join(f"{folds[str(f)]['outer'][k]['micro']:.3f}/{folds[str(f)]['outer'][k]['macro']:.3f}" for f in FOLDS)
        print(f"{k:28s} {per}  |  {means[k]['micro']:.3f} / {means[k]['macro']:.3f}")
    print(f"nested picks {picks}: {nested['micro']:.3f} / {nested['macro']:.3f}; the rule says "
          f"{'move to 96x144 (if its Ped1-size training fits the budget)' if adopt else 'keep 64x96'}")  # fmt: skip
    print(f"wall {results['wall_s']} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"json: {args.json}")


if __name__ == "__main__":
    main()
