"""Tiny RGB-D frame folders for the Mask3D tests (the documented ScanNet extracted-frame layout)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmpretrain.registry import DATASETS, MODELS

import mask3d_mm  # noqa: F401  (registers everything)

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'mask3d')
TINY_CONFIG = osp.join(CONFIG_DIR, 'mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py')


def write_frames(root: str, num_scenes: int = 2, num_frames: int = 4, height: int = 72, width: int = 96,
                 seed: int = 0) -> list:
    """Slanted planes with a box; colour is a function of depth (so depth is learnable from colour) plus
    texture; a rectangle and scattered pixels of invalid (0) depth."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    scene_ids = [f'scene{i:04d}_00' for i in range(num_scenes)]
    for scene_id in scene_ids:
        for sub in ('color', 'depth', 'pose', 'intrinsic'):
            os.makedirs(osp.join(root, scene_id, sub), exist_ok=True)
        intrinsic = np.array([[80, 0, width / 2, 0], [0, 80, height / 2, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        for name in ('intrinsic_color', 'intrinsic_depth'):
            np.savetxt(osp.join(root, scene_id, 'intrinsic', f'{name}.txt'), intrinsic)
        for frame_id in range(num_frames):
            slope_r, slope_c = rng.uniform(-0.02, 0.02, 2)
            depth = 2.0 + slope_r * (rows - height / 2) + slope_c * (cols - width / 2)
            top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
            depth[top:top + height // 3, left:left + width // 3] -= 0.8
            depth[rng.random(depth.shape) < 0.05] = 0
            depth[:, :4] = 0
            shade = np.clip((depth - 0.8) / 2.5, 0, 1)
            color = np.stack([255 * shade, 255 * (1 - shade), 128 + 60 * np.sin(cols / 3)], -1)
            color = np.clip(color + rng.normal(0, 8, color.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(osp.join(root, scene_id, 'color', f'{frame_id}.jpg'), color)
            cv2.imwrite(osp.join(root, scene_id, 'depth', f'{frame_id}.png'), (depth * 1000).astype(np.uint16))
            np.savetxt(osp.join(root, scene_id, 'pose', f'{frame_id}.txt'), np.eye(4))
    os.makedirs(osp.join(root, 'splits'), exist_ok=True)
    for split in ('train', 'val'):
        with open(osp.join(root, 'splits', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(scene_ids) + '\n')
    return scene_ids


@pytest.fixture(scope='session')
def rgbd_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('rgbd_frames'))
    write_frames(root)
    return root


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> str:
    """Frames from the project's synthetic world when it is available, else the hand-made ones above."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    try:
        from mask3d_mm.data_prep.synthetic import generate_dataset
    except ImportError:
        write_frames(root)
    else:
        generate_dataset(root, num_scenes=2, frames_per_scene=4, seed=0, height=96, width=128)
    return root


# The previous 80 % / 80 % masking for the 4x4 patch grids of the tests: the default 98 % of depth leaves no visible
# depth patch on 16 patches, and these tests exercise both encoders.
SMALL_GRID_MASKING = {'model.rgb_mask_ratio': 0.8, 'model.depth_mask_ratio': 0.8}
SMALL_GRID_MASKING_OPTIONS = [f'{key}={value}' for key, value in SMALL_GRID_MASKING.items()]


def tiny_config(img_size: int = 64, data_root: str = 'data/synthetic/') -> Config:
    """The demo config at ``img_size`` (a 4x4 patch grid at 64): every Mask3D part, a fraction of the cost."""
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': data_root,
        'train_dataloader.dataset.frame_skip': 1,
        'train_dataloader.dataset.pipeline.1.scale': img_size,
        'model.backbone.img_size': img_size,  # the model derives every other size from its backbone
        **SMALL_GRID_MASKING})
    return cfg


@pytest.fixture(scope='module')
def cfg(synthetic_root) -> Config:
    """The demo config at 64x64 on the synthetic frames."""
    return tiny_config(img_size=64, data_root=synthetic_root)


@pytest.fixture(scope='module')
def batch(cfg) -> dict:
    """The first 4 training samples of ``cfg``, collated."""
    return load_batch(cfg, batch_size=4)


def build_model(model_cfg: dict, seed: int = 0):
    """Build and initialize (as the Runner does) a model with a fixed seed."""
    import torch
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def load_batch(cfg: Config, batch_size: int = 4, seed: int = 0) -> dict:
    """The first ``batch_size`` samples of the config's training set through its pipeline, collated."""
    np.random.seed(seed)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return default_collate([dataset[i] for i in range(batch_size)])
