"""ScanNetSegDataset / NYUv2SegDataset listing and errors, data-efficient subsets, the 640x480 ScanNet metric."""
import ast
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mask3d_mm  # noqa: F401
from mask3d_mm.data_prep.converters.scannet_2d import write_data_efficient_splits
from mask3d_mm.datasets.nyuv2_seg import NYU13_CLASSES, NYUv2SegDataset
from mask3d_mm.datasets.scannet_seg import ScanNetSegDataset
from mask3d_mm.evaluation import ScanNet2DIoUMetric
from mask3d_mm.formats.frame_layout import DATA_EFFICIENT_PERCENTS
from mask3d_mm.formats.scannet_labels import IGNORE_INDEX, SCANNET20_CLASSES
from mask3d_mm.utils.errors import DataError

from .twins import REPO


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def write_frame(root, scene, stem, label):
    """A colour JPEG and its uint8 label PNG under the frame layout."""
    for folder in ('color', 'label_scannet20'):
        os.makedirs(root / scene / folder, exist_ok=True)
    cv2.imwrite(str(root / scene / 'color' / f'{stem}.jpg'), np.full(label.shape + (3,), 100, np.uint8))
    cv2.imwrite(str(root / scene / 'label_scannet20' / f'{stem}.png'), label.astype(np.uint8))


def write_split(root, name, scenes):
    os.makedirs(root / 'splits', exist_ok=True)
    (root / 'splits' / name).write_text(''.join(f'{s}\n' for s in scenes))


@pytest.fixture
def scannet_root(tmp_path):
    label = np.arange(48, dtype=np.uint8).reshape(6, 8) % 21  # 0..19 and 20 (outside the classes)
    label[0, 0] = IGNORE_INDEX
    for stem in ('10', '2', '0'):  # numeric order 0, 2, 10
        write_frame(tmp_path, 'scene0000_00', stem, label)
    for stem in ('000100', '000000'):  # ScanNet-25k zero padding
        write_frame(tmp_path, 'scene0001_00', stem, label)
    write_split(tmp_path, 'train.txt', ['scene0000_00', 'scene0001_00'])
    write_split(tmp_path, 'val.txt', ['scene0001_00'])
    return tmp_path


def test_scannet_lists_frames_in_numeric_order_and_loads_labels(scannet_root):
    dataset = ScanNetSegDataset(data_root=str(scannet_root), ann_file='splits/train.txt', pipeline=LOAD)
    frames = [(info['scene_id'], info['frame_id']) for info in infos(dataset)]
    assert frames == [('scene0000_00', '0'), ('scene0000_00', '2'), ('scene0000_00', '10'),
                      ('scene0001_00', '000000'), ('scene0001_00', '000100')]
    assert dataset.metainfo['classes'] == SCANNET20_CLASSES and len(dataset.metainfo['palette']) == 20
    gt = dataset[4]['data_samples'].gt_sem_seg.data[0].numpy()
    assert gt[0, 0] == IGNORE_INDEX and gt[0, 1] == 1 and gt.shape == (6, 8)
    val = ScanNetSegDataset(data_root=str(scannet_root), ann_file='splits/val.txt', pipeline=LOAD)
    assert len(val) == 2


@pytest.mark.parametrize('breakage, message', [
    ('no_root', 'does not exist'),
    ('empty_split', 'empty'),
    ('missing_split', 'scene list file not found'),
    ('missing_label', 'has no label'),
    ('missing_scene', 'has no colour folder'),
])
def test_scannet_bad_data_is_a_clear_error(scannet_root, breakage, message):
    root, ann_file = scannet_root, 'splits/train.txt'
    if breakage == 'no_root':
        root = scannet_root / 'nowhere'
    elif breakage == 'empty_split':
        write_split(scannet_root, 'train.txt', [])
    elif breakage == 'missing_split':
        ann_file = 'splits/train_7.txt'
    elif breakage == 'missing_label':
        os.remove(scannet_root / 'scene0001_00' / 'label_scannet20' / '000100.png')
    elif breakage == 'missing_scene':
        write_split(scannet_root, 'train.txt', ['scene0009_00'])
    with pytest.raises(DataError, match=message):
        ScanNetSegDataset(data_root=str(root), ann_file=ann_file)


DATA_EFFICIENT_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'finetune', 'data_efficient', '*.py')))
DATA_EFFICIENT_BASES = ('../upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py',
                        '../pri3d-unet_r50_sgd-20k_scannet-240x320.py')


def own_settings(config):
    """A config file's own top-level settings with ``_base_`` unresolved: resolving the ``mmseg::`` bases costs
    ~0.5 s a file (test_real_configs.py builds every data-efficient config fully under ``make slow``)."""
    with open(config) as f:
        module = ast.parse(f.read())
    return {node.targets[0].id: eval(compile(ast.Expression(node.value), config, 'eval'), {'dict': dict})
            for node in module.body if isinstance(node, ast.Assign)}


def test_data_efficient_configs_read_the_subset_split_of_their_percent():
    percents = {base: [] for base in DATA_EFFICIENT_BASES}  # Mask3D UperNet and Pri3D UNet
    for config in DATA_EFFICIENT_CONFIGS:
        pct = int(re.search(r'train-(\d+)pct', config).group(1))
        settings = own_settings(config)
        percents[settings['_base_']].append(pct)
        assert settings['train_dataloader'] == dict(dataset=dict(ann_file=f'splits/train_{pct}.txt')), config
    assert all(sorted(found) == list(DATA_EFFICIENT_PERCENTS) for found in percents.values())
    merged = Config.fromfile(DATA_EFFICIENT_CONFIGS[0])  # the override lands in the train set only
    assert merged.train_dataloader.dataset.ann_file.startswith('splits/train_')
    assert merged.val_dataloader.dataset.ann_file == 'splits/val.txt'


