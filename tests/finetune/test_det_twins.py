"""The Mask R-CNN twins (ViT + simple feature pyramid, ResNet-18 FPN) train on the synthetic world and are scored
by mmdet's CocoMetric against COCO json built from the instance + label images."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mask3d_mm.data_prep.converters.coco import SCANNET18, CocoBuilder, instance_categories

from .twins import loss_history, twin_config

COCO_KEYS = {f'coco/{kind}_mAP{suffix}' for kind in ('bbox', 'segm') for suffix in ('', '_50', '_75')}


def det_twin(name, root, work_dir):
    return twin_config(name, work_dir, **{
        'train_dataloader.dataset.data_root': root, 'val_dataloader.dataset.data_root': root,
        'val_evaluator.ann_file': osp.join(root, 'annotations', 'instances_val.json')})


@pytest.mark.parametrize('name', [
    'mask-rcnn_vit-tiny_synthetic-scannet',
    # by default the R18-FPN twin trains and is scored through mmdet's own tools/train.py (test_upstream_tools.py)
    pytest.param('mask-rcnn_r18-fpn_synthetic-scannet', marks=pytest.mark.slow)])
def test_mask_rcnn_twin_trains_and_scores_coco_ap(coco_root, tmp_path, name):
    runner = Runner.from_cfg(det_twin(name, coco_root, tmp_path))
    runner.train()
    losses = loss_history(runner)
    assert np.isfinite(losses).all() and len(losses) == runner.max_iters
    assert np.mean(losses[-3:]) < np.mean(losses[:3])  # it learns
    metrics = runner.val_loop.run()
    assert set(metrics) >= COCO_KEYS  # bbox and segm were both evaluated (non-empty detections)
    assert all(0.0 <= metrics[key] <= 1.0 for key in COCO_KEYS)


def known_instances(img_path, classes):
    """Ground truth read straight from the synthetic frame's instance / nyu40 images: (H, W) masks, xyxy boxes
    and class indices in the config's class order."""
    frame_dir, stem = osp.split(osp.splitext(img_path)[0])
    scene_dir = osp.dirname(frame_dir)
    instance_ids, nyu40 = (cv2.imread(osp.join(scene_dir, folder, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
                           for folder in ('instance', 'label_nyu40'))
    category_ids = instance_categories(instance_ids, nyu40, CocoBuilder().nyu40_to_category)
    masks = np.stack([instance_ids == i for i in category_ids]) if category_ids else np.zeros((0,) + nyu40.shape)
    boxes = []
    for mask in masks:
        rows, cols = np.nonzero(mask)
        boxes.append([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])  # pixel-edge xyxy, as COCO bbox
    labels = [classes.index(SCANNET18[category_id - 1][0]) for category_id in category_ids.values()]
    return (torch.as_tensor(masks, dtype=torch.bool), torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            torch.tensor(labels, dtype=torch.long))


def coco_ap_of_known_instances(cfg, relabel):
    """CocoMetric of 'predictions' that are the frames' true instances, with labels passed through ``relabel``."""
    init_default_scope('mmdet')
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, pipeline=[]))
    classes = list(dataset.metainfo['classes'])
    metric = CocoMetric(ann_file=cfg.val_evaluator.ann_file, metric=['bbox', 'segm'])
    metric.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        masks, boxes, labels = known_instances(info['img_path'], classes)
        prediction = dict(masks=masks, bboxes=boxes, labels=relabel(labels), scores=torch.ones(len(labels)))
        metric.process({}, [dict(pred_instances=prediction, img_id=info['img_id'],
                                 ori_shape=(info['height'], info['width']))])
    return metric.evaluate(len(dataset))


def test_coco_metric_scores_the_known_instances_perfectly(coco_root, tmp_path):
    cfg = det_twin('mask-rcnn_vit-tiny_synthetic-scannet', coco_root, tmp_path)
    assert list(cfg.val_dataloader.dataset.metainfo.classes) == [name for name, _ in SCANNET18]
    exact = coco_ap_of_known_instances(cfg, relabel=lambda labels: labels)
    assert exact['coco/bbox_mAP'] == exact['coco/segm_mAP'] == 1.0
    shifted = coco_ap_of_known_instances(cfg, relabel=lambda labels: (labels + 1) % len(SCANNET18))
    assert shifted['coco/bbox_mAP'] == shifted['coco/segm_mAP'] == 0.0
