"""companion.paths: the cache folder, and files that are never half written."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.paths import cache_dir, write_atomic


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMPANION_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COMPANION_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "companion"


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.bin"
    assert write_atomic(target, lambda f: f.write(b"old")) == target
    assert target.read_bytes() == b"old"

    def interrupted(f) -> None:
        f.write(b"half of the new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, interrupted)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]
    write_atomic(target, lambda f: f.write(b"new"))
    assert target.read_bytes() == b"new" and len(list(target.parent.iterdir())) == 1
