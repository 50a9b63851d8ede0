"""A small synthetic world (exact GT depth) and its mined Pri3D pairs, shared by the Pri3D tests."""
import os.path as osp

import pytest

import mask3d_mm  # noqa: F401  (registers everything)
from mask3d_mm.datasets.pair_mining import merge_pair_files, process_scene

HEIGHT, WIDTH = 120, 160
FRAMES = 10


@pytest.fixture(scope='session')
def pri3d_world(tmp_path_factory):
    """``(frames_root, scene_ids, pairs_file)``: one synthetic scene, every frame, pairs mined at >= 0.3."""
    from mask3d_mm.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('pri3d_world'))
    scene_ids = generate_dataset(root, num_scenes=1, frames_per_scene=FRAMES, seed=0, height=HEIGHT, width=WIDTH)
    work_dir = osp.join(root, 'pri3d')
    for scene_id in scene_ids:
        process_scene(root, scene_id, work_dir, min_overlap=0.3, frame_skip=1, pixel_stride=1)
    pairs_file = osp.join(work_dir, 'pairs.txt')
    merge_pair_files(work_dir, scene_ids, pairs_file)
    return root, scene_ids, pairs_file
