"""ScanNet 2D semantic segmentation (20 benchmark classes) over our frame layout and ScanNet-25k.

Frames are listed per scene: ``<root>/<scene>/color/<N>.jpg`` with the label ``<root>/<scene>/label_scannet20/
<N>.png`` (uint8 train ids 0..19, 255 = ignore; written by the converter / the synthetic world). ScanNet-25k
(``scannet_frames_25k``) names frames zero-padded (``000100.jpg``); names are kept as they are and sorted by
their number. Splits are scene lists (``splits/train.txt``, ``splits/val.txt``); data-efficient fine-tuning uses
``splits/train_{pct}.txt`` (nested scene subsets written by
``mask3d_mm.data_prep.converters.scannet_2d.write_data_efficient_splits``).
Scored by ``mask3d_mm.evaluation.ScanNet2DIoUMetric`` (the official 640x480 resize).
"""
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mask3d_mm.utils.errors import DataError, shown_path

from ..formats.frame_layout import frame_stems, read_scene_list
from ..formats.scannet_labels import IGNORE_INDEX, SCANNET20_CLASSES, SCANNET20_PALETTE


@DATASETS.register_module()
class ScanNetSegDataset(BaseSegDataset):
    """Frames of the scenes listed in ``ann_file`` with their 20-class labels.

    Args:
        data_root (str): root of the frame layout (or of ``scannet_frames_25k``).
        ann_file (str): scene-list file, relative to ``data_root`` (``splits/train.txt``, ``splits/val.txt``,
            ``splits/train_10.txt``) or absolute.
        img_dir / label_dir (str): per-scene folders of colour frames and train-id labels.
    """

    METAINFO = dict(classes=SCANNET20_CLASSES, palette=SCANNET20_PALETTE)

    def __init__(self, data_root: str, ann_file: str = 'splits/train.txt', img_dir: str = 'color',
                 label_dir: str = 'label_scannet20', img_suffix: str = '.jpg', seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        if not data_root or not osp.isdir(data_root):
            raise DataError(f'ScanNetSegDataset: data_root {shown_path(data_root)} does not exist (convert ScanNet '
                            'with tools/data/scannet or generate synthetic data)')
        self.img_dir, self.label_dir = img_dir, label_dir
        kwargs.setdefault('ignore_index', IGNORE_INDEX)
        super().__init__(data_root=data_root, ann_file=ann_file, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def _scene_frames(self, scene_id: str) -> List[dict]:
        color_dir = osp.join(self.data_root, scene_id, self.img_dir)
        label_dir = osp.join(self.data_root, scene_id, self.label_dir)
        if not osp.isdir(color_dir):
            raise DataError(f'ScanNetSegDataset: scene {scene_id!r} has no colour folder {color_dir}')
        stems = frame_stems(color_dir, self.img_suffix)
        labelled = set(frame_stems(label_dir, self.seg_map_suffix)) if osp.isdir(label_dir) else set()
        unlabelled = [s for s in stems if s not in labelled]
        if unlabelled:
            raise DataError(f'ScanNetSegDataset: colour frame {osp.join(color_dir, unlabelled[0] + self.img_suffix)}'
                            f' has no label {osp.join(label_dir, unlabelled[0] + self.seg_map_suffix)} '
                            f'({len(unlabelled)} of {len(stems)} frames of {scene_id} unlabelled)')
        return [dict(img_path=osp.join(color_dir, s + self.img_suffix),
                     seg_map_path=osp.join(label_dir, s + self.seg_map_suffix),
                     label_map=self.label_map, reduce_zero_label=False, seg_fields=[],
                     scene_id=scene_id, frame_id=s) for s in stems]

    def load_data_list(self) -> List[dict]:
        scene_ids = read_scene_list(self.ann_file)
        data_list = [frame for scene_id in scene_ids for frame in self._scene_frames(scene_id)]
        if not data_list:
            raise DataError(f'ScanNetSegDataset: no {self.img_dir}/<N>{self.img_suffix} frames in the '
                            f'{len(scene_ids)} scenes of {self.ann_file}')
        return data_list
