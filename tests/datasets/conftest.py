"""Fixtures of the dataset-converter tests: a tiny synthetic world in the frame layout (the ground truth every
converter output is compared against)."""
import pytest

from mask3d_mm.data_prep.synthetic import generate_dataset

HEIGHT, WIDTH = 48, 64
FRAMES = 8


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """3 synthetic scenes of 8 frames at 64x48 (colour, depth, pose, intrinsics, labels, instances)."""
    root = tmp_path_factory.mktemp('synthetic')
    generate_dataset(str(root), num_scenes=3, frames_per_scene=FRAMES, seed=0, height=HEIGHT, width=WIDTH)
    return root
