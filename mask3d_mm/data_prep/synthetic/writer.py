"""Write synthetic scenes in the ScanNet extracted-frame layout (CONTRIBUTING.md), deterministically.

Same arguments -> byte-identical files (fixed seeds, deterministic encoders). Every file is written to a temp
name and ``os.replace``d; a scene is finished when its ``.done`` marker (the generation recipe) is written, and a
finished scene with the same recipe is skipped, so re-running into a complete dataset is a fast no-op.
"""
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from ...formats.frame_layout import encode_depth, intrinsic_path
from ...utils.atomic_io import write_image_atomic, write_matrix_atomic, write_text_atomic
from ...utils.errors import DataError
from ..parallel import run_parallel
from .appearance import Appearance
from .catalog import DEFAULT_CLASSES
from .labels import TSV_NAME, label_tsv_text
from .layout import NUM_OBJECTS_RANGE
from .scene import SyntheticScene
from .sensor import SensorNoise

FORMAT_VERSION = 1
DONE_MARKER = '.done'
FRAME_FOLDERS = ('color', 'depth', 'pose', 'label', 'label_nyu40', 'label_scannet20', 'instance')
JPEG_QUALITY = 95
VAL_FRACTION = 0.2


def scene_id(index):
    return f'scene{index:04d}_00'


def scene_seed(seed, index):
    """Seed of scene ``index`` of a dataset: depends on (seed, index) only, so adding scenes keeps earlier ones."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def split_scene_ids(scene_ids, val_fraction=VAL_FRACTION):
    """(train, val): the last ~20% of scenes are val, at least one of each when there are >= 2 scenes."""
    n = len(scene_ids)
    n_val = 0 if n < 2 else min(max(1, round(val_fraction * n)), n - 1)
    return list(scene_ids[:n - n_val]), list(scene_ids[n - n_val:])


# ------------------------------------------------------------------------------------------------ file writing
def write_if_changed(path, text):
    """Leave an identical file untouched (files shared by all scenes: the label TSV, the splits)."""
    if not (osp.isfile(path) and Path(path).read_text() == text):
        write_text_atomic(str(path), text)


LABEL_FOLDERS = dict(label='label_raw', label_nyu40='label_nyu40', label_scannet20='label_scannet20',
                     instance='instance')  # {frame folder: key of the rendered frame}


def write_frame(scene_dir, frame_index, frame, pose):
    """The files of one rendered frame: ``<folder>/<frame index>.<ext>`` (colour as JPEG, depth in mm)."""
    def path(folder, ext):
        return str(scene_dir / folder / f'{frame_index}{ext}')

    write_image_atomic(path('color', '.jpg'), frame['color'][..., ::-1], (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY))
    write_image_atomic(path('depth', '.png'), encode_depth(frame['depth']))
    write_matrix_atomic(path('pose', '.txt'), pose)
    for folder, key in LABEL_FOLDERS.items():
        write_image_atomic(path(folder, '.png'), frame[key])


# ------------------------------------------------------------------------------------------------ one scene
def _recipe(seed, frames, height, width, sensor_noise, appearance, classes, num_objects):
    """Everything a scene's files depend on, as the JSON the ``.done`` marker holds."""
    recipe = dict(format=FORMAT_VERSION, seed=seed, frames=frames, height=height, width=width,
                  sensor_noise=asdict(sensor_noise) if isinstance(sensor_noise, SensorNoise) else bool(sensor_noise),
                  appearance=asdict(appearance), classes=[asdict(c) for c in classes],
                  num_objects=list(num_objects))
    return json.loads(json.dumps(recipe))  # tuples -> lists, as read back


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _only_empty_frame_folders(scene_dir):
    """A scene folder of a run stopped before it wrote ``scene.json``: nothing but our frame folders, empty."""
    ours = {*FRAME_FOLDERS, 'intrinsic'}
    return all(p.name in ours and p.is_dir() and not any(p.iterdir()) for p in scene_dir.iterdir())


def _prepare_scene_dir(scene_dir, recipe, overwrite):
    """True if the scene is already complete with this recipe; otherwise make the folder ready to (re)write."""
    marker = _read_json(scene_dir / DONE_MARKER)
    if marker == recipe:
        return True
    if scene_dir.exists() and any(scene_dir.iterdir()):
        is_synthetic = (_read_json(scene_dir / 'scene.json') or {}).get('generator') == __name__ or \
            _only_empty_frame_folders(scene_dir)
        if not is_synthetic:
            raise DataError(f'{scene_dir}: exists and is not a synthetic scene; refusing to write into it '
                            '(choose another --out)')
        if marker is not None and not overwrite:
            raise DataError(f'{scene_dir}: was generated with different settings ({DONE_MARKER} differs); '
                            'use a fresh output folder or overwrite=True / --overwrite')
        shutil.rmtree(scene_dir)  # ours: stale or partial, rewrite from scratch (no stale frames left behind)
    for folder in FRAME_FOLDERS + ('intrinsic',):
        (scene_dir / folder).mkdir(parents=True, exist_ok=True)
    return False


