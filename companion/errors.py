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
