"""A small synthetic world shared by the fine-tuning tests."""

import pytest

import mask3d_mm  # noqa: F401  (registers everything)

HEIGHT, WIDTH = 96, 128  # the twins' frame size


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """Frame layout with 3 scenes (2 train / 1 val) x 4 frames of 96x128, incl. label_scannet20 and instances."""
    from mask3d_mm.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('finetune_world'))
    generate_dataset(root, num_scenes=3, frames_per_scene=4, seed=0, height=HEIGHT, width=WIDTH)
    return root
