"""Reading checkpoint files, with one clear error for a file that is not one.

``torch.load`` on a file that is not a checkpoint ends in an ``UnpicklingError`` / ``EOFError`` / ``KeyError`` /
miniz ``RuntimeError`` whose text (for random bytes) advises re-running with ``weights_only=False``, the wrong advice
for an unknown file. ``read_checkpoint`` turns each into a ``DataError``: ``<file>: not a readable PyTorch
checkpoint (<why>)``. It loads as mmengine's local loader does (torch's default, ``weights_only=True`` since torch
2.6, with the allow-list of ``compat.py``), so a checkpoint holding anything else is still refused, and says so.

``pretrained.py`` registers ``load_local_checkpoint`` as mmengine's loader of local paths, so ``load_from``,
``--resume`` and ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` read through it; the converters call
``read_state_dict``; ``check_checkpoint_file`` looks at a file's first bytes before a Runner is built.
"""
import os.path as osp
import pickle
import zipfile
from collections import Counter

import torch

from .errors import DataError

PICKLE_PROTOCOL_2_PLUS = 0x80  # torch's legacy (non-zip) format starts with a pickle of protocol >= 2
ZIP_MAGIC = b'PK\x03\x04'
URL_MARKER = '://'


def not_readable(path, why):
    return DataError(f'{path}: not a readable PyTorch checkpoint ({why})')


def sniffed_problem(path):
    """Why the file at ``path`` cannot be a ``torch.save`` file, judged by its first bytes and zip directory;
    None if it may be one."""
    with open(path, 'rb') as f:
        head = f.read(64)
    if not head:
        return 'empty file'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as error:
            return f'broken zip archive: {error}'
        return None if any(name.endswith('data.pkl') for name in names) else 'a zip archive without data.pkl'
    if head.startswith(ZIP_MAGIC):
        return 'a zip archive cut short (no central directory): truncated?'
    if head[0] == PICKLE_PROTOCOL_2_PLUS:
        return None
    try:
        head.decode('utf-8')
    except UnicodeDecodeError:
        return 'neither a zip archive nor a pickle'
    return f'a text file starting {head.splitlines()[0][:24].decode()!r}'


def check_checkpoint_file(path, what='checkpoint'):
    """A ``DataError`` now, before anything is built, if the local file ``path`` is missing or cannot be a
    checkpoint (URLs and ``None`` pass: they are read later)."""
    if not path or URL_MARKER in str(path):
        return
    path = osp.expanduser(str(path))
    if not osp.isfile(path):
        raise DataError(f'{path}: {what} not found')
    problem = sniffed_problem(path)
    if problem:
        raise not_readable(path, problem)


def torch_reason(error):
    """The line of torch's message that says what is wrong, without its advice."""
    text = str(error)
    if 'WeightsUnpickler error:' in text:  # torch's safe loader met a global off the allow-list (or garbage)
        reason = text.split('WeightsUnpickler error:', 1)[1].strip().splitlines()[0]
        return 'safe loading: ' + reason.split('. Please use', 1)[0]  # without torch's how-to-allow-list advice
    first = text.strip().splitlines()[0] if text.strip() else ''
    return f'{type(error).__name__}: {first}'.rstrip(': ') if first else type(error).__name__


def read_checkpoint(path, map_location='cpu'):
    """``torch.load(path)`` (torch's default ``weights_only``); a file that is missing or not a checkpoint is a
    ``DataError`` naming it."""
    check_checkpoint_file(path)
    path = osp.expanduser(str(path))
    try:
        return torch.load(path, map_location=map_location)
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, RuntimeError, zipfile.BadZipFile,
            UnicodeDecodeError) as error:
        raise not_readable(path, torch_reason(error)) from error


def load_local_checkpoint(filename, map_location=None):
    """mmengine's loader of local paths (``load_from_local``) with ``read_checkpoint``'s errors."""
    return read_checkpoint(filename, map_location)


def key_groups(keys, depth=1, shown=4):
    """``'backbone.* (150), head.* (2)'``: the keys' first ``depth`` parts, most frequent first, counted."""
    def group(key):
        parts = str(key).split('.')
        return '.'.join(parts[:depth]) + ('.*' if len(parts) > depth else '')
    counts = Counter(group(key) for key in keys)
    groups = [f'{name} ({count})' for name, count in counts.most_common(shown)]
    if len(counts) > shown:
        groups.append(f'{len(counts) - shown} more groups')
    return ', '.join(groups)


def read_state_dict(path, prefix=None, expected='a checkpoint of this model'):
    """The state dict of the checkpoint at ``path`` (its ``state_dict`` entry, or the file itself); with
    ``prefix``, a ``DataError`` saying which keys it has if none starts with ``prefix`` (``expected``: what the file
    is not then, e.g. ``'not a Mask3D pretraining checkpoint'``)."""
    checkpoint = read_checkpoint(path)
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    if not isinstance(state_dict, dict):
        raise DataError(f'{path}: holds a {type(state_dict).__name__}, not a dict of weights')
    if prefix and not any(str(key).startswith(prefix) for key in state_dict):
        groups = key_groups(state_dict, depth=prefix.count('.')) or 'none'
        raise DataError(f'{path}: no {prefix}* weights, {expected} (it has {len(state_dict)} keys: {groups})')
    return state_dict
