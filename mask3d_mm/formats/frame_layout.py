"""The ScanNet extracted-frame layout (data/README.md): file paths, depth / colour decoding, the depth encoding
rule, matrices and scene lists. Every writer (``data_prep``) and every reader (``datasets``, tools, the study) goes
through these functions, so the layout and its edge cases are decided in one place. No mm imports.

Depth on disk is a uint16 PNG in millimetres, 0 = invalid. The one overflow rule, for every writer: a depth that
is not finite, not > 0, or beyond the uint16 range (> 65.535 m) is written as 0 = invalid, never clipped to 65535
(which would store a wrong but valid-looking depth).
"""
import os
import os.path as osp
from typing import Iterable, List, Optional

import cv2
import numpy as np

from mask3d_mm import geometry
from mask3d_mm.utils.atomic_io import write_text_atomic
from mask3d_mm.utils.errors import DataError

DEPTH_SCALE = 1000.0  # depth PNG units per metre (millimetres)
MAX_DEPTH_UNITS = int(np.iinfo(np.uint16).max)
FRAME_SUFFIXES = dict(color='.jpg', depth='.png', pose='.txt')
SPLITS_DIR = 'splits'
# Data-efficient fine-tuning subsets: ``splits/train_{pct}.txt``, nested, chosen by scenes (Pri3D's protocol).
DATA_EFFICIENT_PERCENTS = (1, 5, 10, 20, 40, 60, 80)


# the pre-scan that finds every broken frame of a root at once (tools/data/check_frames.py)
CHECK_FRAMES_COMMAND = 'python tools/data/check_frames.py {root}'


def broken_frame_error(error: DataError, root: str) -> DataError:
    """``error`` (a frame of ``root`` that failed to load) with the pre-scan command that lists all such frames."""
    return DataError(f'{error}; to list every broken frame at once: {CHECK_FRAMES_COMMAND.format(root=root)}')


# ------------------------------------------------------------------------------------------------- paths
def frame_path(scene_dir: str, kind: str, frame) -> str:
    """``<scene_dir>/<kind>/<frame><suffix>`` for ``kind`` in color / depth / pose; ``frame`` an index or stem."""
    return osp.join(scene_dir, kind, f'{frame}{FRAME_SUFFIXES[kind]}')


def intrinsic_path(scene_dir: str, sensor: str = 'depth') -> str:
    """``<scene_dir>/intrinsic/intrinsic_<sensor>.txt`` (``sensor``: depth or color)."""
    return osp.join(scene_dir, 'intrinsic', f'intrinsic_{sensor}.txt')


def split_path(root: str, name: str) -> str:
    """``<root>/splits/<name>.txt``."""
    return osp.join(root, SPLITS_DIR, f'{name}.txt')


def frame_stems(folder: str, suffix: str) -> List[str]:
    """File stems ``<N>`` of ``<N><suffix>`` in ``folder``, sorted by number (``10`` after ``9``; zero padding as
    ScanNet-25k writes it is kept)."""
    stems = [name[:-len(suffix)] for name in os.listdir(folder) if name.endswith(suffix)]
    return sorted((s for s in stems if s.isdigit()), key=int)


def scene_dirs(root: str, subfolder: str) -> List[str]:
    """Scene ids under ``root`` that have a ``<scene>/<subfolder>`` folder, sorted."""
    return sorted(name for name in os.listdir(root) if osp.isdir(osp.join(root, name, subfolder)))


# ------------------------------------------------------------------------------------------------- scene lists
def read_scene_list(list_file: str) -> List[str]:
    """Scene ids of a split file, one per line; blank lines skipped; a missing or empty file is a DataError."""
    if not osp.isfile(list_file):
        raise DataError(f'scene list file not found: {list_file}')
    with open(list_file) as f:
        scene_ids = [line.strip() for line in f if line.strip()]
    if not scene_ids:
        raise DataError(f'scene list file is empty: {list_file}')
    return scene_ids


