"""The ``companion`` command line: the same functions the notebooks use.

Each subcommand is added by one ``_add_<name>`` function; its handler imports what it needs
lazily so that ``companion --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from companion.errors import CompanionError


def _write_json(data: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="list clips, junk, corrupt frames and labels of a UCSD-layout dataset")
    p.add_argument("root", type=Path, help="extracted tarball folder, UCSD_Anomaly_Dataset.v1p2/, UCSDped1/ or its Test/")
    p.add_argument("--dataset", default="ped1", help="ped1 (default), ped2 or synth, when several are present")
    p.add_argument("--json", type=Path, help="also write the report as JSON to this file")

    def run(args: argparse.Namespace) -> int:
        from companion.layout import open_dataset
        from companion.report import format_report, inspect_dataset

        report = inspect_dataset(open_dataset(args.root, dataset=args.dataset))
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
    p.add_argument("--size", default=None, help="frame size HxW, e.g. 158x238")

    def run(args: argparse.Namespace) -> int:
        from companion.synth import SynthConfig, generate

        overrides = {
            k: v
            for k, v in {"train_clips": args.train_clips, "test_clips": args.test_clips, "frames": args.frames}.items()
            if v is not None
        }
        if args.size:
            h, w = (int(v) for v in args.size.lower().split("x"))
            overrides.update(height=h, width=w)
        root = generate(args.out, SynthConfig(seed=args.seed, **overrides))
        print(f"wrote {root}")
        return 0

    p.set_defaults(run=run)


def _add_download(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("download", help="download and safely extract the official UCSD tarball (checksummed)")
    p.add_argument("dest", type=Path, help="folder to extract into")

    def run(args: argparse.Namespace) -> int:
        from companion.download import fetch_ucsd

        print(f"extracted to {fetch_ucsd(args.dest)}")
        return 0

    p.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="companion", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_inspect, _add_synth, _add_download):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CompanionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
