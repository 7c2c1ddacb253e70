"""Errors that tell the user what is wrong and what to do about it."""


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
