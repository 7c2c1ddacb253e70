"""The ``companion`` command line: the same functions the notebooks use.

Each subcommand is added by one ``_add_<name>`` function; its handler imports what it needs
lazily so that ``companion --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from companion.errors import CompanionError, OutputPathError
from companion.settings import RECOMMENDED_CONFIG, TRAIN_ON

if TYPE_CHECKING:
    from companion.scoring import ScoredClips


def _write_json(data: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _positive_int(text: str) -> int:
    """argparse type for a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def _plain(text: str) -> str:
    """A docstring line as plain text for --help: without reStructuredText's double backticks."""
    return text.replace("``", "")


def _version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("companion")
    except PackageNotFoundError:
        from companion import __version__

        return __version__


def _refuse_existing(*paths: Path | None) -> None:
    """Raise before any work when an output file exists or cannot be written: a user's file is never overwritten."""
    given = [path for path in paths if path is not None]
    if len({os.path.abspath(path) for path in given}) < len(given):
        raise OutputPathError(f"the same file is given twice ({', '.join(map(str, given))}); name a different file for each")
    for path in given:
        if path.is_dir():
            raise OutputPathError(f"{path} is a folder; name a new file to write (a file inside it, for instance)")
        if path.exists():
            raise OutputPathError(f"{path} already exists and was left untouched; choose another file name or move it away")
        _refuse_file_above(path)


def _refuse_file_above(path: Path) -> None:
    """Raise when a folder that ``path`` needs is a file (it could not be written)."""
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise OutputPathError(f"{folder} is a file, not a folder, so {path} cannot be written; choose another path")
            return


def _refuse_file_as_folder(path: Path) -> None:
    """Raise before any work when the output folder ``path`` (or one above it) is a file."""
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{path} is a file, not a folder; nothing was written. Name a folder to write into")
    _refuse_file_above(path)


def _dataset_or_only(root: Path, dataset: str | None) -> str | None:
    """``dataset``; when not given, the only dataset under ``root`` (said on stderr), else None (ped1)."""
    if dataset is not None:
        return dataset
    from companion.layout import only_dataset

    only = only_dataset(root)
    if only is not None:
        print(f"note: using {only}, the only dataset in {root} (--dataset {only})", file=sys.stderr)
    return only


