import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mask3d_mm.datasets.pri3d_pairs import Pri3DPairDataset
from mask3d_mm.datasets.transforms.pri3d import LoadPri3DPair
from mask3d_mm.utils.errors import DataError

from .conftest import HEIGHT, WIDTH

COLOR_AUG = [dict(type='RandomApply', prob=1.0,
                  transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
             dict(type='RandomGrayscale', prob=0.5, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
             dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5)]


def pair_dataset(world, scale=(WIDTH, HEIGHT), augment=False, with_chunks=True):
    root, _, pairs_file = world
    init_default_scope('mmpretrain')  # transforms are registered in mmpretrain's registry
    pipeline = [dict(type='LoadPri3DPair', scale=scale)]
    pipeline += [dict(type='ApplyToEachView', transforms=COLOR_AUG)] if augment else []
    pipeline += [dict(type='PackPri3DInputs')]
    return Pri3DPairDataset(data_root=root, ann_file=pairs_file, with_chunks=with_chunks, pipeline=pipeline)


def test_item_holds_both_views_geometry_and_chunks(pri3d_world):
    item = pair_dataset(pri3d_world)[0]
    sample = item['data_samples']
    assert [tuple(img.shape) for img in item['inputs']] == [(3, HEIGHT, WIDTH)] * 2
    assert sample.depth.shape == (2, HEIGHT, WIDTH) and sample.pose.shape == (2, 4, 4)
    assert sample.intrinsic.shape == (2, 3, 3) and sample.metainfo['overlap'] >= 0.3
    assert set(sample.chunk_coords[:, 0].tolist()) == {0, 1}
    assert sample.chunk_colors.shape == (len(sample.chunk_coords), 3)


def test_augmentation_changes_colour_only(pri3d_world):
    np.random.seed(0)
    plain, augmented = pair_dataset(pri3d_world)[0], pair_dataset(pri3d_world, augment=True)[0]
    assert not torch.equal(plain['inputs'][0], augmented['inputs'][0])
    for key in ('depth', 'pose', 'intrinsic', 'chunk_coords'):
        assert torch.equal(getattr(plain['data_samples'], key), getattr(augmented['data_samples'], key))


def test_resize_keeps_depth_samples_and_scales_intrinsics(pri3d_world):
    views = pair_dataset(pri3d_world).data_list[0]['views']
    full = LoadPri3DPair(scale=None)(dict(views=views))
    half = LoadPri3DPair(scale=(WIDTH // 2, HEIGHT // 2))(dict(views=views))
    assert np.array_equal(half['depth'][0], full['depth'][0][::2, ::2])
    assert np.allclose(half['intrinsic'][0][:2], full['intrinsic'][0][:2] / 2)


def test_missing_pairs_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match='mine_pairs.py'):
        Pri3DPairDataset(data_root=str(tmp_path), ann_file='pri3d/pairs.txt')
