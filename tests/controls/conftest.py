"""The controls' worlds: one small synthetic world (8 rooms x 8 frames; 6 training rooms, 2 unseen), re-coloured
so that colour is a fixed function of depth (the positive control) or carries no depth at all (the negative one)."""
import glob
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

ROOMS, FRAMES, HEIGHT, WIDTH = 8, 8, 120, 160  # the writer's split: rooms 0-5 train, 6-7 val (unseen)
DEPTH_RANGE = (1.0, 5.5)  # metres mapped onto the colour map (the world's depths: 1st-99th percentile 1.4-5.0 m)


def color_path(depth_path: str) -> str:
    scene_dir = osp.dirname(osp.dirname(depth_path))
    return osp.join(scene_dir, 'color', osp.splitext(osp.basename(depth_path))[0] + '.jpg')


def depth_colormap(depth_mm: np.ndarray, size_hw) -> np.ndarray:
    """BGR colour that is a fixed function of depth: OpenCV's JET map of depth over ``DEPTH_RANGE``."""
    low, high = DEPTH_RANGE
    value = np.clip((depth_mm.astype(np.float32) / 1000 - low) / (high - low) * 255, 0, 255).astype(np.uint8)
    color = cv2.applyColorMap(value, cv2.COLORMAP_JET)
    return cv2.resize(color, (size_hw[1], size_hw[0]), interpolation=cv2.INTER_NEAREST)


def recolour(world: str, out: str, how: str, seed: int = 0) -> str:
    """A copy of ``world`` whose colour images are ``how``: ``'depth'`` = ``depth_colormap`` of the frame's own
    depth; ``'shuffled'`` = another frame's colour image (a seeded derangement over all frames of all rooms)."""
    shutil.copytree(world, out)
    depth_files = sorted(glob.glob(osp.join(out, '*', 'depth', '*.png')))
    if how == 'depth':
        for path in depth_files:
            shape = cv2.imread(color_path(path)).shape[:2]
            cv2.imwrite(color_path(path), depth_colormap(cv2.imread(path, cv2.IMREAD_UNCHANGED), shape))
    elif how == 'shuffled':
        colors = [cv2.imread(color_path(path)) for path in depth_files]
        order = np.random.default_rng(seed).permutation(len(depth_files))
        source = dict(zip(order, np.roll(order, 1)))  # a cycle through a random order: no frame keeps its own
        for index, path in enumerate(depth_files):
            cv2.imwrite(color_path(path), colors[source[index]])
    else:
        raise ValueError(how)
    return out + '/'


@pytest.fixture(scope='session')
def control_world(tmp_path_factory) -> str:
    from mask3d_mm.data_prep.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('control_world') / 'world')
    generate_dataset(root, num_scenes=ROOMS, frames_per_scene=FRAMES, seed=0, height=HEIGHT, width=WIDTH)
    return root


@pytest.fixture(scope='session')
def depth_coloured_world(control_world, tmp_path_factory) -> str:
    return recolour(control_world, str(tmp_path_factory.mktemp('depth_coloured') / 'world'), 'depth')


@pytest.fixture(scope='session')
def shuffled_colour_world(control_world, tmp_path_factory) -> str:
    return recolour(control_world, str(tmp_path_factory.mktemp('shuffled_colour') / 'world'), 'shuffled')
