"""A small synthetic world shared by the fine-tuning tests."""

import pytest

import mask3d_mm  # noqa: F401  (registers everything)

HEIGHT, WIDTH = 96, 128  # the twins' frame size


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """Frame layout with 3 scenes (2 train / 1 val) x 4 frames of 96x128, incl. label_scannet20 and instances."""
    from mask3d_mm.data_prep.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('finetune_world'))
    generate_dataset(root, num_scenes=3, frames_per_scene=4, seed=0, height=HEIGHT, width=WIDTH)
    return root


@pytest.fixture(scope='session')
def coco_root(synthetic_root):
    """The synthetic world with ``annotations/instances_{train,val}.json`` (ScanNet's 18 instance classes)."""
    from .tiny_roots import write_coco_annotations
    write_coco_annotations(synthetic_root)
    return synthetic_root


@pytest.fixture(scope='session')
def tiny_roots(synthetic_root, tmp_path_factory):
    """{layout: root} of tiny ScanNet / NYUv2 / Cityscapes data roots made from the synthetic world."""
    from .tiny_roots import LAYOUT_WRITERS
    return {layout: write(synthetic_root, str(tmp_path_factory.mktemp(f'tiny_{layout}')))
            for layout, write in LAYOUT_WRITERS.items()}
