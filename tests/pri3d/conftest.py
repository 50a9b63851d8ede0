"""A small synthetic world (exact depth: no sensor noise) and its mined Pri3D pairs, shared by the Pri3D tests."""
import os.path as osp

import pytest
import torch

import mask3d_mm  # noqa: F401  (registers everything)
from mask3d_mm.data_prep.pair_mining import merge_pair_files, process_scene

HEIGHT, WIDTH = 120, 160
FRAMES = 10
SEED = 0
CHUNK_VOXEL_SIZE = 0.08  # coarser than Pri3D's 2 cm: the same code paths with ~16x fewer voxels in the 3D UNet


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: on the shared, oversubscribed 2-core test machine torch's thread pool makes a Pri3D
    step ~15x slower (measured 30 s vs 2 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def pri3d_world(tmp_path_factory):
    """``(frames_root, scene_ids, pairs_file)``: one synthetic scene, every frame, pairs mined at >= 0.3."""
    from mask3d_mm.data_prep.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('pri3d_world'))
    scene_ids = generate_dataset(root, num_scenes=1, frames_per_scene=FRAMES, seed=SEED, height=HEIGHT, width=WIDTH,
                                 sensor_noise=False)
    work_dir = osp.join(root, 'pri3d')
    for scene_id in scene_ids:
        process_scene(root, scene_id, work_dir, min_overlap=0.3, frame_skip=1, pixel_stride=1,
                      chunk_voxel_size=CHUNK_VOXEL_SIZE)
    pairs_file = osp.join(work_dir, 'pairs.txt')
    merge_pair_files(work_dir, scene_ids, pairs_file)
    return root, scene_ids, pairs_file
