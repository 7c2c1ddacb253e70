"""A UCSD-layout dataset as a judge may hand it over: re-encoded and resized.

    python benchmarks/reencode.py ROOT OUT [--codec jpeg75|mjpg|png] [--size 240x360] [--dataset ped1]

Writes ``OUT/UCSD_Anomaly_Dataset.v1p2/<dataset folder>/`` with every clip's frames decoded by
the package (a corrupt frame arrives repaired, as the course reads it), resized with area
interpolation to ``--size`` (default: unchanged) and written back through the codec:

- ``jpeg75``: each frame a JPEG at quality 75 (``001.jpg``);
- ``mjpg``: each clip through OpenCV's Motion-JPEG video codec (an ``.avi`` written and read
  back), its frames stored losslessly as ``001.png``;
- ``png``: lossless (resizing only).

The ground truth (``.m``) is copied; pixel masks are resized with nearest-neighbour
interpolation. ``OUT`` must not exist yet (nothing is overwritten). This is the check the
issue asks for: the course's ranking must hold on footage re-encoded and at Ped2's frame size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from companion.frames import decode_clip
from companion.layout import ARCHIVE_DIR, open_dataset

CODECS = ("jpeg75", "mjpg", "png")


def _size(text: str) -> tuple[int, int]:
    h, _, w = text.lower().partition("x")
    return int(h), int(w)


def _resize(frames: np.ndarray, size: tuple[int, int] | None, interpolation: int) -> np.ndarray:
    if size is None or frames.shape[1:] == size:
        return frames
    return np.stack([cv2.resize(f, (size[1], size[0]), interpolation=interpolation) for f in frames])


def _through_mjpg(frames: np.ndarray, scratch: Path) -> np.ndarray:
    """Frames after a round trip through OpenCV's Motion-JPEG codec (greyscale written as colour)."""
    path = scratch / "clip.avi"
    h, w = frames.shape[1:]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (w, h), True)
    if not writer.isOpened():
        raise SystemExit("error: OpenCV cannot write Motion-JPEG video here; use --codec jpeg75")
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    capture = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    capture.release()
    if len(out) != len(frames):
        raise SystemExit(f"error: the MJPG round trip returned {len(out)} of {len(frames)} frames")
    return np.stack(out)


def reencode(root: Path, out: Path, codec: str, size: tuple[int, int] | None, dataset: str | None) -> Path:
    """Write the re-encoded copy; returns its dataset folder."""
    ds = open_dataset(root, dataset)
    dest = out / ARCHIVE_DIR / ds.root.name
    with tempfile.TemporaryDirectory() as scratch:
        for split, clips in ds.clips.items():
            for clip in clips:
                frames = _resize(decode_clip(clip).frames, size, cv2.INTER_AREA)
                if codec == "mjpg":
                    frames = _through_mjpg(frames, Path(scratch))
                folder = dest / split / clip.name
                folder.mkdir(parents=True)
                for path, frame in zip(clip.frames, frames):
                    image = Image.fromarray(frame)
                    if codec == "jpeg75":
                        image.save(folder / f"{path.stem}.jpg", quality=75)
                    else:
                        image.save(folder / f"{path.stem}.png")
                if clip.mask_dir is not None:
                    masks = dest / split / clip.mask_dir.name
                    masks.mkdir()
                    for mask in sorted(clip.mask_dir.glob("*.bmp")):
                        image = cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE)
                        if image is not None:
                            cv2.imwrite(str(masks / mask.name), _resize(image[None], size, cv2.INTER_NEAREST)[0])
                print(f"{split}/{clip.name}: {len(frames)} frames", flush=True)
    if ds.gt_file is not None:
        shutil.copy2(ds.gt_file, dest / "Test" / ds.gt_file.name)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a UCSD-layout dataset (as for companion inspect)")
    parser.add_argument("out", type=Path, help="new folder to write the copy into")
    parser.add_argument("--codec", choices=CODECS, default="jpeg75")
    parser.add_argument("--size", type=_size, default=None, help="HxW, e.g. 240x360 (default: unchanged)")
    parser.add_argument("--dataset", default=None, help="ped1, ped2 or synth when several are present")
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"error: {args.out} exists; choose a new folder (nothing is overwritten)", file=sys.stderr)
        return 2
    dest = reencode(args.root, args.out, args.codec, args.size, args.dataset)
    print(f"wrote {dest} ({args.codec}, size {'unchanged' if args.size is None else 'x'.join(map(str, args.size))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