def write_scene_list(path: str, scene_ids: Iterable[str]) -> str:
    """One scene id per line, written atomically (folders created)."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    write_text_atomic(path, ''.join(f'{scene_id}\n' for scene_id in scene_ids))
    return path


# ------------------------------------------------------------------------------------------------- matrices
def read_matrix(path):
    """A 4x4 text matrix (ScanNet pose / intrinsic file); a bad file is a DataError naming it."""
    try:
        return geometry.load_matrix_txt(path)
    except (OSError, ValueError) as err:
        raise DataError(str(err)) from err


# ------------------------------------------------------------------------------------------------- images
def read_file_bytes(path: str) -> bytes:
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as err:
        raise DataError(f'{path}: cannot read ({err.strerror})') from err


def _imdecode(data: bytes, flags: int, path: str, what: str) -> np.ndarray:
    """cv2.imdecode that names the file: cv2 raises on an empty buffer and returns None on garbage."""
    if not data:
        raise DataError(f'{path}: empty file (0 bytes), expected {what}')
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as err:
        raise DataError(f'{path}: cannot decode {what} (OpenCV refused the data)') from err
    if image is None:
        raise DataError(f'{path}: cannot decode {what} ({len(data)} bytes: truncated or not an image)')
    return image


def decode_depth(data: bytes, path: str, depth_scale: float = DEPTH_SCALE) -> np.ndarray:
    """A depth PNG's bytes -> ``(H, W)`` float32 metres, 0 = invalid. THE depth decoder of the package (the
    dataset transforms, pair mining and the study's probes all call it); ``path`` only names the file in errors."""
    depth = _imdecode(data, cv2.IMREAD_UNCHANGED, path, 'a single-channel uint16 depth PNG (millimetres)')
    if depth.dtype != np.uint16 or depth.ndim != 2:
        raise DataError(f'{path}: expected a single-channel uint16 depth PNG (millimetres), got '
                        f'{depth.dtype} array of shape {depth.shape}')
    return np.divide(depth, np.float32(depth_scale), dtype=np.float32)  # (H, W) metres


def read_depth(path: str, depth_scale: float = DEPTH_SCALE) -> np.ndarray:
    """``decode_depth`` of a file: ``(H, W)`` float32 metres, 0 = invalid."""
    return decode_depth(read_file_bytes(path), path, depth_scale)


def encode_depth(depth_m, depth_scale: float = DEPTH_SCALE) -> np.ndarray:
    """``(H, W)`` metres -> uint16 depth-PNG units (millimetres), rounded; the module's overflow rule: not
    finite, <= 0 or beyond 65.535 m -> 0 (invalid)."""
    units = np.rint(np.asarray(depth_m, dtype=np.float64) * depth_scale)
    valid = np.isfinite(units) & (units > 0) & (units <= MAX_DEPTH_UNITS)
    return np.where(valid, units, 0).astype(np.uint16)


def read_label_png(path: str) -> np.ndarray:
    """A single-channel 8- or 16-bit label / instance PNG -> ``(H, W)`` ids, unchanged."""
    labels = _imdecode(read_file_bytes(path), cv2.IMREAD_UNCHANGED, path, 'a single-channel 8/16-bit label PNG')
    if labels.ndim != 2 or labels.dtype not in (np.uint8, np.uint16):
        raise DataError(f'{path}: expected a single-channel 8/16-bit label PNG, got {labels.dtype} '
                        f'of shape {labels.shape}')
    return labels


def decode_color(data: bytes, path: str, size_hw: Optional[tuple] = None) -> np.ndarray:
    """A colour image's bytes -> ``(H, W, 3)`` BGR uint8 (cv2 order), resized by area to ``size_hw`` if given."""
    color = _imdecode(data, cv2.IMREAD_COLOR, path, 'a colour image')
    if size_hw is not None and color.shape[:2] != tuple(size_hw):
        color = cv2.resize(color, tuple(size_hw[::-1]), interpolation=cv2.INTER_AREA)
    return color


def read_color(path: str, size_hw: Optional[tuple] = None) -> np.ndarray:
    """``decode_color`` of a file: ``(H, W, 3)`` BGR uint8."""
    return decode_color(read_file_bytes(path), path, size_hw)
