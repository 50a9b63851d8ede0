"""Errors that mean "your input is wrong" (as opposed to a bug): the tools print them as one line, no traceback."""
import os
import os.path as osp


class DataError(RuntimeError):
    """Bad or missing data: the message names the file/folder and what is wrong with it."""


class ConfigError(RuntimeError):
    """A config that cannot work with mask3d-mm: the message says what to add or change."""


def shown_path(path):
    """``path`` as an error message shows it: a relative path with the absolute path it resolves to, because it is
    looked up from the working directory (a run started elsewhere, e.g. under an upstream ``tools/train.py``, looks
    in the wrong place)."""
    path = str(path)
    if osp.isabs(path):
        return path
    return f'{path!r} (relative to the working directory {os.getcwd()}: {osp.abspath(path)})'
