"""Real UCSD Ped1 sample: the course's models against motion and optical-flow baselines (notebook 06).

Not a test: a script that trains small models on the real sample (--root, else $UCSD_PED1_SAMPLE, else
../shared/data/ucsd-ped1-sample), prints a table, writes a JSON of every figure (--json) and a compact JSON for the course (--summary,
benchmarks/results/real_ped1_summary.json, which notebook 06 reads).

Protocol (say it with every number): the sample has 9 Test clips (1-8, 17) and no Train clips. Three
folds evaluate every clip exactly once; each fold trains on the ground-truth-NORMAL frames of the
other six clips (NOT the paper protocol: the paper trains on the 34 Train clips), the last of which
(``companion train``'s rule for ``--train-on normal-test-frames``) is the validation clip:

    fold 1: train 2,3,5,6,8,17 (validation 17), evaluate 1,4,7
    fold 2: train 1,3,4,6,7,17 (validation 17), evaluate 2,5,8
    fold 3: train 1,2,4,5,7,8  (validation 8),  evaluate 3,6,17

Every frame of the evaluated clips is scored at 64x96; AUC "micro" pools the frames of the fold's
evaluated clips, "macro" averages the per-clip AUCs; the tables give the mean of the 3 folds' AUCs.
"train" normalisation z-scores with the statistics of the training clips' normal frames (an affine
map common to all clips: micro AUC equals the raw scores'); "video" is per-video min-max (the papers'
protocol; uses test-set information). Per-pixel statistics (mean/std error maps) and the baselines'
Gaussian models come from the training clips' normal frames only. A combination ("mean+zp99",
"motion-sq+flow-background", ...) is the fixed, unlearned sum of scores each z-scored with its own
training statistics (``companion combine``); its "video" figure is the per-video min-max of the sum.
Scoring choices (patch size, smoothing, combinations) can be selected on the VALIDATION clip (stats
from the other five training clips, AUC over its frames, labels of a training clip), never on the
evaluated clips: the "val-pick" rows.

Findings (measured 2026-11-21 on 2 CPU cores; mean of the 3 folds; micro / macro AUC with training-
statistics normalisation, then each fold's micro; the JSON holds every variant and video figures).
Re-run 2026-12-02 with every score computed by the package (sample_folds.py), every run retrained:
the baselines, plain and next give the same figures to 5 decimals; the retrained flow-next runs move
some figures by at most 0.0003 (no figure below changes at 3 decimals; one video micro does: the
3-seed mean + z p99 + motion-sq, 0.752 -> 0.751):

    motion energy (mean |diff|, the issue's baseline)        0.812 / 0.794   0.716 0.864 0.856
    motion-sq (mean squared diff = "copy the last frame")    0.848 / 0.834   0.769 0.902 0.872
    flow energy (mean Farneback speed)                       0.846 / 0.845   0.761 0.931 0.844
    flow-background (per-pixel Gaussian of speed, p99 |z|)   0.829 / 0.837   0.778 0.918 0.792
    motion-sq + flow-background (fixed sum, no learning)     0.891 / 0.886   0.785 0.944 0.945
    plain (cpu config, reconstruct, 20 epochs), frame mean   0.711 / 0.715   0.818 0.540 0.776
    next (predict the next frame, 20 epochs), frame mean     0.703 / 0.708   0.779 0.542 0.788
    absdiff-g4-lr1e-3-e60 (reconstruct 4x|diff|), frame mean 0.836 / 0.826   0.750 0.892 0.868   (*)
    flow-next (next flow-speed image, 30 ep.), frame mean    0.839 / 0.824   0.765 0.931 0.819
    flow-next, z p99 (per-pixel z, 99th percentile)          0.837 / 0.841   0.788 0.932 0.792
    flow-next, mean + z p99 (model only)                     0.860 / 0.850   0.793 0.947 0.840
    flow-next, mean + z p99 + motion-sq                      0.890 / 0.887   0.797 0.958 0.916
    (flow-next seeds 0, 1, 2: mean + z p99 micro 0.860-0.861, + motion-sq 0.890-0.891, frame mean 0.839-0.840)
    flow-next-2d (recurrent=False: no memory), mean + z p99 0.861 / 0.850   0.806 0.950 0.827   (2026-12-02)
    (*) signal="absdiff" (the model sees and outputs 4 x |frame difference|) and "next-residual"
        (predict the change of each frame: collapses to "copy the last frame") were measured with
        companion at commit fbeb65b and then removed from the package as dead ends; this script no
        longer trains them (benchmarks/experiments.py says what else was removed).

flow-next scored by mean + z p99 is the first model above 0.85 micro (+0.048 over motion energy,
+0.012 over motion-sq, +0.014 over flow energy), but not in every fold: in fold 3 (0.840) it loses to
motion energy (0.856) and motion-sq (0.872). Adding motion-sq gives 0.890, no better than the
unlearned motion-sq + flow-background sum (0.891): the learned part adds nothing measurable over
non-learned flow and motion baselines yet. The validation clip does not single out mean + z p99
(its validation AUCs saturate at 0.95-0.98; the val-pick for flow-next is the 9-frame-smoothed frame
mean, 0.843); mean + z p99 is the package's fixed recipe, not a choice of this script. Per-video
min-max lowers every micro AUC (0.69-0.77; fold 3 is the worst) and leaves macro unchanged.
Training is deterministic: the same seed on this CPU gives bit-identical weights (script, CLI).

Each number can be reproduced from the command line (ROOT=../shared/data/ucsd-ped1-sample; the
clips of each fold as above; the summary JSON holds every row's fold-1 commands)::

    # the issue's model ("plain"), fold 1
    companion train $ROOT --out WORK/plain_f1 --config cpu --train-on normal-test-frames --clips 2,3,5,6,8,17
    companion evaluate WORK/plain_f1 $ROOT --clips 1,4,7 --normalize train     # frame mean (micro, macro)
    companion evaluate WORK/plain_f1 $ROOT --clips 1,4,7 --normalize video     # the papers' protocol
    companion evaluate WORK/plain_f1 $ROOT --clips 1,4,7 --region 16 --smooth 9   # per-pixel ratio + 16x16 patch max
    # next-frame prediction, and the other recipes (their exact commands are in the JSON's "command")
    companion train $ROOT --out WORK/next_f1 --config cpu --target next --train-on normal-test-frames --clips 2,3,5,6,8,17
    # flow-next (seeds 1, 2: --seed 1 --out WORK/flow-next-s1_f1, ...), its scores and their combinations
    companion train $ROOT --out WORK/flow-next_f1 --config flow-next --seed 0 --train-on normal-test-frames --clips 2,3,5,6,8,17
    companion evaluate WORK/flow-next_f1 $ROOT --clips 1,4,7 --scores mean.csv               # frame mean
    companion evaluate WORK/flow-next_f1 $ROOT --clips 1,4,7 --region 0 --pixel-norm z --percentile 99 --scores zp99.csv
    companion baseline motion-sq $ROOT --clips 1,4,7 --train-clips 2,3,5,6,8,17 --size 64x96 --normalize train --scores msq.csv
    companion combine mean.csv zp99.csv                 # flow-next mean + z p99
    companion combine mean.csv zp99.csv msq.csv         # flow-next mean + z p99 + motion-sq
    # the baselines on the same frames (motion, motion-sq, flow, flow-background; --normalize video too)
    companion baseline motion $ROOT --clips 1,4,7 --train-clips 2,3,5,6,8,17 --size 64x96 --normalize train
    companion baseline flow-background $ROOT --clips 1,4,7 --train-clips 2,3,5,6,8,17 --size 64x96 --normalize train --scores fb.csv
    companion combine msq.csv fb.csv                    # motion-sq + flow-background
Fold 1 checked: these commands give the script's figures (flow-next frame mean 0.7653 / 0.7613, z p99
0.7879 / 0.7472, mean + z p99 0.7934 / 0.7535, + motion-sq 0.7967 / 0.7589; motion-sq + flow-background
0.7853 / 0.7443).

Run: ``.venv/bin/python benchmarks/real_ped1.py --work runs/real_ped1 --json results.json
--summary benchmarks/results/real_ped1_summary.json`` (``--recipes plain,next`` to choose; ``--root`` for
the sample elsewhere). A run already in WORK is reused, not retrained, when it was trained exactly as
the recipe says (configuration, settings, clips, epochs), else the script stops. Nothing here
computes a score itself: training calls ``companion.train.train`` (``companion train``), and every
figure comes from ``benchmarks/sample_folds.py``, which scores with ``companion.evaluation`` and
``companion.combine`` (``companion evaluate``, ``baseline``, ``combine``) and only chooses the frames.
The baselines are the package's frame scores, raw and smoothed over 9 frames (the region variants
of the earlier script, which no command offers, are gone). Training CPU seconds per fold on an idle
2-core machine (both threads counted; 2026-12-02): plain 28-46, next 26-32, flow-next 42-54, flow-next-2d
31-42 (flow images included); the whole script about 16 minutes (the flow baselines' scores are
recomputed for every fold and variant).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments import add_root_argument, cpu_seconds, train_or_reuse
from sample_folds import FOLDS, KEYS, SIZE, Scorer, assess, baseline_variants, names, run_maps, run_variants

from companion.cache import load_clip
from companion.layout import open_dataset
from companion.signals import flow_magnitude
from companion.train import CONFIG_OPTIONS

#: name -> (a named model configuration, options of companion.train.train: its defaults otherwise).
RECIPES: dict[str, tuple[str, dict[str, Any]]] = {
    "plain": ("cpu", {}),  # the model: reconstruct the frames, MSE, 64x96, 20 epochs
    "next": ("cpu", {"target": "next"}),  # predict the next frame (Liu et al. 2018 without flow/GAN losses)
    # predict the next optical-flow speed image (the flow-next configuration and its training defaults:
    # 30 epochs, lr 3e-3, batch 8, stride 2), three seeds
    "flow-next": ("flow-next", {"seed": 0}),
    "flow-next-s1": ("flow-next", {"seed": 1}),
    "flow-next-s2": ("flow-next", {"seed": 2}),
    # the ablation: flow-next with the ConvLSTM replaced by per-frame convolutions (what the memory adds)
    "flow-next-2d": ("flow-next", {"seed": 0, "recurrent": False}),
}


def train_run(recipe: str, fold: int, work: Path, root: Path) -> dict[str, Any]:
    """Train (or reuse, when it is the same run) one recipe's run of a fold; returns its training facts."""
    config, options = RECIPES[recipe]
    return train_or_reuse(root, work / f"{recipe}_f{fold}", config=config, clips=FOLDS[fold][0], **options)


