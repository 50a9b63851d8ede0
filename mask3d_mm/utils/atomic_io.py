"""Atomic output files for the converters: a killed run leaves either the complete file or nothing.

Every file is written under a hidden temporary name in the destination folder (``.<name>.<pid>.tmp``) and then
``os.replace``d into place, which is atomic on POSIX file systems. Temporaries of a killed run are removed by
``remove_stale_temporaries`` when the work is redone. No fsync: this protects against killed processes, not
against power loss.
"""
import contextlib
import os
import os.path as osp
from typing import Iterable

import cv2
import numpy as np

from mask3d_mm.utils.errors import DataError

TMP_SUFFIX = '.tmp'


def temporary_path(path: str) -> str:
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}.{os.getpid()}{TMP_SUFFIX}')


def is_temporary(name: str) -> bool:
    return name.startswith('.') and name.endswith(TMP_SUFFIX)


@contextlib.contextmanager
def atomic_output(path: str):
    """Yield a temporary path beside ``path`` to write to (any writer: torch.save, cv2, numpy); on success it is
    renamed to ``path``, on any failure removed."""
    tmp_path = temporary_path(path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def write_bytes_atomic(path: str, data) -> None:
    with atomic_output(path) as tmp_path, open(tmp_path, 'wb') as f:
        f.write(data)


def write_text_atomic(path: str, text: str) -> None:
    write_bytes_atomic(path, text.encode())


def write_image_atomic(path: str, image: np.ndarray, params: Iterable[int] = ()) -> None:
    """Encode ``image`` (cv2 conventions: BGR colour, uint8/uint16) by the extension of ``path``."""
    ok, encoded = cv2.imencode(osp.splitext(path)[1], image, list(params))
    if not ok:
        raise DataError(f'{path}: cv2 could not encode a {image.dtype} image of shape {image.shape}')
    write_bytes_atomic(path, encoded.tobytes())


def matrix_text(matrix: np.ndarray) -> str:
    """A 4x4 matrix as ScanNet-style text; ``%.9g`` round-trips float32 exactly (ScanNet's ``%f`` does not)."""
    return ''.join(' '.join(f'{value:.9g}' for value in row) + '\n' for row in np.asarray(matrix))


def write_matrix_atomic(path: str, matrix: np.ndarray) -> None:
    write_text_atomic(path, matrix_text(matrix))


def remove_stale_temporaries(folders: Iterable[str]) -> int:
    """Delete temporaries a killed run left in ``folders`` (missing folders are fine); returns how many."""
    removed = 0
    for folder in folders:
        if not osp.isdir(folder):
            continue
        for name in os.listdir(folder):
            if is_temporary(name):
                os.remove(osp.join(folder, name))
                removed += 1
    return removed
