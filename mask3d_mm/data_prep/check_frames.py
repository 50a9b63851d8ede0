"""Pre-scan of a root in the extracted-frame layout (``formats.frame_layout``): every frame a dataset would sample,
checked before a run instead of when it is sampled hours in.

A frame is ``<scene>/color/<N>.jpg`` (the frame list of ``RGBDFrameDataset`` and of pair mining). For each one:

- the colour image decodes (``frame_layout.decode_color``, the datasets' decoder); a JPEG without its end marker
  is reported as truncated before it is decoded (a plainer message than the decoder's);
- ``depth/<N>.png`` exists and decodes as the layout's uint16 millimetre PNG (``frame_layout.decode_depth``);
- sizes: colour and depth have the same aspect ratio (the loader resizes the colour to the depth), and every frame
  of a scene has the scene's colour and depth sizes (those of most of its frames: one camera per scene);
- in a scene with poses (a ``pose/`` folder; converted scenes without one feed Mask3D only), ``pose/<N>.txt`` and
  the scene's ``intrinsic/intrinsic_{color,depth}.txt`` exist and read as 4x4 matrices.

Each problem is one ``(path, kind, message)``; the message is the one the datasets would raise. Scenes are checked
in parallel over ``workers`` processes (``data_prep.parallel``).
"""
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import List, Optional, Sequence, Tuple

import cv2

from mask3d_mm.utils.errors import DataError

from ..formats.frame_layout import (
    decode_color,
    decode_depth,
    frame_path,
    frame_stems,
    intrinsic_path,
    read_file_bytes,
    read_matrix,
    read_scene_list,
    scene_dirs,
    split_path,
)
from .parallel import run_parallel

ASPECT_TOLERANCE = 0.02  # relative; real ScanNet: 1296x968 colour (1.339) over 640x480 depth (1.333)
EMPTY, UNREADABLE, MISSING, SIZE = 'empty file', 'unreadable', 'missing file', 'size mismatch'


@dataclass
class SceneCheck:
    scene_id: str
    frames: int = 0
    posed: bool = True
    problems: List[Tuple[str, str, str]] = field(default_factory=list)  # (path, kind, message)
    bad_frames: int = 0

    def add(self, path: str, kind: str, message: str) -> None:
        self.problems.append((path, kind, message))


def is_truncated_jpeg(data: bytes) -> bool:
    """A JPEG (start-of-image marker) without its end-of-image marker (trailing zero padding allowed, as some
    encoders write it). Other data is left to the decoder."""
    return data[:2] == b'\xff\xd8' and not data.rstrip(b'\x00').endswith(b'\xff\xd9')


def _decoded(check: SceneCheck, path: str, decode):
    """``decode(data, path)``, or None with the problem recorded (missing, empty, unreadable)."""
    if not osp.isfile(path):
        check.add(path, MISSING, f'{path}: missing')
        return None
    try:
        data = read_file_bytes(path)
        if not data:
            check.add(path, EMPTY, f'{path}: empty file (0 bytes)')
            return None
        if is_truncated_jpeg(data):
            check.add(path, UNREADABLE, f'{path}: not a complete JPEG ({len(data)} bytes, no end marker: truncated?)')
            return None
        return decode(data, path)
    except DataError as error:
        check.add(path, UNREADABLE, str(error))
        return None


def _readable_matrix(check: SceneCheck, path: str) -> None:
    if not osp.isfile(path):
        check.add(path, MISSING, f'{path}: missing (a scene with poses needs it)')
        return
    try:
        read_matrix(path)
    except DataError as error:
        check.add(path, UNREADABLE, str(error))