def test_converter_subsets_are_read_by_the_dataset(tmp_path):
    scenes = [f'scene{i:04d}_00' for i in range(40)]
    write_split(tmp_path, 'train.txt', scenes)
    frames_per_scene = [1 + index % 3 for index in range(len(scenes))]  # subsets are sized by images
    for scene, num_frames in zip(scenes, frames_per_scene):
        for stem in range(num_frames):
            write_frame(tmp_path, scene, str(stem), np.zeros((4, 4)))
    written = write_data_efficient_splits(str(tmp_path), seed=3)
    assert set(written) == set(DATA_EFFICIENT_PERCENTS)
    for pct, (path, num_scenes, num_images) in written.items():
        assert path == osp.join(str(tmp_path), 'splits', f'train_{pct}.txt')  # what the configs name
        dataset = ScanNetSegDataset(data_root=str(tmp_path), ann_file=f'splits/train_{pct}.txt')
        listed = {info['scene_id'] for info in infos(dataset)}
        assert listed == set(open(path).read().split()) and len(listed) == num_scenes
        assert len(dataset) == num_images >= pct / 100 * sum(frames_per_scene)


def write_nyuv2(root, split, names, num_classes):
    for folder in ('images', f'labels{num_classes}'):
        os.makedirs(root / split / folder, exist_ok=True)
    for name in names:
        cv2.imwrite(str(root / split / 'images' / f'{name}.png'), np.zeros((4, 6, 3), np.uint8))
        label = np.arange(24, dtype=np.uint8).reshape(4, 6) % (num_classes + 1)  # 0 = unlabeled
        cv2.imwrite(str(root / split / f'labels{num_classes}' / f'{name}.png'), label)


@pytest.mark.parametrize('num_classes', [40, 13])
def test_nyuv2_shifts_labels_and_ignores_unlabeled(tmp_path, num_classes):
    write_nyuv2(tmp_path, 'test', ['0001', '0000'], num_classes)
    dataset = NYUv2SegDataset(data_root=str(tmp_path), split='test', num_classes=num_classes, pipeline=LOAD)
    assert len(dataset) == 2 and infos(dataset)[0]['img_path'].endswith('0000.png')
    assert len(dataset.metainfo['classes']) == num_classes
    if num_classes == 13:
        assert dataset.metainfo['classes'] == NYU13_CLASSES
    gt = dataset[0]['data_samples'].gt_sem_seg.data[0].numpy()
    raw = np.arange(24).reshape(4, 6) % (num_classes + 1)
    np.testing.assert_array_equal(gt, np.where(raw == 0, IGNORE_INDEX, raw - 1))


def test_nyuv2_missing_split_is_a_clear_error(tmp_path):
    write_nyuv2(tmp_path, 'train', ['0'], 40)
    with pytest.raises(DataError, match='labels13'):
        NYUv2SegDataset(data_root=str(tmp_path), split='train', num_classes=13)


def scannet_metric(eval_size, **kwargs):
    metric = ScanNet2DIoUMetric(eval_size=eval_size, **kwargs)
    metric.dataset_meta = dict(classes=SCANNET20_CLASSES)
    return metric


def sample(pred, gt):
    return dict(pred_sem_seg=dict(data=torch.as_tensor(pred)[None]), gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))


def test_scannet_metric_resizes_to_eval_size_and_ignores_255():
    gt = torch.full((8, 8), IGNORE_INDEX)
    gt[:, :4] = 0  # wall on the left half, right half outside the 20 classes
    pred = torch.ones(8, 8, dtype=torch.long)  # 'floor' where ignored: must not count
    pred[:, :4] = 0
    metric = scannet_metric((4, 2))
    metric.process({}, [sample(pred, gt)])
    area_intersect, area_union, area_pred, area_label = metric.results[0]
    assert area_label.sum() == 4  # 2x4 evaluation grid, left half labelled
    assert area_intersect[0] == 4 and area_union[1] == 0
    assert metric.compute_metrics(metric.results)['mIoU'] == 100.0
    wrong = scannet_metric((4, 2))
    wrong.process({}, [sample(torch.ones(8, 8, dtype=torch.long), gt)])
    assert wrong.compute_metrics(wrong.results)['mIoU'] == 0.0


def test_scannet_metric_classwise_iou_matches_the_pixel_counts():
    gt = torch.zeros(4, 4, dtype=torch.long)
    gt[:, 2:] = 2  # left half wall, right half cabinet
    pred = gt.clone()
    pred[0, 2:] = 0  # 2 cabinet pixels called wall
    metric = scannet_metric((4, 4), classwise=True)
    metric.process({}, [sample(pred, gt)])
    metrics = metric.compute_metrics(metric.results)
    assert metrics['IoU.wall'] == round(100 * 8 / 10, 2) and metrics['IoU.cabinet'] == round(100 * 6 / 8, 2)
    assert 'IoU.floor' not in metrics  # neither labelled nor predicted
    assert metrics['mIoU'] == round((80.0 + 75.0) / 2, 2)
    assert 'IoU.wall' not in scannet_metric((4, 4)).compute_metrics(metric.results)
