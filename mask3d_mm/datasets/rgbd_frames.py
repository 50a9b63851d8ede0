"""Frame-list dataset over the ScanNet extracted-frame layout (see CONTRIBUTING.md), for RGB-D pretraining."""
import os.path as osp
from typing import List, Sequence, Union

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS, TRANSFORMS

from mask3d_mm.utils.errors import DataError, shown_path

from ..formats.frame_layout import broken_frame_error, frame_path, frame_stems, read_scene_list


class NamesFramePrescan:
    """Dataset mix-in: a frame that fails to load (empty, truncated, missing file) is a DataError that also names
    the pre-scan listing every such frame of ``data_root`` (``tools/data/check_frames.py``), not only this one."""

    def prepare_data(self, idx):
        try:
            return super().prepare_data(idx)
        except DataError as error:
            raise broken_frame_error(error, self.data_root) from error


@DATASETS.register_module()
class RGBDFrameDataset(NamesFramePrescan, BaseDataset):
    """Every ``frame_skip``-th RGB-D frame of the listed scenes; one data item per frame.

    Args:
        data_root (str): root of the frame layout (``<root>/<scene_id>/{color,depth}/<N>.{jpg,png}``).
        scenes (str | Sequence[str]): a scene-list file (relative to ``data_root`` or absolute, one id per
            line, e.g. ``splits/train.txt``) or the scene ids themselves.
        frame_skip (int): keep frames whose position in the sorted frame list is a multiple of this; ScanNet
            neighbours are nearly identical, so pretraining usually keeps every 25th frame.
        pipeline (Sequence[dict]): transforms, starting with ``LoadRGBDFromFile``.
    """

    def __init__(self,
                 data_root: str,
                 scenes: Union[str, Sequence[str]] = 'splits/train.txt',
                 frame_skip: int = 1,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        if frame_skip < 1:
            raise ValueError(f'frame_skip must be >= 1, got {frame_skip}')
        self.scenes = scenes
        self.frame_skip = frame_skip
        # build with mmpretrain's registry so the pipeline works without a default scope (tools, tests)
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(data_root=data_root, pipeline=pipeline, **kwargs)

    def _scene_ids(self) -> List[str]:
        if not isinstance(self.scenes, str):
            return list(self.scenes)
        return read_scene_list(self.scenes if osp.isabs(self.scenes) else osp.join(self.data_root, self.scenes))

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            raise DataError(f'RGBDFrameDataset: data_root {shown_path(self.data_root)} does not exist '
                            '(generate data/synthetic or point data_root at extracted ScanNet frames)')
        scene_ids = self._scene_ids()
        if not scene_ids:
            raise DataError(f'RGBDFrameDataset: no scenes given under {self.data_root}')
        data_list = []
        for scene_id in scene_ids:
            scene_dir = osp.join(self.data_root, scene_id)
            color_dir = osp.join(scene_dir, 'color')
            if not osp.isdir(color_dir):
                raise DataError(f'RGBDFrameDataset: scene {scene_id!r} has no color folder {color_dir}')
            for stem in frame_stems(color_dir, '.jpg')[::self.frame_skip]:  # zero-padded names stay as they are
                depth_path = frame_path(scene_dir, 'depth', stem)
                if not osp.isfile(depth_path):
                    raise DataError(f'RGBDFrameDataset: missing depth for frame {stem} of scene '
                                    f'{scene_id}: {depth_path}')
                data_list.append(dict(img_path=frame_path(scene_dir, 'color', stem), depth_path=depth_path,
                                      scene_id=scene_id, frame_id=int(stem)))
        if not data_list:
            raise DataError(f'RGBDFrameDataset: no color/<N>.jpg frames in scenes {scene_ids} under '
                            f'{self.data_root}')
        return data_list
