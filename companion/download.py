"""Download and safe extraction of the official UCSD Anomaly Detection tarball.

The tarball is fetched with ``pooch`` (checksummed, cached under ``cache_dir()/"downloads"``)
and extracted only after every member has been checked: no absolute paths, no ``..``, no links
pointing outside the destination, no devices. Existing files are never overwritten.
"""

from __future__ import annotations

import shutil
import tarfile
import zlib
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import unquote, urlparse

import pooch
import requests

from companion.errors import CompanionError
from companion.paths import cache_dir

UCSD_URL = "http://www.svcl.ucsd.edu/projects/anomaly/UCSD_Anomaly_Dataset.tar.gz"
UCSD_SHA256 = "2329af326951f5097fdd114c50e853957d3e569493a49d22fc082a9fd791915b"


class DownloadError(CompanionError):
    """The tarball could not be fetched or does not match its checksum."""


class UnsafeArchiveError(CompanionError):
    """A tarball member would land outside the destination folder."""


def _copy_file_url(url: str, output_file: str | IO[bytes], _pooch: object) -> None:
    """pooch downloader for ``file://`` URLs (a tarball already on disk)."""
    source = Path(unquote(urlparse(url).path))
    if isinstance(output_file, str):
        shutil.copyfile(source, output_file)
    else:
        with source.open("rb") as f:
            shutil.copyfileobj(f, output_file)


def _retrieve(url: str, sha256: str | None, cache: Path, progress: bool) -> Path:
    downloader = _copy_file_url if url.startswith("file://") else pooch.HTTPDownloader(progressbar=progress, timeout=30)
    fname = PurePosixPath(urlparse(url).path).name or "UCSD_Anomaly_Dataset.tar.gz"
    try:
        return Path(
            pooch.retrieve(
                url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=fname, path=cache, downloader=downloader
            )
        )
    except ValueError as err:  # pooch reports a checksum mismatch (and an unknown protocol) as ValueError
        if "hash" not in str(err):
            raise DownloadError(f"cannot download {url}: {err}") from None
        raise DownloadError(
            f"{url} does not match its checksum ({err}); the download is damaged or not the official file. Try again, "
            "or download it by hand and pass it with `companion download DEST --archive FILE`."
        ) from None
    except (requests.exceptions.RequestException, OSError) as err:
        raise DownloadError(
            f"could not download {url} ({type(err).__name__}: {err}). If you are offline or the server is down, "
            "download UCSD_Anomaly_Dataset.tar.gz by hand (browser, another machine) and pass the file with "
            "`companion download DEST --archive FILE` (fetch_ucsd(dest, archive=FILE)), or point "
            "`companion inspect` at an already extracted copy."
        ) from None


def _check_sha256(archive: Path, sha256: str | None) -> None:
    if sha256 and pooch.file_hash(str(archive), alg="sha256") != sha256.lower():
        raise DownloadError(
            f"{archive} does not match the official checksum sha256:{sha256}; it is damaged or another file. "
            "Download it again."
        )


def check_members(members: list[tarfile.TarInfo], dest: Path) -> None:
    """Raise :class:`UnsafeArchiveError` unless every member stays inside ``dest``.

    Rejects absolute paths, drive letters, any ``..`` component (in names and link targets),
    links whose target leaves ``dest`` and special files (devices, FIFOs).
    """
    root = dest.resolve()

    def inside(name: str) -> bool:
        path = PurePosixPath(name)
        return not path.is_absolute() and ".." not in path.parts and (root / path).resolve().is_relative_to(root)

    for m in members:
        name = m.name.replace("\\", "/")
        if not inside(name) or any(":" in part for part in PurePosixPath(name).parts[:1]):
            raise UnsafeArchiveError(f"refusing to extract {m.name!r}: it would be written outside {dest}")
        if m.issym() and not inside(str(PurePosixPath(name).parent / m.linkname)):
            raise UnsafeArchiveError(f"refusing to extract link {m.name!r} -> {m.linkname!r}: it points outside {dest}")
        if m.islnk() and not inside(m.linkname):
            raise UnsafeArchiveError(f"refusing to extract hard link {m.name!r} -> {m.linkname!r}: outside {dest}")
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise UnsafeArchiveError(f"refusing to extract {m.name!r}: not a regular file, folder or link")


def _top_folder(members: list[tarfile.TarInfo], dest: Path) -> Path:
    """``dest/<folder>`` when the archive has one top-level folder (AppleDouble aside), else ``dest``."""
    parts = [PurePosixPath(m.name).parts for m in members]
    folders = {p[0] for m, p in zip(members, parts) if p and (m.isdir() or len(p) > 1) and not p[0].startswith("._")}
    return dest / folders.pop() if len(folders) == 1 else dest


def _merge(src: Path, dst: Path) -> None:
    """Move what ``src`` holds into ``dst``, keeping everything already in ``dst``."""
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.is_dir() and not entry.is_symlink() and target.is_dir() and not target.is_symlink():
            _merge(entry, target)
        elif not (target.exists() or target.is_symlink()):
            entry.rename(target)


def extract(archive: Path, dest: Path) -> Path:
    """Safely extract ``archive`` into ``dest``; returns its top folder (``dest/UCSD_Anomaly_Dataset.v1p2``).

    Every member is checked before anything is written; the archive is unpacked into a temporary
    folder inside ``dest`` (with tarfile's ``"data"`` filter where Python has it) and merged into
    ``dest`` without replacing anything already there (e.g. a ``UCSDsynth/`` beside the new
    ``UCSDped1/``).
    """
    dest.mkdir(parents=True, exist_ok=True)
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            check_members(members, dest)
            if all((dest / m.name).exists() or (dest / m.name).is_symlink() for m in members):
                return _top_folder(members, dest)  # already extracted: nothing to do
            with tempfile.TemporaryDirectory(dir=dest, prefix=".extract-") as tmp:
                tar.extractall(tmp, members=members, **safe)
                _merge(Path(tmp), dest)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise DownloadError(f"cannot extract {archive} ({type(err).__name__}: {err}); download it again") from None
    return _top_folder(members, dest)


def fetch_ucsd(
    dest: str | Path,
    *,
    archive: str | Path | None = None,
    url: str = UCSD_URL,
    sha256: str | None = UCSD_SHA256,
    cache: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Download (or take ``archive``), verify and safely extract the UCSD tarball into ``dest``.

    Returns the extracted ``UCSD_Anomaly_Dataset.v1p2/`` folder, ready for ``open_dataset``.
    The download is cached under ``cache`` (default ``cache_dir()/"downloads"``); ``url`` may be
    a ``file://`` URL. Offline, raises :class:`DownloadError` saying how to download by hand.
    """
    if archive is not None:
        tarball = Path(archive).expanduser()
        if not tarball.is_file():
            raise DownloadError(f"{tarball} is not a file; pass the downloaded UCSD_Anomaly_Dataset.tar.gz")
        _check_sha256(tarball, sha256)
    else:
        tarball = _retrieve(url, sha256, Path(cache) if cache else cache_dir() / "downloads", progress)
    return extract(tarball, Path(dest).expanduser())
