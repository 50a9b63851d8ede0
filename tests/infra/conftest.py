"""Fixtures of the infrastructure tests: a toy classifier config and its eight-image data set."""
import cv2
import numpy as np
import pytest

from tests.conftest import REPO

TOY_CONFIG = REPO / 'tests/fixtures/configs/toy_classifier.py'


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """Eight 32x32 images in two class folders (mmpretrain CustomDataset layout)."""
    root = tmp_path_factory.mktemp('toy')
    rng = np.random.default_rng(0)
    for label in ('dark', 'bright'):
        (root / label).mkdir()
        for i in range(4):
            base = 60 if label == 'dark' else 190
            img = np.clip(base + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(root / label / f'{i}.png'), img)
    return root
