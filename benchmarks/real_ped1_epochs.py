"""Is the recommended detector under-trained on small data? 15, 30 or 60 epochs of
``flow-next-96x144``, chosen by nested cross-validation on the real UCSD Ped1 sample (issue 12:
"capacity and training length").

Not a test: a script (prints a table, writes a JSON).

Why. The 15 epochs of ``flow-next-96x144`` were set so that Ped1's whole Train split (2619 training
windows, bench_ped1_size.py) trains in the 15-minute budget: 39,285 windows seen. A fold of the
sample has 144 training windows, an inner split 72 or fewer, the whole sample 225: 15 epochs there
is 2,160 windows seen, an 18th of what the budget allows on Ped1, and a Train split of Ped2's size
(936 windows on the synthetic set of that size) gets 36% of it. If more training helps where data is small, the epochs could grow where
the budget leaves room.

Fixed on 2026-12-03 before any AUC of these candidates was computed (this file was committed first):

- Candidates: ``flow-next-96x144`` (seed 0, every other setting its default, scored by its recorded
  ``mean+zp99``) trained for 15 epochs (today's; the runs of real_ped1_resolution.py, reused), 30
  or 60 epochs (trained into WORK/epochs/).
- The choice: real_ped1_nested.py's protocol. Inside each outer fold the 6 training clips give 3
  inner splits (4 clips train, 2 consecutive clips validate); the candidate with the highest
  inner-validation micro AUC (mean of the 3 splits; ties: fewer epochs) is the fold's pick. The
  nested estimate is the mean over the 3 outer folds of the pick's outer micro / macro AUC.
- The rule: the training length changes only if one longer candidate (30 or 60) is picked in at
  least 2 of the 3 outer folds. If it is E, the recommended configuration trains for
  ``min(E, max(15, ceil(39285 / training windows)))`` epochs: E on the sample (72 to 225 windows),
  15 on Ped1's Train split, within the same number of windows seen (hence the same time) as Ped1's
  15 epochs everywhere. Otherwise it stays at 15.

Findings (2026-12-03, 2 CPU cores; outer micro / macro AUC, mean of the 3 folds): the nested choice
picks 60 epochs in all 3 folds (inner margins over 15 epochs: 0.005, 0.012, 0.001), so the rule
says at most 60 and ``companion.settings.EPOCH_BUDGETS`` holds it. The nested estimate, 0.872 /
0.866, is level with 15 epochs (0.871 / 0.866) and 30 (0.871 / 0.865): 60 epochs win folds 1 and 2
(0.795 and 0.955 against 0.787 and 0.952) and lose fold 3 (0.867 against 0.874). Longer training
costs time and changes nothing measurable on these folds. An outer run of 60 epochs took 136 s and
121 s of wall time (folds 1 and 3; fold 2's 613 s shared the 2 cores with another job).

    .venv/bin/python benchmarks/real_ped1_epochs.py --work runs/real_ped1 \\
        --json benchmarks/results/real_ped1_epochs.json
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from experiments import train_or_reuse
from nested_choice import choose, command_line, finish, fold_record
from real_ped1_resolution import CANDIDATES as SIZES
from real_ped1_resolution import run_dir as size_run_dir
from sample_folds import FOLDS, assess, names, run_maps, run_scorer, spec

from companion.scorings import SCORINGS

SIZE = "96x144"
CANDIDATES = (15, 30, 60)  # epochs; the first is today's and wins ties
SCORING = SCORINGS["mean+zp99"]
#: training windows seen by 15 epochs of Ped1's Train split (2619 windows, bench_ped1_size.py)
WINDOW_BUDGET = 15 * 2619


def run_dir(work: Path, epochs: int, fold: int, inner: int | None = None) -> Path:
    """The 15-epoch runs are real_ped1_resolution.py's; the others live in WORK/epochs/."""
    if epochs == SIZES[SIZE][1]["epochs"]:
        return size_run_dir(work, SIZE, fold, inner)
    name = f"flow-next-96x144-e{epochs}_f{fold}" + ("" if inner is None else f"_i{inner}")
    return work / "epochs" / name


def train_and_score(root: Path, run: Path, epochs: int, train: list[str], test: list[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """Train (or reuse) one candidate on ``train``; its facts and micro / macro AUC on ``test``."""
    config, options, _ = SIZES[SIZE]
    facts = train_or_reuse(root, run, config=config, clips=spec(train), **{**options, "epochs": epochs})
    a = assess(run_scorer(run_maps(run, root, (config.height, config.width)), SCORING), train, test)
    return facts, {"micro": a["micro_train"], "macro": a["macro_train"]}


def main() -> None:
    args = command_line(__doc__, "real_ped1_resolution.py's --work; new runs go to WORK/epochs")
    t_start = time.perf_counter()
    windows: dict[int, list[int]] = {f: [] for f in FOLDS}
    outer_runs: dict[int, dict[str, dict[str, Any]]] = {f: {} for f in FOLDS}

    def inner_micro(fold: int, i: int, itrain: list[str], ival: list[str]) -> dict[int, float]:
        got = {}
        for e in CANDIDATES:
            facts, a = train_and_score(args.root, run_dir(args.work, e, fold, i), e, itrain, ival)
            got[e] = a["micro"]
        windows[fold].append(facts["train_windows"])
        return got

    def outer_aucs(fold: int) -> dict[int, dict[str, float]]:
        tr, ev = FOLDS[fold]
        out = {}
        for e in CANDIDATES:
            facts, out[e] = train_and_score(args.root, run_dir(args.work, e, fold), e, names(tr), names(ev))
            outer_runs[fold][str(e)] = {"train_windows": facts["train_windows"], "wall_s": round(facts["wall_s"], 1),
                                        "cpu_s": facts["cpu_s"] and round(facts["cpu_s"], 1)}  # fmt: skip
        return out

    choice = choose(CANDIDATES, inner_micro, outer_aucs)
    folds = {str(f): fold_record(choice, f, inner_train_windows=windows[f], outer_runs=outer_runs[f]) for f in FOLDS}
    longer = [e for e in CANDIDATES[1:] if choice.picks.count(e) >= 2]
    means = {str(e): choice.outer_mean(e) for e in CANDIDATES}
    results = {
        "candidates_epochs": list(CANDIDATES), "window_budget": WINDOW_BUDGET, "folds": folds, "picks": choice.picks,
        "nested": choice.nested, "rule_says_max_epochs": longer[0] if longer else CANDIDATES[0], "outer_mean": means,
    }  # fmt: skip
    finish(__doc__, choice, results, CANDIDATES, f"at most {results['rule_says_max_epochs']} epochs", args.json, t_start)


if __name__ == "__main__":
    main()
