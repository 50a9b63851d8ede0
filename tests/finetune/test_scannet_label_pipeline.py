"""ScanNet labels end to end: raw ScanNet ids in the frame layout -> scannet_2d conversion -> ScanNetSegDataset
(20 classes) -> ScanNet2DIoUMetric at the official 640x480, where everything outside the 20 classes is ignored."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mask3d_mm.data_prep.converters.scannet_2d import LabelMap, convert_scene_labels
from mask3d_mm.datasets.scannet_seg import ScanNetSegDataset
from mask3d_mm.evaluation import ScanNet2DIoUMetric
from mask3d_mm.formats.frame_layout import read_scene_list
from mask3d_mm.formats.scannet_labels import IGNORE_INDEX, SCANNET20_CLASSES

from .conftest import HEIGHT, WIDTH

TSV = 'scannetv2-labels.combined.tsv'
UNKNOWN_RAW_ID = 60000  # not in the tsv
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]


def read_png(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


@pytest.fixture
def raw_scene(synthetic_root, tmp_path):
    """One synthetic scene as ScanNet ships it: colour + raw-id labels only, with an unannotated (0) strip and a
    strip of a raw id the tsv does not know. Returns (root, scene id)."""
    scene = read_scene_list(osp.join(synthetic_root, 'splits', 'val.txt'))[0]
    shutil.copy(osp.join(synthetic_root, TSV), tmp_path / TSV)
    for folder in ('color', 'label'):
        shutil.copytree(osp.join(synthetic_root, scene, folder), tmp_path / scene / folder)
    for path in (tmp_path / scene / 'label').iterdir():
        raw = read_png(path)
        raw[:, :8] = 0
        raw[:, -8:] = UNKNOWN_RAW_ID
        cv2.imwrite(str(path), raw)
    (tmp_path / 'splits').mkdir()
    (tmp_path / 'splits' / 'val.txt').write_text(f'{scene}\n')
    return tmp_path, scene


def test_raw_ids_become_the_20_classes_and_the_rest_is_ignored(raw_scene, synthetic_root):
    root, scene = raw_scene
    stats = convert_scene_labels(str(root / scene), LabelMap.from_tsv(str(root / TSV)))
    num_frames = len(list((root / scene / 'label').iterdir()))
    assert stats.frames_written == num_frames and stats.unknown_raw_ids == {UNKNOWN_RAW_ID: 8 * HEIGHT * num_frames}

    init_default_scope('mmseg')
    dataset = ScanNetSegDataset(data_root=str(root), ann_file='splits/val.txt', pipeline=LOAD)
    assert len(dataset) == num_frames and dataset.metainfo['classes'] == SCANNET20_CLASSES
    metric = ScanNet2DIoUMetric()  # the official 640x480
    metric.dataset_meta = dataset.metainfo
    labelled_pixels = 0
    for index in range(len(dataset)):
        gt = dataset[index]['data_samples'].gt_sem_seg.data[0].numpy()  # (H, W)
        info = dataset.get_data_info(index)
        rendered = read_png(osp.join(synthetic_root, scene, 'label_scannet20', f"{info['frame_id']}.png"))
        np.testing.assert_array_equal(gt[:, 8:-8], rendered[:, 8:-8])  # the renderer's own 20-class labels
        assert (gt[:, :8] == IGNORE_INDEX).all() and (gt[:, -8:] == IGNORE_INDEX).all()
        assert set(np.unique(gt)) <= set(range(20)) | {IGNORE_INDEX}
        labelled_pixels += int((gt != IGNORE_INDEX).sum())
        prediction = np.where(gt == IGNORE_INDEX, 0, gt)  # 'wall' wherever the label is ignored: must not count
        metric.process({}, [dict(pred_sem_seg=dict(data=torch.as_tensor(prediction)[None]),
                                 gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))])
    assert labelled_pixels > 0
    scale = (640 // WIDTH) * (480 // HEIGHT)  # 96x128 -> 480x640: each pixel becomes a 5x5 block
    assert sum(int(result[3].sum()) for result in metric.results) == scale * labelled_pixels
    scores = metric.compute_metrics(metric.results)
    assert scores['mIoU'] == 100.0 and scores['aAcc'] == 100.0
