"""Download and safe extraction, fully offline: local tarballs, file:// URLs, malicious archives."""

from __future__ import annotations

import hashlib
import io
import socket
import tarfile
from pathlib import Path

import pytest

from companion.cli import main
from companion.download import DownloadError, UnsafeArchiveError, extract, fetch_ucsd
from companion.layout import open_dataset

TOP = "UCSD_Anomaly_Dataset.v1p2"


def _tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _official_like(tmp_path: Path) -> tuple[Path, str]:
    tif = (Path(__file__).parent / "conftest.py").read_bytes()  # layout does not decode: any bytes do
    root_dir = tarfile.TarInfo(".")  # `tar -C dir .` archives start with "./"
    root_dir.type = tarfile.DIRTYPE
    members = [(root_dir, None), _file(f"{TOP}/README.txt"), _file(f"._{TOP}"), _file(f"{TOP}/UCSDped1/Test/UCSDped1.m",
               b"TestVideoFile{end+1}.gt_frame = [1:1];\n")]  # fmt: skip
    members += [_file(f"{TOP}/UCSDped1/Test/Test001/{i:03d}.tif", tif) for i in (1, 2)]
    members.append(_link(f"{TOP}/UCSDped1/Test/Test001/link.tif", "001.tif"))  # a link inside is fine
    tarball = _tarball(tmp_path / "UCSD_Anomaly_Dataset.tar.gz", members)
    return tarball, hashlib.sha256(tarball.read_bytes()).hexdigest()


def test_fetch_from_a_file_url_is_checksummed_cached_and_extracted(tmp_path: Path) -> None:
    tarball, sha = _official_like(tmp_path)
    dest, cache = tmp_path / "data", tmp_path / "downloads"
    root = fetch_ucsd(dest, url=tarball.as_uri(), sha256=sha, cache=cache, progress=False)
    assert root == dest / TOP and (cache / "UCSD_Anomaly_Dataset.tar.gz").is_file()
    ds = open_dataset(dest)
    assert [c.name for c in ds.clips["Test"]] == ["Test001"] and ds.clips["Test"][0].labels is not None
    assert "Test/Test001/link.tif" in ds.junk and not list(dest.glob(".extract-*"))
    readme = root / "README.txt"
    readme.write_text("my notes")  # a second run must not overwrite what is there
    tarball.unlink()  # ...nor need the source again: the cached copy is used
    assert fetch_ucsd(dest, url=tarball.as_uri(), sha256=sha, cache=cache, progress=False) == root
    assert readme.read_text() == "my notes"


def test_local_archive_argument_merges_beside_existing_data(tmp_path: Path) -> None:
    tarball, sha = _official_like(tmp_path)
    synth = tmp_path / "a" / TOP / "UCSDsynth" / "synth.json"  # e.g. left by `companion synth`
    synth.parent.mkdir(parents=True)
    synth.write_text("{}")
    assert fetch_ucsd(tmp_path / "a", archive=tarball, sha256=sha) == tmp_path / "a" / TOP
    assert synth.read_text() == "{}" and (tmp_path / "a" / TOP / "UCSDped1" / "Test" / "Test001" / "001.tif").is_file()
    with pytest.raises(DownloadError, match="does not match the official checksum"):
        fetch_ucsd(tmp_path / "b", archive=tarball, sha256="0" * 64)
    assert not (tmp_path / "b").exists()
    with pytest.raises(DownloadError, match="is not a file"):
        fetch_ucsd(tmp_path / "c", archive=tmp_path / "missing.tar.gz")


def test_checksum_mismatch_on_download(tmp_path: Path) -> None:
    tarball, _ = _official_like(tmp_path)
    with pytest.raises(DownloadError, match="does not match its checksum"):
        fetch_ucsd(tmp_path / "d", url=tarball.as_uri(), sha256="0" * 64, cache=tmp_path / "dl", progress=False)
    assert not (tmp_path / "d").exists() and not (tmp_path / "dl" / tarball.name).exists()


def test_offline_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a local port nobody listens on: refused at once, no network needed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="could not download.*by hand.*--archive FILE"):
        fetch_ucsd(tmp_path, url=f"http://127.0.0.1:{port}/UCSD_Anomaly_Dataset.tar.gz", cache=tmp_path / "dl", progress=False)
    with pytest.raises(DownloadError, match="cannot download gopher://"):
        fetch_ucsd(tmp_path, url="gopher://example.org/UCSD_Anomaly_Dataset.tar.gz", cache=tmp_path / "dl")


def test_damaged_archive(tmp_path: Path) -> None:
    (tmp_path / "bad.tar.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(DownloadError, match="cannot extract"):
        fetch_ucsd(tmp_path / "out", archive=tmp_path / "bad.tar.gz", sha256=None)


@pytest.mark.parametrize(
    "member",
    [
        _file("../evil.txt"),
        _file(f"{TOP}/../../evil.txt"),
        _file("/tmp/companion-evil.txt"),
        _link(f"{TOP}/passwd", "/etc/passwd"),
        _link(f"{TOP}/up", "../../evil.txt"),
        _link(f"{TOP}/hard", "../evil.txt", tarfile.LNKTYPE),
        (tarfile.TarInfo(f"{TOP}/fifo"), None),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-absolute", "symlink-up", "hardlink-up", "fifo"],
)
def test_malicious_archives_are_refused_before_writing_anything(tmp_path: Path, member: tuple) -> None:
    info, data = member
    if info.name.endswith("fifo"):
        info.type = tarfile.FIFOTYPE
    tarball = _tarball(tmp_path / "evil.tar.gz", [_file(f"{TOP}/README.txt"), (info, data)])
    dest = tmp_path / "sandbox" / "dest"
    with pytest.raises(UnsafeArchiveError, match="refusing to extract"):
        fetch_ucsd(dest, archive=tarball, sha256=None)
    assert list(dest.iterdir()) == [] and not (tmp_path / "sandbox" / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_extract_returns_dest_when_the_archive_has_several_tops(tmp_path: Path) -> None:
    tarball = _tarball(tmp_path / "two.tar", [_file("a/x"), _file("b/y")])
    assert extract(tarball, tmp_path / "out") == tmp_path / "out"
    assert (tmp_path / "out" / "a" / "x").is_file() and (tmp_path / "out" / "b" / "y").is_file()


def test_cli_download_with_a_local_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tarball, _ = _official_like(tmp_path)  # not the official file: the default checksum refuses it
    assert main(["download", str(tmp_path / "out"), "--archive", str(tarball)]) == 2
    assert "does not match the official checksum" in capsys.readouterr().err