def check_scene(root: str, scene_id: str) -> SceneCheck:
    """Every frame of ``<root>/<scene_id>`` (module doc)."""
    scene_dir = osp.join(root, scene_id)
    check = SceneCheck(scene_id, posed=osp.isdir(osp.join(scene_dir, 'pose')))
    color_dir = osp.join(scene_dir, 'color')
    if not osp.isdir(color_dir):
        check.add(color_dir, MISSING, f'{color_dir}: missing (the scene has no frames)')
        return check
    if check.posed:
        for sensor in ('color', 'depth'):
            _readable_matrix(check, intrinsic_path(scene_dir, sensor))
    sizes = {}  # stem -> ((colour w, h), (depth w, h))
    bad = set()
    for stem in frame_stems(color_dir, '.jpg'):
        check.frames += 1
        before = len(check.problems)
        color = _decoded(check, frame_path(scene_dir, 'color', stem), decode_color)
        depth = _decoded(check, frame_path(scene_dir, 'depth', stem), decode_depth)
        if check.posed:
            _readable_matrix(check, frame_path(scene_dir, 'pose', stem))
        if color is not None and depth is not None:
            (ch, cw), (dh, dw) = color.shape[:2], depth.shape
            if abs(cw * dh - dw * ch) > ASPECT_TOLERANCE * dw * ch:
                check.add(frame_path(scene_dir, 'depth', stem), SIZE,
                          f'{frame_path(scene_dir, "depth", stem)}: depth {dw}x{dh} does not fit colour {cw}x{ch} '
                          f'({frame_path(scene_dir, "color", stem)}): other aspect ratio')
            else:
                sizes[stem] = ((cw, ch), (dw, dh))
        if len(check.problems) > before:
            bad.add(stem)
    if sizes:
        (scene_color, scene_depth), _ = Counter(sizes.values()).most_common(1)[0]
        for stem, (color_wh, depth_wh) in sizes.items():
            for kind, wh, expected in (('color', color_wh, scene_color), ('depth', depth_wh, scene_depth)):
                if wh != expected:
                    path = frame_path(scene_dir, kind, stem)
                    check.add(path, SIZE, f'{path}: {wh[0]}x{wh[1]}, the scene\'s other {kind} frames are '
                                          f'{expected[0]}x{expected[1]}')
                    bad.add(stem)
    check.bad_frames = len(bad)
    return check


def scenes_to_check(root: str, split: Optional[str] = None) -> List[str]:
    """The scenes of ``splits/<split>.txt``, or every ``<scene>/color`` under ``root``; none is a DataError."""
    if not osp.isdir(root):
        raise DataError(f'{root}: no such folder')
    if split is not None:
        return read_scene_list(split_path(root, split))
    scene_ids = scene_dirs(root, 'color')
    if not scene_ids:
        raise DataError(f'{root}: no <scene>/color/ folders: not a root of the extracted-frame layout')
    return scene_ids


def check_frames(root: str, scene_ids: Sequence[str], workers: int = 1, progress: bool = True) -> List[SceneCheck]:
    """``check_scene`` of each scene, over ``workers`` processes; in the order of ``scene_ids``. OpenCV's own
    warnings on a broken file (``PNG input buffer is incomplete``) are silenced: each problem is listed once, by us."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # inherited by the forked workers
    try:
        return run_parallel(partial(check_scene, root), scene_ids, workers,
                            desc='check_frames' if progress else None)
    finally:
        cv2.utils.logging.setLogLevel(previous)


def format_report(checks: Sequence[SceneCheck]) -> Tuple[List[str], List[str]]:
    """(one line per problem, the summary lines)."""
    problems = [message for check in checks for _, _, message in check.problems]
    kinds = Counter(kind for check in checks for _, kind, _ in check.problems)
    frames, bad = sum(c.frames for c in checks), sum(c.bad_frames for c in checks)
    unposed = sum(not c.posed for c in checks)
    summary = [f'scenes: {len(checks)} ({sum(bool(c.problems) for c in checks)} with problems'
               + (f'; {unposed} without poses: Mask3D only' if unposed else '') + ')',
               f'frames: {frames} checked, {bad} bad',
               f'problems: {sum(kinds.values())}'
               + (f' ({", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))})' if kinds else '')]
    return problems, summary