def config_file_command(recipe: str, work: Path) -> str | None:
    """For a recipe that changes its configuration (``recurrent=False``, which no flag sets): the
    command writing that configuration to ``WORK/configs/RECIPE.json`` for ``companion train --config``."""
    config, options = RECIPES[recipe]
    changed = {k: v for k, v in options.items() if k in CONFIG_OPTIONS}
    if not changed:
        return None
    return (
        f"mkdir -p {work}/configs && python -c \"import dataclasses, json; from companion.model import CONFIGS; "
        f"print(json.dumps(dataclasses.replace(CONFIGS['{config}'], **{changed!r}).to_dict()))\" > {work}/configs/{recipe}.json"
    )


def train_command(recipe: str, fold: int, work: Path, root: Path) -> str:
    """The `companion train` command line that trains this run (after :func:`config_file_command`)."""
    config, options = RECIPES[recipe]
    if config_file_command(recipe, work):
        config = f"{work}/configs/{recipe}.json"
    flags = "".join(f" --{k.replace('_', '-')} {v}" for k, v in options.items() if k not in CONFIG_OPTIONS)
    return (
        f"companion train {root} --out {work / f'{recipe}_f{fold}'} --config {config}{flags} "
        f"--train-on normal-test-frames --clips {FOLDS[fold][0]}"
    )


