"""Errors that tell the user what is wrong and what to do about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CompanionError(Exception):
    """Base class: the message says what went wrong and how to fix it.

    The command line prints the message (no traceback) and exits with status 2.
    """


class DatasetNotFoundError(CompanionError):
    """A path holds no UCSD-layout dataset."""


class CorruptDataError(CompanionError):
    """Data that cannot be used even after the documented repairs."""


class ConfigMismatchError(CompanionError):
    """A checkpoint or array does not fit the configuration it is used with."""


class NotACheckpointError(CompanionError):
    """A file given as a checkpoint that ``companion train`` did not write (text, random bytes, ...)."""


class OutputPathError(CompanionError):
    """An output path that cannot be used: it exists already (nothing is overwritten), or a file
    stands where a folder is needed (or the other way round)."""


class ScoresFileError(CompanionError):
    """A ``--scores`` CSV that cannot be read: not text, wrong header, unreadable or non-finite values."""


def without_removed(d: Mapping[str, Any], removed: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``d`` (a configuration read from a checkpoint) without the options of earlier versions listed
    in ``removed``, each of which may only hold the value that behaves as today; any other value
    raises :class:`ConfigMismatchError` (that run needs code that no longer exists)."""
    out = dict(d)
    for key, kept in removed.items():
        if key in out and (value := out.pop(key)) != kept:
            raise ConfigMismatchError(
                f"these {what} use {key}={value!r}, an option that this version of companion no longer has "
                "(an experiment that did not pay off); train a new run"
            )
    return out
