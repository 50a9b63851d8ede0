"""Errors that mean "your input is wrong" (as opposed to a bug): the tools print them as one line, no traceback."""


class DataError(RuntimeError):
    """Bad or missing data: the message names the file/folder and what is wrong with it."""


class ConfigError(RuntimeError):
    """A config that cannot work with mask3d-mm: the message says what to add or change."""
