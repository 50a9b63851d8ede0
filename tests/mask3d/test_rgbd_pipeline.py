import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

from mask3d_mm.utils.errors import ConfigError, DataError

from .conftest import write_frames


def build_pipeline_item(root, transforms):
    dataset = DATASETS.build(dict(type='RGBDFrameDataset', data_root=root, pipeline=transforms))
    return dataset, dataset[0]


def test_dataset_lists_frames_numerically_with_skip(tmp_path):
    write_frames(str(tmp_path), num_scenes=1, num_frames=12)
    dataset = DATASETS.build(dict(type='RGBDFrameDataset', data_root=str(tmp_path), frame_skip=5))
    assert [item['frame_id'] for item in dataset] == [0, 5, 10]
    scene_list = DATASETS.build(dict(type='RGBDFrameDataset', data_root=str(tmp_path), scenes=['scene0000_00']))
    assert len(scene_list) == 12 and scene_list[11]['img_path'].endswith('/color/11.jpg')


def test_dataset_errors_name_the_problem(tmp_path):
    with pytest.raises(DataError, match='does not exist'):
        DATASETS.build(dict(type='RGBDFrameDataset', data_root=str(tmp_path / 'nope')))
    os.makedirs(tmp_path / 'splits')
    (tmp_path / 'splits' / 'train.txt').write_text('\n')
    with pytest.raises(DataError, match='scene list file is empty: .*splits/train.txt'):
        DATASETS.build(dict(type='RGBDFrameDataset', data_root=str(tmp_path)))
    write_frames(str(tmp_path), num_scenes=1, num_frames=3)
    missing = tmp_path / 'scene0000_00' / 'depth' / '1.png'
    os.remove(missing)
    with pytest.raises(DataError, match=str(missing)):
        DATASETS.build(dict(type='RGBDFrameDataset', data_root=str(tmp_path)))


def test_load_rgbd_metres_invalid_zero_and_colour_resized_to_depth(rgbd_root, tmp_path):
    _, item = build_pipeline_item(rgbd_root, [dict(type='LoadRGBDFromFile')])
    raw = cv2.imread(item['depth_path'], cv2.IMREAD_UNCHANGED)
    assert item['depth'].dtype == np.float32
    np.testing.assert_allclose(item['depth'], raw / 1000.0, rtol=1e-6)
    assert ((item['depth'] == 0) == (raw == 0)).all() and (raw == 0).any()
    big_color = tmp_path / 'big.jpg'
    cv2.imwrite(str(big_color), cv2.resize(cv2.imread(item['img_path']), None, fx=2, fy=2))
    load = TRANSFORMS.build(dict(type='LoadRGBDFromFile'))
    out = load(dict(img_path=str(big_color), depth_path=item['depth_path']))
    assert out['img'].shape[:2] == raw.shape and out['img_shape'] == raw.shape
    bad_depth = tmp_path / 'bad.png'
    cv2.imwrite(str(bad_depth), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataError, match='bad.png'):
        load(dict(img_path=str(big_color), depth_path=str(bad_depth)))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_crop_and_flip_apply_the_same_geometry_to_rgb_and_depth(seed):
    rng = np.random.default_rng(seed)
    depth = rng.integers(1, 200, (60, 80)).astype(np.float32) / 50
    depth[rng.random(depth.shape) < 0.2] = 0
    img = np.repeat((depth * 50).astype(np.uint8)[..., None], 3, axis=2)  # colour encodes depth exactly
    np.random.seed(seed)
    crop = TRANSFORMS.build(dict(type='RGBDRandomResizedCrop', scale=48, interpolation='nearest'))
    flip = TRANSFORMS.build(dict(type='RGBDRandomFlip', prob=1.0, direction='horizontal'))
    out = flip(crop(dict(img=img, depth=depth)))
    assert out['img'].shape[:2] == out['depth'].shape == (48, 48)
    np.testing.assert_array_equal(out['img'][..., 0], (out['depth'] * 50).astype(np.uint8))
    # nearest depth resampling: only values from the input, invalid pixels never blend
    assert set(np.unique(out['depth'])) <= set(np.unique(depth))


def test_bilinear_colour_crop_still_keeps_depth_values_unblended():
    depth = np.tile(np.array([0.0, 3.0], np.float32), (40, 20))
    img = np.zeros((40, 40, 3), np.uint8)
    out = TRANSFORMS.build(dict(type='RGBDRandomResizedCrop', scale=32, interpolation='bilinear'))(
        dict(img=img, depth=depth))
    assert set(np.unique(out['depth'])) <= {0.0, 3.0}


def test_old_mask_generator_step_fails_with_what_to_change():
    """Masks moved into the model (tests/mask3d/test_mask3d_masks.py); an old pipeline step says so."""
    with pytest.raises(ConfigError, match='model=dict\\(rgb_mask_ratio'):
        TRANSFORMS.build(dict(type='RGBDMaskGenerator', patch_size=16, rgb_mask_ratio=0.6))


def test_pack_and_preprocess_normalize_rgb_and_depth_separately(rgbd_root):
    pipeline = [dict(type='LoadRGBDFromFile'),
                dict(type='RGBDRandomResizedCrop', scale=64, crop_ratio_range=(1.0, 1.0)),
                dict(type='PackRGBDInputs')]
    dataset = DATASETS.build(dict(type='RGBDFrameDataset', data_root=rgbd_root, pipeline=pipeline))
    batch = default_collate([dataset[0], dataset[1]])
    sample = batch['data_samples'][0]
    assert sample.gt_depth.shape == (1, 64, 64) and sample.img_path.endswith('.jpg')
    seeds = [s.mask_seed for s in batch['data_samples']]  # the model draws each sample's masks from its seed
    assert all(isinstance(seed, int) for seed in seeds) and seeds[0] != seeds[1]
    mean, std = [10., 20., 30.], [2., 4., 8.]
    pre = MODELS.build(dict(type='RGBDDataPreprocessor', mean=mean, std=std, bgr_to_rgb=True, depth_mean=2.,
                            depth_std=0.5))
    data = pre(batch)
    inputs, raw_bgr = data['inputs'], batch['inputs'].float()
    assert inputs.shape == (2, 4, 64, 64)
    for c in range(3):  # channel c of the output is RGB channel c == BGR channel 2 - c
        torch.testing.assert_close(inputs[:, c], (raw_bgr[:, 2 - c] - mean[c]) / std[c])
    gt = torch.stack([s.gt_depth for s in data['data_samples']])  # (B, 1, H, W) metres
    torch.testing.assert_close(inputs[:, 3:], gt, rtol=0, atol=0)  # channel 4: the depth in metres, stacked once
    normalized = pre.normalize_depth(inputs[:, 3:])  # the depth encoder's input
    torch.testing.assert_close(normalized, torch.where(gt > 0, (gt - 2.) / 0.5, torch.zeros_like(gt)))
    assert (gt == 0).any() and (normalized[gt == 0] == 0).all()
    with pytest.raises(ValueError, match='3-channel'):
        pre(dict(inputs=torch.zeros(1, 4, 64, 64), data_samples=batch['data_samples'][:1]))
