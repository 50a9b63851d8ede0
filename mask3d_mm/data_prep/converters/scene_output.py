"""What every frame-layout converter shares: resumable per-scene output folders and the resize rule.

A scene folder being written holds ``.extract_in_progress.json`` (the options it is written with; after a failure
also the error and the counts so far); a finished one ``.extract_done.json`` (options + result). A re-run skips a
scene done with the same options, redoes an interrupted or failed one (removing a killed run's temporaries, and its
frames when the options changed) and refuses a scene done with other options unless asked to overwrite it.
``extract_sens.py`` and ``tools/data/rgbd/convert.py`` both write scenes this way, so ``splits/all.txt`` can be
built from the done markers of either.

Resizing follows ``extract_sens.py --size``: colour by area when shrinking (linear when enlarging), depth nearest
(``INTER_NEAREST_EXACT``: the source pixel whose extent holds the target pixel centre, no blending of invalid
depth), intrinsics through ``geometry.scale_intrinsics`` (pixel centres at integer coordinates).
"""
import json
import os
import os.path as osp
import shutil
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

from ...utils.atomic_io import remove_stale_temporaries, write_text_atomic

DONE_MARKER = '.extract_done.json'
PROGRESS_MARKER = '.extract_in_progress.json'


def read_marker(path) -> Optional[dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None  # missing or unreadable (cannot be half-written: markers are written atomically)


def prepare_scene_dir(scene_dir: str, params: dict, overwrite: bool, output_dirs: Sequence[str]) -> Optional[dict]:
    """The done marker of a scene finished with ``params`` (nothing to do), else None with the folder ready to be
    (re)written: ``output_dirs`` created, stale output removed, the in-progress marker written."""
    done = read_marker(osp.join(scene_dir, DONE_MARKER))
    if done is not None and not overwrite:
        if done.get('options') != params:
            raise DataError(f'{scene_dir}: already extracted with {done.get("options")}, now asked for {params}; '
                            'pass --overwrite to re-extract (or choose another --out)')
        return done
    in_progress = read_marker(osp.join(scene_dir, PROGRESS_MARKER))
    if done is not None or (in_progress is not None and in_progress.get('options') != params):
        remove_scene_output(scene_dir, output_dirs)  # our own output of other options: no stale frame survives
    for name in output_dirs:
        os.makedirs(osp.join(scene_dir, name), exist_ok=True)
    remove_stale_temporaries([scene_dir] + [osp.join(scene_dir, name) for name in output_dirs])
    write_text_atomic(osp.join(scene_dir, PROGRESS_MARKER), json.dumps(dict(options=params)))
    return None


def finish_scene(scene_dir: str, params: dict, result: dict) -> None:
    """Record the scene as done (options + result), then drop its in-progress marker."""
    write_text_atomic(osp.join(scene_dir, DONE_MARKER), json.dumps(dict(options=params, result=result), indent=1))
    os.remove(osp.join(scene_dir, PROGRESS_MARKER))


def leave_unfinished(scene_dir: str, params: dict, result: dict) -> None:
    """Keep a failed scene marked in progress (a re-run redoes it), the marker also telling why and how far."""
    write_text_atomic(osp.join(scene_dir, PROGRESS_MARKER), json.dumps(dict(options=params, failed=result), indent=1))


def remove_scene_output(scene_dir: str, output_dirs: Sequence[str]) -> None:
    """Remove what a converter writes into ``scene_dir`` (its folders and markers); the folder itself goes when
    nothing else is left in it."""
    for name in output_dirs:
        shutil.rmtree(osp.join(scene_dir, name), ignore_errors=True)
    for marker in (DONE_MARKER, PROGRESS_MARKER):
        if osp.isfile(osp.join(scene_dir, marker)):
            os.remove(osp.join(scene_dir, marker))
    if osp.isdir(scene_dir) and not os.listdir(scene_dir):
        os.rmdir(scene_dir)


def done_scenes(out_root: str):
    """Scenes under ``out_root`` whose extraction finished (done marker), sorted."""
    return sorted(name for name in os.listdir(out_root) if osp.isfile(osp.join(out_root, name, DONE_MARKER)))


# ------------------------------------------------------------------------------------------------- resizing
def resize_color(bgr: np.ndarray, size_wh: Tuple[int, int]) -> np.ndarray:
    """``(h, w, 3)`` -> ``(H, W, 3)`` at ``size_wh``: area when shrinking, linear when enlarging."""
    if (bgr.shape[1], bgr.shape[0]) == tuple(size_wh):
        return bgr
    shrink = size_wh[0] < bgr.shape[1]
    return cv2.resize(bgr, tuple(size_wh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def resize_depth(depth: np.ndarray, size_wh: Tuple[int, int]) -> np.ndarray:
    """``(h, w)`` depth -> ``(H, W)``, nearest (module doc): every output value is one of the input's."""
    if (depth.shape[1], depth.shape[0]) == tuple(size_wh):
        return depth
    return cv2.resize(depth, tuple(size_wh), interpolation=cv2.INTER_NEAREST_EXACT)


def resized_intrinsics(K, source_wh: Tuple[int, int], target_wh: Tuple[int, int]) -> np.ndarray:
    """K (3x3 or 4x4) of an image of ``source_wh`` after its resize to ``target_wh``."""
    K = np.asarray(K, dtype=np.float64)
    if tuple(source_wh) == tuple(target_wh):
        return K
    return geometry.scale_intrinsics(K, target_wh[0] / source_wh[0], target_wh[1] / source_wh[1])
