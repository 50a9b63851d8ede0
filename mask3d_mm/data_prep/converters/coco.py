"""COCO-style instance annotations (RLE masks, pycocotools) from instance-id + nyu40 label images, for mmdet.

One annotation per instance id > 0; its category is the most frequent non-zero nyu40 label under its mask,
mapped to a category set: ``SCANNET18`` (the 20 ScanNet benchmark classes minus wall and floor, the ScanNet
instance benchmark's 18) or ``NYU37`` (nyu40 minus wall, floor, ceiling). Instances whose class is outside the
set are left out. COCO category ids are 1..K in the order below; ``file_name`` is relative to the data root.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from mask3d_mm.utils.errors import DataError

from ...formats.frame_layout import frame_stems, read_label_png
from ...formats.scannet_labels import NYU40_CLASSES, SCANNET20_CLASSES, SCANNET20_NYU40_IDS
from ...utils.atomic_io import write_text_atomic

# (name, nyu40 id) per category, COCO id = position + 1.
SCANNET18 = tuple((name, nyu40_id) for name, nyu40_id in zip(SCANNET20_CLASSES, SCANNET20_NYU40_IDS)
                  if name not in ('wall', 'floor'))
NYU37 = tuple((name, nyu40_id) for nyu40_id, name in enumerate(NYU40_CLASSES, start=1)
              if name not in ('wall', 'floor', 'ceiling'))
CATEGORY_SETS = {'scannet18': SCANNET18, 'nyu37': NYU37}


class CocoBuilder:
    """Collects images and their instance annotations; ``write`` saves the json atomically."""

    def __init__(self, categories: Sequence[Tuple[str, int]] = SCANNET18, description: str = ''):
        self.categories = [dict(id=i, name=name, supercategory='object', nyu40_id=nyu40_id)
                           for i, (name, nyu40_id) in enumerate(categories, start=1)]
        self.nyu40_to_category = np.zeros(256, dtype=np.int64)  # 0 = not in the set
        for category in self.categories:
            self.nyu40_to_category[category['nyu40_id']] = category['id']
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self.description = description

    def add_image(self, file_name: str, instance_ids: np.ndarray, nyu40: np.ndarray) -> int:
        """Add one image with its (H, W) instance ids (0 = none) and nyu40 labels; returns the image id."""
        if instance_ids.shape != nyu40.shape:
            raise ValueError(f'{file_name}: instance image {instance_ids.shape} and label image {nyu40.shape} '
                             'differ in size')
        image_id = len(self.images) + 1
        height, width = instance_ids.shape
        self.images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
        for instance_id, category_id in instance_categories(instance_ids, nyu40, self.nyu40_to_category).items():
            rle = mask_utils.encode(np.asfortranarray(instance_ids == instance_id, dtype=np.uint8))
            self.annotations.append(dict(
                id=len(self.annotations) + 1, image_id=image_id, category_id=category_id, iscrowd=0,
                area=float(mask_utils.area(rle)), bbox=[float(v) for v in mask_utils.toBbox(rle)],
                segmentation=dict(size=rle['size'], counts=rle['counts'].decode('ascii')),
                instance_id=instance_id))
        return image_id

    def to_dict(self) -> dict:
        return dict(info=dict(description=self.description), images=self.images, annotations=self.annotations,
                    categories=self.categories)

    def write(self, path: str) -> None:
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        write_text_atomic(path, json.dumps(self.to_dict()))


def instance_categories(instance_ids: np.ndarray, nyu40: np.ndarray, nyu40_to_category: np.ndarray) -> Dict[int, int]:
    """{instance id: category id} by majority of the non-zero nyu40 labels under each instance."""
    labelled = (instance_ids > 0) & (nyu40 > 0)
    keys = instance_ids[labelled].astype(np.int64) * 256 + nyu40[labelled]  # (P,) instance x label
    pairs, counts = np.unique(keys, return_counts=True)
    best: Dict[int, Tuple[int, int]] = {}  # instance -> (pixels, nyu40 id)
    for key, count in zip(pairs.tolist(), counts.tolist()):
        instance_id, label = divmod(key, 256)
        if count > best.get(instance_id, (0, 0))[0]:
            best[instance_id] = (count, label)
    return {instance_id: int(nyu40_to_category[label]) for instance_id, (_, label) in sorted(best.items())
            if nyu40_to_category[label] > 0}


def coco_from_scenes(root: str, scene_ids: Sequence[str], categories: Sequence[Tuple[str, int]] = SCANNET18,
                     description: str = '', image_dir: str = 'color', image_suffix: str = '.jpg') -> CocoBuilder:
    """One COCO image per ``<scene>/color/<N>.jpg`` (``file_name`` relative to ``root``), its annotations from
    ``instance/<N>.png`` + ``label_nyu40/<N>.png``."""
    builder = CocoBuilder(categories, description)
    for scene_id in scene_ids:
        scene_dir = osp.join(root, scene_id)
        if not osp.isdir(osp.join(scene_dir, image_dir)):
            raise DataError(f'{scene_dir}: no {image_dir}/ folder (scene {scene_id} of the split)')
        for stem in frame_stems(osp.join(scene_dir, image_dir), image_suffix):
            instance_ids, nyu40 = (read_label_png(osp.join(scene_dir, folder, f'{stem}.png'))
                                   for folder in ('instance', 'label_nyu40'))
            builder.add_image(f'{scene_id}/{image_dir}/{stem}{image_suffix}', instance_ids, nyu40)
    return builder