def evaluate(scorers: dict[str, Scorer], fold: int) -> dict[str, Any]:
    """Every variant on the fold's evaluated clips (statistics from all six training clips), and on
    its validation clip, the last training clip (statistics from the other five; for selection only)."""
    train_all, eval_names = names(FOLDS[fold][0]), names(FOLDS[fold][1])
    fit_only, val = train_all[:-1], train_all[-1:]
    return {
        label: {"eval": assess(s, train_all, eval_names), "val": assess(s, fit_only, val)}
        for label, s in scorers.items()
    }


def select_by_validation(by_fold: dict[int, dict[str, Any]]) -> str:
    """The scoring variant with the best mean VALIDATION micro AUC over the folds (no evaluation labels)."""

    def val(label: str) -> float:
        return float(np.mean([by_fold[f][label]["val"]["micro_train"] for f in FOLDS]))

    return max(by_fold[next(iter(FOLDS))], key=val)


#: the scorings every table shows (when the method has them), besides the validation pick
HEADLINE = ("frame-mean s0", "z p99 s0", "mean+zp99", "mean+zp99+motion-sq", "p99 |z| s0", "sum s0")


def methods(results: dict[str, Any]) -> list[tuple[str, dict[int, Any], list[dict[str, Any]] | None]]:
    """(name, {fold: scores}, training facts per fold or None) of every baseline and recipe in ``results``."""
    out = [(b, {f: res[f] for f in FOLDS}, None) for b, res in results["baselines"].items()]
    for r in dict.fromkeys(k.rsplit("_f", 1)[0] for k in results["runs"]):
        runs = [results["runs"][f"{r}_f{f}"] for f in FOLDS]
        out.append((r, {f: run["scores"] for f, run in zip(FOLDS, runs)}, [run["facts"] for run in runs]))
    return out