def _size(text: str) -> tuple[int, int]:
    """argparse type for a frame size written HxW, e.g. 64x96."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a frame size HxW of two whole numbers, e.g. 64x96") from None
    if h <= 0 or w <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: height and width must be positive")
    return h, w


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="list clips, junk, corrupt frames and labels of a UCSD-layout dataset")
    p.add_argument("root", type=Path, help="extracted tarball folder, UCSD_Anomaly_Dataset.v1p2/, UCSDped1/ or its Test/")
    p.add_argument("--dataset", default=None, help="ped1, ped2 or synth, when several are present (default: the only one, else ped1)")
    p.add_argument("--json", type=Path, help="also write the report as JSON to this (new) file")

    def run(args: argparse.Namespace) -> int:
        from companion.layout import open_dataset
        from companion.report import format_report, inspect_dataset

        _refuse_existing(args.json)
        report = inspect_dataset(open_dataset(args.root, dataset=_dataset_or_only(args.root, args.dataset)))
        print(format_report(report))
        if args.json:
            _write_json(report, args.json)
        return 0

    p.set_defaults(run=run)


def _add_synth(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="generate the synthetic UCSD-like dataset (the course's default data)")
    p.add_argument("out", type=Path, help="folder to write UCSD_Anomaly_Dataset.v1p2/UCSDsynth/ into")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-clips", type=int, default=None, help="number of Train clips")
    p.add_argument("--test-clips", type=int, default=None, help="number of Test clips")
    p.add_argument("--frames", type=int, default=None, help="frames per clip")
    p.add_argument("--size", type=_size, default=None, help="frame size HxW, e.g. 158x238")

    def run(args: argparse.Namespace) -> int:
        from companion.synth import SynthConfig, generate

        _refuse_file_as_folder(args.out)
        overrides = {
            k: v
            for k, v in {"train_clips": args.train_clips, "test_clips": args.test_clips, "frames": args.frames}.items()
            if v is not None
        }
        if args.size:
            overrides.update(height=args.size[0], width=args.size[1])
        root = generate(args.out, SynthConfig(seed=args.seed, **overrides))
        print(f"wrote {root}")
        return 0

    p.set_defaults(run=run)


def _add_download(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("download", help="download and safely extract the official UCSD tarball (checksummed)")
    p.add_argument("dest", type=Path, help="folder to extract into")
    p.add_argument("--archive", type=Path, help="use this already downloaded UCSD_Anomaly_Dataset.tar.gz (checked the same way)")

    def run(args: argparse.Namespace) -> int:
        from companion.download import fetch_ucsd

        _refuse_file_as_folder(args.dest)
        print(f"extracted to {fetch_ucsd(args.dest, archive=args.archive)}")
        return 0

    p.set_defaults(run=run)


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the ConvLSTM autoencoder; writes RUN/checkpoint.pt, RUN/best.pt and RUN/history.json",
        description="Options left out take the configuration's defaults, or the run's own settings with --resume.",
    )
    p.add_argument("root", type=Path, help="dataset folder (as for inspect), e.g. data/synth or ../shared/data/ucsd-ped1-sample")
    p.add_argument("--out", type=Path, required=True, help="run folder; an existing checkpoint there is kept unless --resume")
    p.add_argument("--config", default=None, help=f"model configuration: {RECOMMENDED_CONFIG} (default: the course's "
        "recommended detector), cpu (the plain ConvLSTM autoencoder of notebook 04), report or keras-readme; or a .json "
        "file holding ModelConfig.to_dict(). The run records how it is scored by default (see evaluate --scoring)")
    p.add_argument("--epochs", type=_positive_int, default=None, help="total epochs of the run (a resumed run trains up to it; default: the config's, more on small data for flow-next-96x144)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    p.add_argument("--dataset", default=None, help="ped1, ped2 or synth, when several are present (default: the only one, else ped1)")
    p.add_argument(
        "--train-on", default=None, choices=TRAIN_ON,
        help="train: the Train clips (paper protocol, default); normal-test-frames: the ground-truth-normal "
        "frames of Test clips (NOT the paper protocol; for data without Train/, like the real sample)",
    )  # fmt: skip
    p.add_argument("--clips", default=None, help="clips to use, e.g. 1-8,17 (default: all of the split)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate")
    p.add_argument("--stride", type=int, default=None, help="frames between consecutive training windows")
    p.add_argument("--max-inversion", action="store_true", default=None, help="train on max(x, 1 - x), as in the report")
    p.add_argument(
        "--target", default=None, choices=["reconstruct", "next"],
        help="reconstruct the window (the configuration's default) or predict the next frame (Liu et al. 2018)",
    )  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (one line per epoch)")

    def run(args: argparse.Namespace) -> int:
        from companion.checkpoints import load_checkpoint
        from companion.train import train

        dataset = args.dataset if args.resume else _dataset_or_only(args.root, args.dataset)  # --resume: the run's own
        config = args.config if args.config or args.resume else RECOMMENDED_CONFIG
        result = train(
            args.root, args.out, config=config, dataset=dataset, train_on=args.train_on,
            clips=args.clips, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, stride=args.stride,
            max_inversion=args.max_inversion, seed=args.seed, device=args.device,
            resume=args.resume, progress=not args.no_progress, target=args.target,
        )  # fmt: skip
        print(f"{result.epochs} epoch(s) in {result.run_dir}: checkpoint {result.checkpoint}")
        print(f"`companion evaluate {result.run_dir} ROOT` scores it with {load_checkpoint(result.run_dir)['scoring']}, the scoring it records")
        return 0

    p.set_defaults(run=run)


def _report_scores(scored: ScoredClips, args: argparse.Namespace, extra: dict, scoring: str | None = None) -> None:
    """Print the frame-level metrics of ``scored``; write --json and --scores (with a ``scoring`` column
    holding ``scoring`` when given) when asked."""
    from companion.metrics import frame_report
    from companion.scores_csv import write_scores

    report = {
        **extra,
        **frame_report(scored.labels, scored.scores, scored.train_scores),
        "normalize": scored.normalize,
        "uses_test_information": scored.uses_test_information,
        "protocol": scored.protocol,
        "repaired_frames": {k: v for k, v in scored.repaired.items() if v},
    }
    if "WARNING:" in scored.protocol:  # overlapping clips: say it where it cannot be missed
        print("WARNING:" + scored.protocol.split("WARNING:", 1)[1].split(";")[0], file=sys.stderr)
    print(scored.protocol)
    macro = "n/a" if report["auc_macro"] is None else f"{report['auc_macro']:.4f}"
    print(
        f"{report['n_frames']} frames of {len(scored.scores)} clip(s) scored: AUC micro {report['auc_micro']:.4f}, "
        f"macro {macro}; EER {report['eer']:.4f}; average precision {report['average_precision']:.4f}"
    )
    if report["skipped_single_class"]:
        print(f"macro AUC leaves out single-class clip(s): {', '.join(report['skipped_single_class'])}")
    for name, m in report.get("thresholds", {}).items():
        print(f"threshold {name} = {m['threshold']:.4g}: precision {m['precision']:.3f}, recall {m['recall']:.3f}, F1 {m['f1']:.3f}")
    if args.json:
        _write_json(report, args.json)
    if args.scores:
        write_scores(scored, args.scores, scoring)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    from companion.regions import PixelNorm
    from companion.scorings import SCORINGS, Normalization, ScoreKind

    p = sub.add_parser(
        "evaluate",
        help="score every frame of Test clips with a trained run; frame-level AUC, EER, AP and thresholds",
        description="Higher score = more anomalous. Without scoring options the run is scored the way it records "
        "(companion train records its configuration's recommended scoring); --scoring chooses another, and "
        "--score/--region/--pixel-norm/--percentile/--floor describe a single score instead. The JSON's 'scoring' and "
        "'protocol' say how the frames were scored, which frames trained the model, which normalisation was used "
        "and whether test-set information was used.",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN", help="run folder holding checkpoint.pt (from companion train)")
    p.add_argument("root", type=Path, help="dataset folder (as for inspect); it must also hold the run's training clips")
    p.add_argument("--clips", default=None, help="Test clips to evaluate, e.g. 9-16 (default: all)")
    p.add_argument("--dataset", default=None, help="ped1, ped2 or synth (default: the dataset the run trained on)")
    p.add_argument(
        "--scoring", default=None, choices=list(SCORINGS),
        help="the run's recorded scoring by default (mse for runs trained before runs recorded one); "
        + "; ".join(f"{name}: {s.about}" for name, s in SCORINGS.items()),
    )  # fmt: skip
    p.add_argument(
        "--normalize", default="train", choices=get_args(Normalization),
        help="train: z-scores with the training frames' statistics (default, no test information); "
        "video: per-video min-max (most papers; USES TEST-SET INFORMATION); none: raw errors",
    )  # fmt: skip
    p.add_argument("--score", default=None, choices=get_args(ScoreKind), help="a single score of this kind instead of the run's scoring")
    p.add_argument("--smooth", type=int, default=0, metavar="N", help="centred moving average over N frames (default: none)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument(
        "--region", type=int, default=None, metavar="PATCH",
        help="instead of the run's scoring, score each frame by its most abnormal PATCHxPATCH region (pixels of the "
        "model input; 0 = frame mean) of the error map divided by the training frames' mean error at each pixel "
        "(see --pixel-norm)",
    )  # fmt: skip
    p.add_argument(
        "--pixel-norm", default=None, choices=get_args(PixelNorm),
        help="with --region: ratio (default) divides each pixel's error by its mean on the normal training frames; "
        "z: one-sided z-score against their per-pixel mean and std; none: raw",
    )  # fmt: skip
    p.add_argument("--floor", type=float, default=None, help="with --region: divisor floor, times the mean (ratio) or std (z) map's mean (default 0.1)")
    p.add_argument(
        "--percentile", type=float, default=None, metavar="P",
        help="with --region 0: score each frame by the P-th percentile of its (normalised) pixel errors, e.g. 99",
    )  # fmt: skip
    p.add_argument("--json", type=Path, help="write the metrics as JSON to this (new) file")
    p.add_argument("--scores", type=Path, help="write clip,frame,label,score,scoring per frame as CSV to this (new) file")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")

    def run(args: argparse.Namespace) -> int:
        from companion.evaluation import choose_scoring, score_checkpoint, score_checkpoint_regions, score_run
        from companion.regions import RegionSettings

        _refuse_existing(args.json, args.scores)
        region_options = [f"--{name.replace('_', '-')}" for name in ("pixel_norm", "floor", "percentile") if getattr(args, name) is not None]
        single = [*(["--score"] if args.score else []), *(["--region"] if args.region is not None else []), *region_options]
        if args.scoring and single:
            raise CompanionError(f"--scoring chooses a named scoring, {' '.join(single)} a single score: give one or the other")
        if region_options and args.region is None:
            raise CompanionError(f"{' '.join(region_options)} shape region scores of error maps: add --region 0 (or --region N)")
        if args.region is not None:
            if args.score not in (None, "mse"):
                raise CompanionError("--region scores squared-error maps: drop --score (or use --score mse)")
            settings = RegionSettings(
                patch=args.region, pixel_norm=args.pixel_norm or "ratio",
                floor=0.1 if args.floor is None else args.floor, percentile=args.percentile or 0.0,
            )  # fmt: skip
            scored = score_checkpoint_regions(
                args.run_dir, args.root, clips=args.clips, dataset=args.dataset, normalize=args.normalize,
                settings=settings, smooth_window=args.smooth, batch_size=args.batch_size, progress=not args.no_progress,
            )  # fmt: skip
            extra = {"run": str(args.run_dir), "scoring": "options", "score": "region", "region": args.region,
                     "pixel_norm": settings.pixel_norm, "floor": settings.floor, "percentile": settings.percentile,
                     "smooth": args.smooth}  # fmt: skip
            _report_scores(scored, args, extra, "options")
            return 0
        if args.score:
            scored = score_checkpoint(
                args.run_dir, args.root, clips=args.clips, dataset=args.dataset, normalize=args.normalize,
                kind=args.score, smooth_window=args.smooth, batch_size=args.batch_size, progress=not args.no_progress,
            )  # fmt: skip
            extra = {"run": str(args.run_dir), "scoring": "options", "score": args.score, "smooth": args.smooth}
            _report_scores(scored, args, extra, "options")
            return 0
        choice = choose_scoring(args.run_dir, args.scoring)
        if not choice.recorded:
            print(f"note: {choice.source}", file=sys.stderr)
        scored = score_run(
            args.run_dir, args.root, choice, clips=args.clips, dataset=args.dataset, normalize=args.normalize,
            smooth_window=args.smooth, batch_size=args.batch_size, progress=not args.no_progress,
        )  # fmt: skip
        extra = {"run": str(args.run_dir), "scoring": choice.name, "scoring_source": choice.source,
                 "scoring_parts": list(choice.scoring.parts), "smooth": args.smooth}  # fmt: skip
        _report_scores(scored, args, extra, choice.name)
        return 0

    p.set_defaults(run=run)


def _add_baseline(sub: argparse._SubParsersAction) -> None:
    from companion.baselines import BASELINES
    from companion.scorings import Normalization

    p = sub.add_parser(
        "baseline",
        help="score every frame of Test clips with a baseline (motion or flow energy, or a per-pixel Gaussian model)",
        description="The background model fits on the Train split, or, when there is none (the real sample), "
        "on the ground-truth-normal frames of --train-clips (NOT the paper protocol; said in the output).",
    )
    p.add_argument(
        "method", choices=list(BASELINES),
        help="motion: mean |frame difference|; motion-sq: mean squared frame difference; background: per-pixel Gaussian of intensities; flow: mean optical-flow "
        "speed; flow-background: per-pixel Gaussian of optical-flow speed",
    )  # fmt: skip
    p.add_argument("root", type=Path, help="dataset folder (as for inspect)")
    p.add_argument("--clips", default=None, help="Test clips to evaluate, e.g. 9-16 (default: all)")
    p.add_argument("--train-clips", default=None, help="Train clips to fit on (default: all); Test clips when there is no Train split")
    p.add_argument("--dataset", default=None, help="ped1, ped2 or synth, when several are present (default: the only one, else ped1)")
    p.add_argument("--size", type=_size, default=None, help="resize frames to HxW, e.g. 128x128 (default: full size)")
    p.add_argument(
        "--normalize", default="none", choices=get_args(Normalization),
        help="none (default), train (z-scores with the training frames' statistics) or video (per-video min-max: "
        "USES TEST-SET INFORMATION)",
    )  # fmt: skip
    p.add_argument("--smooth", type=int, default=0, metavar="N", help="centred moving average over N frames (default: none)")
    p.add_argument("--json", type=Path, help="write the metrics as JSON to this (new) file")
    p.add_argument("--scores", type=Path, help="write clip,frame,label,score per frame as CSV to this (new) file")

    def run(args: argparse.Namespace) -> int:
        from companion.evaluation import score_baseline

        _refuse_existing(args.json, args.scores)
        scored = score_baseline(
            args.method, args.root, clips=args.clips, train_clips=args.train_clips,
            dataset=_dataset_or_only(args.root, args.dataset) or "ped1",
            size=args.size, normalize=args.normalize, smooth_window=args.smooth,
        )  # fmt: skip
        _report_scores(scored, args, {"method": args.method, "size": args.size, "smooth": args.smooth})
        return 0

    p.set_defaults(run=run)


def _add_combine(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "combine",
        help="sum the train-normalised per-frame scores of several --scores CSVs (a fixed, unlearned combination)",
        description="Each CSV comes from `companion evaluate ... --scores` or `companion baseline ... --normalize train "
        "--scores` on the same clips; scores must be z-scored with their own training statistics (--normalize train).",
    )
    p.add_argument("csv", type=Path, nargs="+", help="two or more scores CSVs (clip,frame,label,score)")
    p.add_argument("--json", type=Path, help="write the metrics as JSON to this (new) file")
    p.add_argument("--scores", type=Path, help="write the combined clip,frame,label,score as CSV to this (new) file")

    def run(args: argparse.Namespace) -> int:
        from companion.combine import combine_scores
        from companion.scores_csv import read_scores

        _refuse_existing(args.json, args.scores)
        scored = combine_scores({str(path): read_scores(path) for path in args.csv})
        _report_scores(scored, args, {"combined": [str(p) for p in args.csv]})
        return 0

    p.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="companion", description=_plain(__doc__.splitlines()[0]))
    parser.add_argument("--version", action="version", version=f"companion {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_inspect, _add_synth, _add_download, _add_train, _add_evaluate, _add_baseline, _add_combine):
        add(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at the null device: its reader went away (``companion inspect ... | head``)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (io.UnsupportedOperation)
        sys.stdout = open(os.devnull, "w")  # kept open until exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2: a user's error, said on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
        return status
    except BrokenPipeError:  # the Python docs' "Note on SIGPIPE": quietly, with Python's status for EPIPE
        _silence_stdout()
        return 1
    except CompanionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
