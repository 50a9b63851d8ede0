import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

from mask3d_mm import geometry
from mask3d_mm.datasets.pri3d_pairs import Pri3DPairDataset
from mask3d_mm.datasets.transforms.pri3d import LoadPri3DPair
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO

from .conftest import HEIGHT, WIDTH

VIEW_CONFIG = REPO / 'configs' / 'pri3d' / 'pri3d-view_resnet50-unet_8xb8_scannet.py'


def colour_augmentation():
    """The Pri3D configs' per-view colour augmentation step, with the jitter always applied."""
    pipeline = copy.deepcopy(Config.fromfile(VIEW_CONFIG).train_pipeline)
    step = next(t for t in pipeline if t['type'] == 'TransformBroadcaster')
    jitter = next(t for t in step['transforms'] if t['type'] == 'RandomApply')
    jitter['prob'] = 1.0
    return step


def pair_dataset(world, scale=(WIDTH, HEIGHT), augment=False, with_chunks=True):
    root, _, pairs_file = world
    init_default_scope('mmpretrain')  # transforms are registered in mmpretrain's registry
    pipeline = [dict(type='LoadPri3DPair', scale=scale)]
    pipeline += [colour_augmentation()] if augment else []
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
    torch.manual_seed(0)  # torchvision's ColorJitter draws from torch
    plain, augmented = pair_dataset(pri3d_world)[0], pair_dataset(pri3d_world, augment=True)[0]
    for view in (0, 1):
        assert augmented['inputs'][view].shape == plain['inputs'][view].shape
        assert augmented['inputs'][view].dtype == torch.uint8
        assert (augmented['inputs'][view].float() - plain['inputs'][view].float()).abs().mean() > 1.0
    for key in ('depth', 'pose', 'intrinsic', 'chunk_coords'):
        assert torch.equal(getattr(plain['data_samples'], key), getattr(augmented['data_samples'], key))


def test_colour_augmentation_is_drawn_per_view(pri3d_world):
    """Pri3D jitters the two views of a pair independently: one image given as both views comes out two ways."""
    init_default_scope('mmpretrain')
    views = pair_dataset(pri3d_world).get_data_info(0)['views']
    image = LoadPri3DPair(scale=(WIDTH, HEIGHT))(dict(views=views))['img'][0]  # (H, W, 3) uint8
    np.random.seed(0)
    torch.manual_seed(0)
    out = TRANSFORMS.build(colour_augmentation())(dict(img=[image, image.copy()], depth=[None, None]))
    assert [img.shape for img in out['img']] == [image.shape] * 2 and out['depth'] == [None, None]
    assert all(np.abs(img.astype(float) - image).mean() > 1.0 for img in out['img'])
    assert np.abs(out['img'][0].astype(float) - out['img'][1]).mean() > 1.0


def test_resize_keeps_depth_samples_and_scales_intrinsics(pri3d_world):
    views = pair_dataset(pri3d_world).get_data_info(0)['views']  # data_list is emptied by serialization
    full = LoadPri3DPair(scale=None)(dict(views=views))
    half = LoadPri3DPair(scale=(WIDTH // 2, HEIGHT // 2))(dict(views=views))
    # nearest-exact 2x shrink: target pixel centre (u + 0.5) * 2 - 0.5 = 2u + 0.5 lies in source pixel 2u + 1
    assert np.array_equal(half['depth'][0], full['depth'][0][1::2, 1::2])
    # the one intrinsics convention (pixel centres): fx / 2, cx' = (cx + 0.5) / 2 - 0.5
    fx, cx = full['intrinsic'][0][0, 0], full['intrinsic'][0][0, 2]
    assert np.allclose(half['intrinsic'][0][0, [0, 2]], [fx / 2, (cx + 0.5) / 2 - 0.5])
    np.testing.assert_allclose(half['intrinsic'][0], geometry.scale_intrinsics(full['intrinsic'][0], 0.5, 0.5),
                               rtol=1e-6)


def test_missing_pairs_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match='mine_pairs.py'):
        Pri3DPairDataset(data_root=str(tmp_path), ann_file='pri3d/pairs.txt')
