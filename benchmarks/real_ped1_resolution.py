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

import dataclasses
import time
from pathlib import Path
from typing import Any

from experiments import train_or_reuse
from nested_choice import choose, command_line, finish, fold_record, seed_summary
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


def _run_facts(facts: dict[str, Any]) -> dict[str, Any]:
    return {"epochs": facts["epochs"], "size": facts["size"], "wall_s": round(facts["wall_s"], 1),
            "cpu_s": facts["cpu_s"] and round(facts["cpu_s"], 1)}  # fmt: skip


def main() -> None:
    args = command_line(__doc__, "real_ped1.py's --work; 96x144 runs go to WORK/resolution")
    t_start = time.perf_counter()
    inner_runs: dict[int, dict[str, list[dict[str, Any]]]] = {f: {c: [] for c in CANDIDATES} for f in FOLDS}
    outer_runs: dict[int, dict[str, dict[str, Any]]] = {f: {} for f in FOLDS}

    def inner_micro(fold: int, i: int, itrain: list[str], ival: list[str]) -> dict[str, float]:
        got = {}
        for c in CANDIDATES:
            facts = train_candidate(args.root, run_dir(args.work, c, fold, i), c, itrain)
            inner_runs[fold][c].append({"train": facts["clips"], "val": spec(ival), **_run_facts(facts)})
            scorer = run_scorer(run_maps(run_dir(args.work, c, fold, i), args.root, size_of(c)), SCORING)
            got[c] = assess(scorer, itrain, ival)["micro_train"]
        return got

    def outer_aucs(fold: int) -> dict[str, dict[str, float]]:
        tr, ev = FOLDS[fold]
        outer: dict[str, dict[str, float]] = {}
        for c in CANDIDATES:
            facts, outer[c] = outer_run(args.root, args.work, c, fold)
            outer_runs[fold][c] = _run_facts(facts)
        for b in BASELINES:
            a = assess(baseline_scorer(args.root, b, size=size_of("96x144")), names(tr), names(ev))
            outer[f"{b} at 96x144"] = {"micro": a["micro_train"], "macro": a["macro_train"]}
        return outer

    choice = choose(list(CANDIDATES), inner_micro, outer_aucs)
    folds = {str(f): fold_record(choice, f, inner_runs=inner_runs[f], outer_runs=outer_runs[f]) for f in FOLDS}
    per_seed = {0: choice.outer} | {s: {f: {c: outer_run(args.root, args.work, c, f, s)[1] for c in CANDIDATES} for f in FOLDS}
                                    for s in REPORT_SEEDS}  # fmt: skip
    seeds = {c: seed_summary(per_seed, c, c) for c in CANDIDATES}
    rows = list(folds["1"]["outer"])
    means = {k: choice.outer_mean(k) for k in rows}
    adopt = choice.picks.count("96x144") >= 2
    results = {
        "candidates": {c: {"config": cfg.to_dict(), "options": opt} for c, (cfg, opt, _) in CANDIDATES.items()},
        "folds": folds, "picks": choice.picks, "nested": choice.nested, "rule_says_96x144": adopt, "outer_mean": means,
        "seeds_0_1_2_after_the_choice": seeds,
    }  # fmt: skip
    rule = "move to 96x144 (if its Ped1-size training fits the budget)" if adopt else "keep 64x96"
    finish(__doc__, choice, results, rows, rule, args.json, t_start)


if __name__ == "__main__":
    main()