def write_scene(out_dir, index, seed, frames, height, width, sensor_noise, appearance, classes,
                num_objects=NUM_OBJECTS_RANGE, overwrite=False):
    """Generate scene ``index`` into ``out_dir``; returns (scene id, whether it was written (False = skipped))."""
    sid = scene_id(index)
    scene_dir = Path(out_dir) / sid
    recipe = _recipe(scene_seed(seed, index), frames, height, width, sensor_noise, appearance, classes, num_objects)
    if _prepare_scene_dir(scene_dir, recipe, overwrite):
        return sid, False
    scene = SyntheticScene(recipe['seed'], classes=classes, appearance=appearance, num_objects=num_objects)
    description = dict(generator=__name__, scene_id=sid, **scene.describe(), frames=frames,
                       image_size=[height, width], sensor_noise=recipe['sensor_noise'])
    write_text_atomic(str(scene_dir / 'scene.json'), json.dumps(description, indent=1) + '\n')
    K4 = np.eye(4)
    K4[:3, :3] = scene.intrinsics(height, width)
    for sensor in ('color', 'depth'):
        write_matrix_atomic(intrinsic_path(str(scene_dir), sensor), K4)
    for name in ('extrinsic_color.txt', 'extrinsic_depth.txt'):  # colour and depth share one camera
        write_matrix_atomic(str(scene_dir / 'intrinsic' / name), np.eye(4))
    for frame_index, pose in enumerate(scene.trajectory(frames)):
        frame = scene.render(pose, K4[:3, :3], height, width, sensor_noise=sensor_noise, frame_index=frame_index)
        write_frame(scene_dir, frame_index, frame, pose)
    write_text_atomic(str(scene_dir / DONE_MARKER), json.dumps(recipe, sort_keys=True) + '\n')
    return sid, True


# ------------------------------------------------------------------------------------------------ dataset
def _check_out_dir(out_dir):
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f'{out_dir}: exists and is not a directory')
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f'{out_dir}: cannot create the output directory ({e.strerror or e})') from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise DataError(f'{out_dir}: output directory is not writable')
    return out_dir


def _check_positive(**values):
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f'{name} must be a positive integer, got {value!r}')


def generate_dataset(out_dir, num_scenes=2, frames_per_scene=20, seed=0, height=240, width=320,
                     sensor_noise=True, workers=1, appearance=None, classes=DEFAULT_CLASSES,
                     num_objects=NUM_OBJECTS_RANGE, overwrite=False, progress=None):
    """Write ``num_scenes`` synthetic scenes into ``out_dir`` (ScanNet extracted-frame layout) plus the label
    TSV and train / val splits; returns the scene ids.

    ``appearance`` / ``classes`` / ``num_objects`` ((min, max) objects tried per room; as many as fit are placed)
    shape the world (see ``SyntheticScene``). ``progress(done, total, scene_id, written, seconds)`` is called
    after each scene (``written`` False: an existing complete scene was kept). Bad output folders raise
    ``DataError``, bad arguments ``ValueError``."""
    _check_positive(num_scenes=num_scenes, frames_per_scene=frames_per_scene, height=height, width=width,
                    workers=workers)
    if int(seed) < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed}')
    out_dir = _check_out_dir(out_dir)
    appearance = appearance or Appearance()
    classes = tuple(classes)
    write_if_changed(out_dir / TSV_NAME, label_tsv_text())
    write_one = partial(write_scene, str(out_dir), seed=int(seed), frames=frames_per_scene, height=height,
                        width=width, sensor_noise=sensor_noise, appearance=appearance, classes=classes,
                        num_objects=tuple(num_objects), overwrite=overwrite)
    started = time.perf_counter()

    def report(done, index, result):
        sid, written = result
        progress(done, num_scenes, sid, written, time.perf_counter() - started)

    run_parallel(write_one, range(num_scenes), workers, on_result=report if progress else None)
    scene_ids = [scene_id(index) for index in range(num_scenes)]
    train, val = split_scene_ids(scene_ids)
    (out_dir / 'splits').mkdir(exist_ok=True)
    for name, ids in (('train.txt', train), ('val.txt', val)):
        write_if_changed(out_dir / 'splits' / name, ''.join(f'{s}\n' for s in ids))
    return scene_ids
