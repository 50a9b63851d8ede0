import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

from mask3d_mm.utils.errors import DataError

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


@pytest.mark.parametrize('mode', ['random', 'block'])
def test_mask_generator_honours_ratio_per_modality(mode):
    np.random.seed(0)
    gen = TRANSFORMS.build(dict(type='RGBDMaskGenerator', patch_size=16, rgb_mask_ratio=0.75,
                                depth_mask_ratio=0.5, mode=mode))
    out = gen(dict(img=np.zeros((128, 96, 3), np.uint8)))
    num_patches = 8 * 6
    assert out['rgb_mask'].shape == out['depth_mask'].shape == (num_patches,)
    assert out['rgb_mask'].sum() == num_patches - int(num_patches * 0.25)
    assert out['depth_mask'].sum() == num_patches - int(num_patches * 0.5)
    other = gen(dict(img=np.zeros((128, 96, 3), np.uint8)))
    assert not np.array_equal(out['rgb_mask'], other['rgb_mask'])  # fresh mask per sample
    with pytest.raises(ValueError, match='divisible'):
        gen(dict(img=np.zeros((100, 96, 3), np.uint8)))


@pytest.mark.parametrize('rgb_ratio,depth_ratio', [(0.6, 0.6), (0.8, 0.4), (0.9, 0.9), (0.75, 0.0)])
@pytest.mark.parametrize('mode', ['random', 'block'])
def test_mask_counts_are_exact_at_every_ablation_ratio(mode, rgb_ratio, depth_ratio):
    """On the 14 x 14 grid of a 224 input; mmpretrain's BEiT generator never terminates at 0.9 here."""
    np.random.seed(1)
    gen = TRANSFORMS.build(dict(type='RGBDMaskGenerator', rgb_mask_ratio=rgb_ratio, depth_mask_ratio=depth_ratio,
                                mode=mode))
    for _ in range(5):
        out = gen(dict(img=np.zeros((224, 224, 3), np.uint8)))
        assert out['rgb_mask'].sum() == 196 - int(196 * (1 - rgb_ratio))
        assert out['depth_mask'].sum() == 196 - int(196 * (1 - depth_ratio))


def masked_neighbour_fraction(mask: np.ndarray) -> float:
    """Of the masked patches, the fraction whose right or lower neighbour is masked too."""
    right = mask[:, :-1] & mask[:, 1:]
    down = mask[:-1] & mask[1:]
    return (right.sum() + down.sum()) / (2 * mask.sum())


def test_block_masks_are_contiguous_and_reach_every_border():
    np.random.seed(0)
    block = TRANSFORMS.build(dict(type='RGBDMaskGenerator', rgb_mask_ratio=0.4, depth_mask_ratio=0.4,
                                  mode='block'))
    random = TRANSFORMS.build(dict(type='RGBDMaskGenerator', rgb_mask_ratio=0.4, depth_mask_ratio=0.4))
    img = dict(img=np.zeros((224, 224, 3), np.uint8))
    block_masks = np.stack([block(dict(img))['rgb_mask'].reshape(14, 14).astype(bool) for _ in range(40)])
    random_masks = np.stack([random(dict(img))['rgb_mask'].reshape(14, 14).astype(bool) for _ in range(40)])
    assert (np.mean([masked_neighbour_fraction(m) for m in block_masks])
            > np.mean([masked_neighbour_fraction(m) for m in random_masks]) + 0.2)
    coverage = block_masks.mean(0)  # (14, 14): how often each patch was hidden
    assert coverage[-1].min() > 0 and coverage[:, -1].min() > 0  # last row / column are not spared


def test_pack_and_preprocess_normalize_rgb_and_depth_separately(rgbd_root):
    pipeline = [dict(type='LoadRGBDFromFile'),
                dict(type='RGBDRandomResizedCrop', scale=64, crop_ratio_range=(1.0, 1.0)),
                dict(type='RGBDMaskGenerator', patch_size=16), dict(type='PackRGBDInputs')]
    dataset = DATASETS.build(dict(type='RGBDFrameDataset', data_root=rgbd_root, pipeline=pipeline))
    batch = default_collate([dataset[0], dataset[1]])
    sample = batch['data_samples'][0]
    assert sample.gt_depth.shape == (1, 64, 64) and sample.rgb_mask.dtype == torch.bool
    assert sample.rgb_mask.shape == (16,) and sample.img_path.endswith('.jpg')
    mean, std = [10., 20., 30.], [2., 4., 8.]
    pre = MODELS.build(dict(type='RGBDDataPreprocessor', mean=mean, std=std, bgr_to_rgb=True, depth_mean=2.,
                            depth_std=0.5))
    data = pre(batch)
    inputs, raw_bgr = data['inputs'], batch['inputs'].float()
    assert inputs.shape == (2, 4, 64, 64)
    for c in range(3):  # channel c of the output is RGB channel c == BGR channel 2 - c
        torch.testing.assert_close(inputs[:, c], (raw_bgr[:, 2 - c] - mean[c]) / std[c])
    gt = torch.stack([s.gt_depth for s in data['data_samples']])[:, 0]
    torch.testing.assert_close(inputs[:, 3], torch.where(gt > 0, (gt - 2.) / 0.5, torch.zeros_like(gt)))
    assert (gt == 0).any() and (inputs[:, 3][gt == 0] == 0).all()
    with pytest.raises(ValueError, match='3-channel'):
        pre(dict(inputs=torch.zeros(1, 4, 64, 64), data_samples=batch['data_samples'][:1]))
