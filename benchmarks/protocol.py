"""The paper protocol on any UCSD-layout download: the recommended detector, the plain ConvLSTM
autoencoder and every baseline of the package, side by side (prints a table; writes a JSON and a
Markdown table that hold the commands that made them).

    .venv/bin/python benchmarks/protocol.py ROOT [--dataset ped1|ped2|synth] [--out DIR] [--epochs N]
        [--clips 1-36] [--train-clips 1-34] [--json FILE] [--md FILE]

Protocol (said in both files): the models train on the Train split (``--train-clips``, default all),
the baselines' Gaussian models fit on the same frames, and every frame of the labelled Test clips
(``--clips``, default all) is scored. A download without a Train split (the real sample in
``../shared``) has no paper protocol: the script says so and trains on the ground-truth-normal frames
of the evaluated Test clips themselves, labelled NOT the paper protocol (optimistic, not comparable
with published figures). Scores are z-scored with the statistics of the normal training frames (no
test information); micro AUC pools every frame, macro averages the per-clip AUCs. Each figure is
given twice: raw, and smoothed by a centred moving average over :data:`SMOOTH` frames
(``companion.scoring.smooth``, what ``--smooth`` runs), a window fixed before any figure was
computed (the length of HF2-VAD's median filter), never tuned on these clips.

The methods: the recommended detector (``companion train ROOT --out RUN``, then ``companion evaluate
RUN ROOT``: the run's recorded scoring), the plain ConvLSTM autoencoder (``--config cpu``, scored by
its frame mean) and each of ``companion.baselines.BASELINES`` at the models' input size. Everything
is computed by the package (``companion.train.train``, ``companion.evaluation``,
``companion.metrics.frame_auc``). Runs are trained into ``DIR/runs/`` and reused only when trained
with the same configuration, settings, clips, epochs and data; output files are never overwritten.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from bench_course import machine
from experiments import run_or_exit_2, train_or_reuse

from companion.baselines import BASELINES
from companion.errors import CompanionError
from companion.evaluation import choose_scoring, labelled_clips, outputs_for_scoring, score_baseline, score_outputs
from companion.layout import open_dataset
from companion.metrics import frame_auc
from companion.model import CONFIGS
from companion.scoring import ScoredClips
from companion.settings import RECOMMENDED_CONFIG

SMOOTH = 17
#: the trained methods: name -> (configuration, what it is)
MODELS: dict[str, tuple[str, str]] = {
    "recommended": (RECOMMENDED_CONFIG, f"the course's recommended detector ({RECOMMENDED_CONFIG})"),
    "plain": ("cpu", "the plain ConvLSTM autoencoder (cpu config)"),
}


def _aucs(scored: ScoredClips) -> dict[str, float | None]:
    auc = frame_auc(scored.labels, scored.scores)
    return {"auc_micro": auc.micro, "auc_macro": auc.macro}


def _flags(**options: str | None) -> str:
    return "".join(f" --{k.replace('_', '-')} {shlex.quote(v)}" for k, v in options.items() if v is not None)


def _refuse_existing(*paths: Path) -> None:
    if len(set(paths)) < len(paths):
        raise CompanionError(f"--json and --md name the same file ({paths[0]}): give each its own")
    for path in paths:
        if path.exists():
            raise CompanionError(f"{path} already exists and was left untouched: choose another file (--json/--md) or --out")


def _table(report: dict[str, Any]) -> str:
    """The Markdown page: protocol, the table, and the commands."""
    rows = ["| Method | micro | macro | micro, smoothed | macro, smoothed |", "|---|---|---|---|---|"]
    for name, m in report["methods"].items():
        cells = [m[k][a] for k in ("raw", "smoothed") for a in ("auc_micro", "auc_macro")]
        about = m["about"].replace("|", "\\|")  # a cell of a Markdown table
        rows.append(f"| {name}: {about} | " + " | ".join("n/a" if c is None else f"{c:.3f}" for c in cells) + " |")
    commands = "\n".join(f"{c}" for m in report["methods"].values() for c in m["commands"])
    return (
        f"# Frame AUC on {report['dataset']} ({report['protocol_name']})\n\n{report['protocol']}\n\n"
        f"{report['n_frames']} frames of {len(report['evaluated_clips'])} Test clip(s); smoothing: {report['smoothing']}.\n\n"
        + "\n".join(rows)
        + f"\n\nMade by\n\n```bash\n{report['command']}\n```\n\nwhich runs, method by method (ROOT={report['root']}):\n\n"
        f"```bash\n{commands}\n```\n\nMachine: {report['machine']}; {report['seconds']:.0f} s in all.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="a UCSD-layout download (as for companion inspect)")
    parser.add_argument("--dataset", default=None, help="ped1, ped2 or synth (default: the only one, else ped1)")
    parser.add_argument("--out", type=Path, default=Path("runs/protocol"), help="folder for runs/ and the outputs (default runs/protocol)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of both models (default: each configuration's)")
    parser.add_argument("--clips", default=None, help="Test clips to score, e.g. 1-36 (default: all)")
    parser.add_argument("--train-clips", default=None, help="Train clips (default: all); without a Train split, the Test clips")
    parser.add_argument("--json", type=Path, default=None, help="the JSON to write (default OUT/protocol.json; never overwritten)")
    parser.add_argument("--md", type=Path, default=None, help="the Markdown table to write (default OUT/protocol.md; never overwritten)")
    args = parser.parse_args(argv)
    return run_or_exit_2(run, args, argv)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    t0 = time.perf_counter()
    json_path, md_path = args.json or args.out / "protocol.json", args.md or args.out / "protocol.md"
    _refuse_existing(json_path, md_path)
    ds = open_dataset(args.root, dataset=args.dataset)
    evaluated = [c.name for c in labelled_clips(ds, args.clips)]
    paper = bool(ds.clips.get("Train"))
    if paper:
        train_on, train_clips = "train", args.train_clips
        protocol_name = "the paper protocol"
        protocol = (f"The paper protocol: the models train on the Train split of {ds.name} "
                    f"({args.train_clips or 'all clips'}), and every frame of the Test clips is scored.")  # fmt: skip
    else:
        train_on = "normal-test-frames"
        train_clips = args.train_clips or ",".join(str(int(name.removeprefix("Test"))) for name in evaluated)
        protocol_name = "NOT the paper protocol"
        protocol = (f"NOT the paper protocol: {ds.name} has no Train split, so the models train (and the baselines "
                    f"fit) on the ground-truth-normal frames of its Test clips {train_clips}, the clips then scored: "
                    "optimistic figures, not comparable with published results.")  # fmt: skip
        print(f"NOTE: {protocol}", file=sys.stderr)
    root, dataset = str(args.root), args.dataset
    size = (CONFIGS[RECOMMENDED_CONFIG].height, CONFIGS[RECOMMENDED_CONFIG].width)
    methods: dict[str, dict[str, Any]] = {}
    for name, (config, about) in MODELS.items():
        run_dir = args.out / "runs" / name
        print(f"{name}: training {config} into {run_dir} (or reusing the same run)", flush=True)
        facts = train_or_reuse(args.root, run_dir, config=config, clips=train_clips, train_on=train_on, dataset=dataset,
                               epochs=args.epochs)  # fmt: skip
        choice = choose_scoring(run_dir)
        outputs = outputs_for_scoring(run_dir, args.root, choice, clips=args.clips, dataset=dataset, progress=False)
        raw, smoothed = (score_outputs(outputs, choice, "train", w) for w in (0, SMOOTH))
        train_flags = _flags(config=None if config == RECOMMENDED_CONFIG else config, dataset=dataset,
                             train_on=None if paper else train_on, clips=train_clips,
                             epochs=None if args.epochs is None else str(args.epochs))  # fmt: skip
        evaluate = f"companion evaluate {run_dir} $ROOT{_flags(dataset=dataset, clips=args.clips)}"
        methods[name] = {
            "about": f"{about}, scoring {choice.name}", "scoring": choice.name, "training": facts,
            "raw": _aucs(raw), "smoothed": _aucs(smoothed), "protocol": raw.protocol,
            "commands": [f"companion train $ROOT --out {run_dir}{train_flags} --device cpu", evaluate, f"{evaluate} --smooth {SMOOTH}"],
        }  # fmt: skip
    for method, about in BASELINES.items():
        print(f"{method}: scoring", flush=True)
        base_clips = args.train_clips if paper else train_clips
        raw, smoothed = (
            score_baseline(method, args.root, clips=args.clips, train_clips=base_clips, dataset=ds.name, size=size,
                           normalize="train", smooth_window=w)
            for w in (0, SMOOTH)
        )  # fmt: skip
        command = (f"companion baseline {method} $ROOT{_flags(dataset=dataset, clips=args.clips, train_clips=base_clips)} "
                   f"--size {size[0]}x{size[1]} --normalize train")  # fmt: skip
        methods[method] = {"about": about, "raw": _aucs(raw), "smoothed": _aucs(smoothed), "protocol": raw.protocol,
                           "commands": [command, f"{command} --smooth {SMOOTH}"]}  # fmt: skip
    report = {
        "dataset": ds.name, "root": root, "protocol_name": protocol_name, "protocol": protocol, "paper_protocol": paper,
        "train_on": train_on, "train_clips": train_clips, "evaluated_clips": evaluated,
        "n_frames": sum(len(c.frames) for c in labelled_clips(ds, args.clips)), "size": f"{size[0]}x{size[1]}",
        "normalisation": "z-scores with the statistics of the normal training frames (no test-set information)",
        "smoothing": f"a centred {SMOOTH}-frame moving average (companion.scoring.smooth, --smooth {SMOOTH}), fixed in advance "
        "(the length of HF2-VAD's median filter), never tuned on these clips",
        "command": "python benchmarks/protocol.py " + " ".join(shlex.quote(a) for a in argv),
        "methods": methods, "machine": machine(), "seconds": time.perf_counter() - t0,
    }  # fmt: skip
    json_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    page = _table(report)
    md_path.write_text(page)
    print(page)
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
