"""Tiny data roots in each real fine-tuning dataset's layout, filled from the synthetic world's frames, so every
real config can build its dataset and run one iteration.

- ScanNet (frame layout): the synthetic root itself, plus ``splits/train_{pct}.txt`` and COCO json.
- NYUv2 (converter layout): ``{train,test}/{images,labels40,labels13}/<k>.png`` and ``{train,test}/instances.json``.
- Cityscapes (mmseg's layout): ``leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png`` and
  ``gtFine/{train,val}/<city>/<name>_gtFine_labelTrainIds.png``.
"""
import os
import os.path as osp
import shutil

import cv2
import numpy as np

from mask3d_mm.data_prep.converters.coco import NYU37, CocoBuilder, coco_from_scenes
from mask3d_mm.data_prep.converters.scannet_2d import write_data_efficient_splits
from mask3d_mm.formats.frame_layout import frame_stems, read_scene_list
from mask3d_mm.formats.scannet_labels import IGNORE_INDEX, raw_to_nyu40_lut, read_label_tsv

TSV = 'scannetv2-labels.combined.tsv'
NUM_CITYSCAPES_CLASSES = 19


def read_png(path):
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def split_frames(root, split):
    """(scene id, frame stem) of every frame of a frame-layout split (``train`` / ``val``)."""
    return [(scene, stem) for scene in read_scene_list(osp.join(root, 'splits', f'{split}.txt'))
            for stem in frame_stems(osp.join(root, scene, 'color'), '.jpg')]


def frame_file(root, scene, folder, stem, ext='.png'):
    return osp.join(root, scene, folder, stem + ext)


def write_coco_annotations(root):
    """``annotations/instances_{train,val}.json`` of a frame-layout root, written by the converter's
    ``coco_from_scenes`` (what ``tools/data/scannet/convert_labels.py`` writes for real ScanNet)."""
    for split in ('train', 'val'):
        scene_ids = read_scene_list(osp.join(root, 'splits', f'{split}.txt'))
        coco_from_scenes(root, scene_ids, description=f'synthetic {split}').write(
            osp.join(root, 'annotations', f'instances_{split}.json'))


def write_scannet_root(source, root):
    shutil.copytree(source, root, dirs_exist_ok=True)
    write_data_efficient_splits(root)
    write_coco_annotations(root)
    return root


def write_nyuv2_root(source, root):
    """Synthetic frames as NYUv2: colour as PNG, nyu40 labels, 13-class labels through the tsv's eigen13 column."""
    raw_to_nyu13 = raw_to_nyu40_lut(read_label_tsv(osp.join(source, TSV), target_column='eigen13id'))
    for split, source_split in (('train', 'train'), ('test', 'val')):
        for folder in ('images', 'labels40', 'labels13'):
            os.makedirs(osp.join(root, split, folder), exist_ok=True)
        builder = CocoBuilder(NYU37, description=f'tiny nyuv2 {split}')
        for index, (scene, stem) in enumerate(split_frames(source, source_split)):
            nyu40 = read_png(frame_file(source, scene, 'label_nyu40', stem))
            raw = read_png(frame_file(source, scene, 'label', stem))
            cv2.imwrite(osp.join(root, split, 'images', f'{index}.png'),
                        cv2.imread(frame_file(source, scene, 'color', stem, '.jpg')))
            cv2.imwrite(osp.join(root, split, 'labels40', f'{index}.png'), nyu40)
            cv2.imwrite(osp.join(root, split, 'labels13', f'{index}.png'), raw_to_nyu13[raw])
            builder.add_image(f'{split}/images/{index}.png', read_png(frame_file(source, scene, 'instance', stem)),
                              nyu40)
        builder.write(osp.join(root, split, 'instances.json'))
    return root


def write_cityscapes_root(source, root, city='synthville'):
    """Synthetic frames as Cityscapes train ids (ScanNet train ids >= 19 become ignore)."""
    for split in ('train', 'val'):
        image_dir, label_dir = (osp.join(root, top, split, city) for top in ('leftImg8bit', 'gtFine'))
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for scene, stem in split_frames(source, split):
            name = f'{city}_{scene[5:9]}_{int(stem):06d}'
            labels = read_png(frame_file(source, scene, 'label_scannet20', stem))
            labels = np.where(labels >= NUM_CITYSCAPES_CLASSES, IGNORE_INDEX, labels).astype(np.uint8)
            cv2.imwrite(osp.join(image_dir, f'{name}_leftImg8bit.png'),
                        cv2.imread(frame_file(source, scene, 'color', stem, '.jpg')))
            cv2.imwrite(osp.join(label_dir, f'{name}_gtFine_labelTrainIds.png'), labels)
    return root


LAYOUT_WRITERS = {'scannet': write_scannet_root, 'nyuv2': write_nyuv2_root, 'cityscapes': write_cityscapes_root}