def row_of(name: str, label: str, by_fold: dict[int, Any], facts, pick: str) -> dict[str, Any]:
    per = [by_fold[f][label] for f in FOLDS]
    return {
        "method": name, "scoring": label, "picked_by_validation": label == pick, "facts": facts,
        "per_fold": [{k: p["eval"][k] for k in KEYS} | {"val_micro": p["val"]["micro_train"]} for p in per],
        "mean": {k: float(np.mean([p["eval"][k] for p in per])) for k in KEYS}
        | {"val_micro": float(np.mean([p["val"]["micro_train"] for p in per]))},
    }  # fmt: skip


def summary_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (method, scoring variant) of interest: the headline scorings and the validation pick."""
    rows = []
    for name, by_fold, facts in methods(results):
        pick = select_by_validation(by_fold)
        for label in dict.fromkeys([*(h for h in HEADLINE if h in by_fold[1]), pick]):
            rows.append(row_of(name, label, by_fold, facts, pick))
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print("\nmicro/macro AUC with train-statistics normalisation | micro/macro with per-video min-max; "
          "v = validation-clip micro AUC (selection); evaluated clips never trained on")  # fmt: skip
    for row in rows:
        cells = "  ".join(
            "%.3f/%.3f|%.3f/%.3f v%.2f" % (p["micro_train"], p["macro_train"], p["micro_video"], p["macro_video"], p["val_micro"])
            for p in row["per_fold"]
        )
        m = row["mean"]
        facts = row["facts"]
        info = ""
        if facts:
            cpu = [f["cpu_s"] for f in facts]
            info = f" [{facts[0]['size']}, {facts[0]['epochs']} ep, windows {'/'.join(str(f['train_windows']) for f in facts)}, cpu {'/'.join('?' if c is None else f'{c:.0f}' for c in cpu)} s]"
        pick = " *val-pick*" if row["picked_by_validation"] else ""
        print(f"{row['method']:25s} {row['scoring']:20s}{pick:11s} {cells}  MEAN %.3f/%.3f|%.3f/%.3f{info}" % (
            m["micro_train"], m["macro_train"], m["micro_video"], m["macro_video"]))  # fmt: skip


# ---------------------------------------------------------------- the compact summary for the course

SEEDS = {"flow-next": 0, "flow-next-s1": 1, "flow-next-s2": 2}
FOLD_PATTERN = (
    "Commands are fold 1's; fold 2: --clips 2,5,8 / --train-clips and train --clips 1,3,4,6,7,17, run folders *_f2; "
    "fold 3: --clips 3,6,17 / --train-clips and train --clips 1,2,4,5,7,8, run folders *_f3. $ROOT = "
    "../shared/data/ucsd-ped1-sample (from the repository root), $WORK = the script's --work folder, $CSV = any folder "
    "for the --scores files (they must not exist yet). Every number is the mean over the 3 folds of AUCs computed per fold."
)


def baseline_cmd(method: str, fold: int = 1, norm: str = "train", csv: bool = True) -> str:
    tr, ev = FOLDS[fold]
    out = f" --scores $CSV/{method}_f{fold}.csv" if csv else ""
    return f"companion baseline {method} $ROOT --clips {ev} --train-clips {tr} --size {SIZE[0]}x{SIZE[1]} --normalize {norm}{out}"


def evaluate_cmd(recipe: str, scoring: str, fold: int = 1, norm: str = "train", csv: bool = True) -> str:
    region = {"frame-mean s0": "", "z p99 s0": " --region 0 --pixel-norm z --percentile 99"}[scoring]
    tag = {"frame-mean s0": "mean", "z p99 s0": "zp99"}[scoring]
    out = f" --scores $CSV/{recipe}_f{fold}_{tag}.csv" if csv else ""
    return f"companion evaluate $WORK/{recipe}_f{fold} $ROOT --clips {FOLDS[fold][1]}{region} --normalize {norm}{out}"


def commands(method: str, scoring: str, work: Path, root: Path) -> list[str]:
    """The command lines of fold 1 that reproduce a row (train-normalised micro/macro; video: see the notes)."""
    if method in ("motion", "motion-sq", "flow", "flow-background"):
        return [baseline_cmd(method), baseline_cmd(method, norm="video", csv=False)]
    if method == "motion-sq+flow-background":
        return [baseline_cmd("motion-sq"), baseline_cmd("flow-background"),
                "companion combine $CSV/motion-sq_f1.csv $CSV/flow-background_f1.csv"]  # fmt: skip
    train_line = train_command(method, 1, work, root).replace(str(work), "$WORK").replace(str(root), "$ROOT")
    config_line = config_file_command(method, work)
    setup = [config_line.replace(str(work), "$WORK"), train_line] if config_line else [train_line]
    if scoring in ("frame-mean s0", "z p99 s0"):
        return [*setup, evaluate_cmd(method, scoring), evaluate_cmd(method, scoring, norm="video", csv=False)]
    parts = [evaluate_cmd(method, "frame-mean s0"), evaluate_cmd(method, "z p99 s0")]
    csvs = [f"$CSV/{method}_f1_mean.csv", f"$CSV/{method}_f1_zp99.csv"]
    if scoring == "mean+zp99+motion-sq":
        parts.append(baseline_cmd("motion-sq"))
        csvs.append("$CSV/motion-sq_f1.csv")
    return [*setup, *parts, "companion combine " + " ".join(csvs)]


def earlier_rows(summary: Path) -> list[dict[str, Any]]:
    """The rows of an earlier summary measured with an earlier companion (their first command checks
    that version out): kept as they are, since this version can no longer train them."""
    if not summary.is_file():
        return []
    return [r for r in json.loads(summary.read_text())["rows"] if r["commands_fold1"][0].startswith("git checkout")]


def compact_summary(results: dict[str, Any], work: Path, root: Path, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """The course's JSON (notebook 06 reads ``protocol_short`` and ``rows``: label, kind, micro_train,
    macro_train, fold_micro_train): one row per method and scoring, flow-next also over its 3 seeds;
    the ``earlier`` rows (:func:`earlier_rows`) after the other models' and before flow-next's."""
    found = {name: (by_fold, facts) for name, by_fold, facts in methods(results)}

    def r3(x: float | None) -> float | None:  # 5 decimals: no double rounding when printed with 3
        return None if x is None else round(float(x), 5)

    def base_row(label: str, kind: str, method: str, scoring: str) -> dict[str, Any] | None:
        if method not in found or scoring not in found[method][0][1]:
            return None
        by_fold, facts = found[method]
        per = [by_fold[f][scoring]["eval"] for f in FOLDS]
        row: dict[str, Any] = {"label": label, "kind": kind, "method": method, "scoring": scoring}
        row |= {k: r3(np.mean([p[k] for p in per])) for k in KEYS}
        row["fold_micro_train"] = [r3(p["micro_train"]) for p in per]
        row["epochs"] = facts[0]["epochs"] if facts else None
        row["train_windows"] = [f["train_windows"] for f in facts] if facts else None
        row["cpu_s"] = [None if f["cpu_s"] is None else round(f["cpu_s"]) for f in facts] if facts else None
        notes = {f["note"] for f in facts or [] if f.get("note")}
        if notes:
            row["cpu_note"] = "; ".join(sorted(notes))
        row["commands_fold1"] = commands(method, scoring, work, root)
        return row

    spec = [
        ("motion energy (mean |frame difference|)", "baseline", "motion", "frame-mean s0"),
        ("motion-sq (mean squared frame difference)", "baseline", "motion-sq", "frame-mean s0"),
        ("flow energy (mean optical-flow speed)", "baseline", "flow", "frame-mean s0"),
        ("flow-background (per-pixel Gaussian of flow speed, p99 |z|)", "baseline", "flow-background", "p99 |z| s0"),
        ("motion-sq + flow-background", "combination", "motion-sq+flow-background", "sum s0"),
        ("ConvLSTM AE, reconstruct frames (plain), frame mean", "model", "plain", "frame-mean s0"),
        ("ConvLSTM, next frame, frame mean", "model", "next", "frame-mean s0"),
    ]
    flow_rows = [
        ("flow-next, frame mean", "model", "frame-mean s0"),
        ("flow-next, z p99", "model", "z p99 s0"),
        ("flow-next, mean + z p99", "model", "mean+zp99"),
        ("flow-next, mean + z p99 + motion-sq", "combination", "mean+zp99+motion-sq"),
    ]
    rows = [r for r in (base_row(*s) for s in spec) if r] + earlier
    for label, kind, scoring in flow_rows:
        row = base_row(f"{label} (seed 0)", kind, "flow-next", scoring)
        if row:
            rows.append(row)
    for label, kind, scoring in flow_rows:
        seeds = [base_row(label, kind, r, scoring) for r in SEEDS]
        if not all(seeds):
            continue
        row = {"label": f"{label} (mean of 3 seeds)", "kind": kind, "method": "flow-next seeds 0,1,2", "scoring": scoring}
        row |= {k: r3(np.mean([s[k] for s in seeds])) for k in KEYS}
        row["fold_micro_train"] = [r3(np.mean([s["fold_micro_train"][i] for s in seeds])) for i in range(len(FOLDS))]
        row["seed_micro_train"] = [s["micro_train"] for s in seeds]
        row["seed_macro_train"] = [s["macro_train"] for s in seeds]
        row["seed_spread_micro_train"] = [min(row["seed_micro_train"]), max(row["seed_micro_train"])]
        row["epochs"] = seeds[0]["epochs"]
        row["train_windows"] = seeds[0]["train_windows"]
        row["cpu_s"] = [round(float(np.mean([s["cpu_s"][i] for s in seeds]))) for i in range(len(FOLDS))]
        row["commands_fold1"] = [f"as the seed-0 row with --seed {n} and --out $WORK/{r}_f1 (folders {r}_f1..f3)" for r, n in SEEDS.items() if n]
        rows.append(row)
    ablation = base_row("flow-next 2D (no memory, seed 0), mean + z p99", "model", "flow-next-2d", "mean+zp99")
    if ablation:
        rows.append(ablation)
    picks = {}
    for name, (by_fold, _) in found.items():
        pick = select_by_validation(by_fold)
        picks[name] = {"scoring": pick, "micro_train": r3(np.mean([by_fold[f][pick]["eval"]["micro_train"] for f in FOLDS])),
                       "val_micro": r3(np.mean([by_fold[f][pick]["val"]["micro_train"] for f in FOLDS]))}  # fmt: skip
    return {
        "protocol_short": (
            "Real UCSD Ped1 sample (9 Test clips, no Train split), 64x96 frames, 3 folds: each trains on the "
            "ground-truth-normal frames of 6 Test clips (NOT the paper protocol) and scores every frame of the other 3; "
            "frame AUC micro (pooled) / macro (per clip), scores z-scored with the training frames' statistics; "
            f"mean of 3 folds; measured {results['date']} on 2 CPU cores."
        ),
        "protocol": results["protocol"],
        "date": results["date"],
        "machine": "CPU only, torch.set_num_threads(2)",
        "goal": "a model with micro AUC >= 0.85 (train normalisation) that clearly beats motion energy",
        "folds": {str(f): {"train": tr, "validation": tr.split(",")[-1], "evaluate": ev} for f, (tr, ev) in FOLDS.items()},
        "fold_pattern": FOLD_PATTERN,
        "notes": (
            "micro_train/macro_train: training-statistics normalisation; micro_video/macro_video: per-video min-max "
            "(uses test information; `--normalize video`). A combination is the sum of train-normalised scores "
            "(`companion combine`); its video figures are the per-video min-max of that sum (the script's, no CLI "
            "command). cpu_s: CPU seconds of training per fold (2 threads; includes computing the flow images). "
            "train_windows: training windows per fold (stride 2, abnormal and repaired windows skipped). The flow "
            "baselines cost Farneback flow on every frame (see flow_cpu_s, all 9 clips). Seed rows: the mean over "
            "seeds 0, 1, 2 of the 3-fold means; seed_spread_micro_train = [min, max] over the seeds."
        ),
        "flow_cpu_s": r3(results.get("flow_cpu_s")),
        "rows": rows,
        "validation_picks": picks,
        "wall_s": results.get("wall_s"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("runs/real_ped1"), help="run folders (existing runs are reused)")
    ap.add_argument("--recipes", default=",".join(RECIPES), help=f"comma-separated, of: {', '.join(RECIPES)}")
    ap.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    ap.add_argument("--summary", type=Path, default=None, help="write the compact JSON for the course (< 30 KB) to this file")
    add_root_argument(ap)
    args = ap.parse_args()
    t_start = time.perf_counter()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    ds = open_dataset(args.root)
    results: dict[str, Any] = {
        "protocol": __doc__.split("Findings")[0].strip(), "date": datetime.date.today().isoformat(),
        "folds": FOLDS, "baselines": {}, "runs": {},
    }  # fmt: skip
    # what computing the flow of every frame of the 9 clips costs (the flow baselines pay it)
    clips = [load_clip(c, size=SIZE).frames for c in ds.select("test", None)]
    c0 = cpu_seconds()
    for frames in clips:
        flow_magnitude(frames)
    results["flow_cpu_s"] = cpu_seconds() - c0
    # the package's baselines on the same frames (64x96), and the fixed sum motion-sq + flow-background
    for base, scorers in baseline_variants(args.root).items():
        results["baselines"][base] = {fold: evaluate(scorers, fold) for fold in FOLDS}
    for recipe in args.recipes.split(","):
        for fold in FOLDS:
            facts = train_run(recipe, fold, args.work, args.root)
            facts["command"] = train_command(recipe, fold, args.work, args.root)
            out = run_maps(args.work / f"{recipe}_f{fold}", args.root)
            assert facts["val_clips"] == names(FOLDS[fold][0])[-1:], facts["val_clips"]
            results["runs"][f"{recipe}_f{fold}"] = {"facts": facts, "scores": evaluate(run_variants(out, args.root), fold)}
            print(f"{recipe} fold {fold}: {facts}", flush=True)
    results["summary"] = summary_rows(results)
    results["wall_s"] = round(time.perf_counter() - t_start)
    print_rows(results["summary"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.summary:
        text = json.dumps(compact_summary(results, args.work, args.root, earlier_rows(args.summary)), indent=1)
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(text + "\n")
        print(f"summary: {args.summary} ({len(text.encode()) / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
