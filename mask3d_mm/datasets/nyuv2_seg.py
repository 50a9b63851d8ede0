"""NYUv2 semantic segmentation, 40-class (nyu40) and 13-class (Couprie et al.) label spaces.

Reads the converter's layout ``<root>/{train,test}/{images,labels40,labels13}/<name>`` (795 train / 654 test
frames, the standard split). Label PNGs store 0 = unlabeled and classes as 1..K; the dataset shifts them to
0..K-1 and maps 0 to 255 (mmseg's ``reduce_zero_label``), so unlabeled pixels are ignored by loss and metric.
"""
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mask3d_mm.utils.errors import DataError, shown_path

from ..formats.frame_layout import frame_stems
from ..formats.scannet_labels import NYU40_CLASSES

# ScanNet's nyu40 colours (util.create_color_palette), ids 1..40.
NYU40_PALETTE = [[174, 199, 232], [152, 223, 138], [31, 119, 180], [255, 187, 120], [188, 189, 34],
                 [140, 86, 75], [255, 152, 150], [214, 39, 40], [197, 176, 213], [148, 103, 189],
                 [196, 156, 148], [23, 190, 207], [178, 76, 76], [247, 182, 210], [66, 188, 102],
                 [219, 219, 141], [140, 57, 197], [202, 185, 52], [51, 176, 203], [200, 54, 131],
                 [92, 193, 61], [78, 71, 183], [172, 114, 82], [255, 127, 14], [91, 163, 138],
                 [153, 98, 156], [140, 153, 101], [158, 218, 229], [100, 125, 154], [178, 127, 135],
                 [120, 185, 128], [146, 111, 194], [44, 160, 44], [112, 128, 144], [96, 207, 209],
                 [227, 119, 194], [213, 92, 176], [94, 106, 211], [82, 84, 163], [100, 85, 144]]
NYU13_CLASSES = ('bed', 'books', 'ceiling', 'chair', 'floor', 'furniture', 'objects', 'picture', 'sofa',
                 'table', 'tv', 'wall', 'window')
NYU13_PALETTE = [[255, 187, 120], [172, 114, 82], [78, 71, 183], [188, 189, 34], [152, 223, 138],
                 [31, 119, 180], [100, 85, 144], [196, 156, 148], [140, 86, 75], [255, 152, 150],
                 [91, 163, 138], [174, 199, 232], [197, 176, 213]]
LABEL_SPACES = {40: (NYU40_CLASSES, NYU40_PALETTE), 13: (NYU13_CLASSES, NYU13_PALETTE)}


@DATASETS.register_module()
class NYUv2SegDataset(BaseSegDataset):
    """Args:
        data_root (str): the converter's output folder.
        split (str): ``'train'`` (795 frames) or ``'test'`` (654 frames).
        num_classes (int): 40 (labels from ``labels40/``) or 13 (``labels13/``).
    """

    METAINFO = dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE)

    def __init__(self, data_root: str, split: str = 'train', num_classes: int = 40, img_suffix: str = '.png',
                 seg_map_suffix: str = '.png', **kwargs) -> None:
        if num_classes not in LABEL_SPACES:
            raise ValueError(f'NYUv2SegDataset: num_classes must be 40 or 13, got {num_classes}')
        if not data_root or not osp.isdir(data_root):
            raise DataError(f'NYUv2SegDataset: data_root {shown_path(data_root)} does not exist (convert NYUv2 with '
                            'tools/data/nyuv2)')
        classes, palette = LABEL_SPACES[num_classes]
        self.num_classes = num_classes
        kwargs.pop('reduce_zero_label', None)
        super().__init__(data_root=data_root, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=dict(img_path=f'{split}/images', seg_map_path=f'{split}/labels{num_classes}'),
                         metainfo=dict(classes=classes, palette=palette), reduce_zero_label=True, **kwargs)

    @classmethod
    def get_label_map(cls, new_classes=None):
        """No remapping: label files are already in the chosen space (mmseg would otherwise treat the 13
        classes as a renamed subset of the 40)."""
        return None

    def load_data_list(self) -> List[dict]:
        img_dir, label_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        for folder in (img_dir, label_dir):
            if not osp.isdir(folder):
                raise DataError(f'NYUv2SegDataset: folder {folder} does not exist')
        stems = frame_stems(img_dir, self.img_suffix)
        if not stems:
            raise DataError(f'NYUv2SegDataset: no <N>{self.img_suffix} images in {img_dir}')
        labelled = set(frame_stems(label_dir, self.seg_map_suffix))
        unlabelled = [s for s in stems if s not in labelled]
        if unlabelled:
            raise DataError(f'NYUv2SegDataset: image {osp.join(img_dir, unlabelled[0] + self.img_suffix)} has no '
                            f'label in {label_dir} ({len(unlabelled)} of {len(stems)} unlabelled)')
        return [dict(img_path=osp.join(img_dir, s + self.img_suffix),
                     seg_map_path=osp.join(label_dir, s + self.seg_map_suffix),
                     label_map=None, reduce_zero_label=True, seg_fields=[]) for s in stems]
