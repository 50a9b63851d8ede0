"""Pri3D pair dataset: one item per mined frame pair (``tools/data/scannet/mine_pairs.py``'s pairs.txt).

Correspondences are NOT computed here: the item carries both frames' depth, camera-to-world pose and intrinsics
(and, for the geometric loss, each frame's voxel chunk), and ``Pri3D`` finds pixel-pixel and pixel-voxel matches
batched in torch on the training device (``mask3d_mm.geometry``). That keeps loader workers cheap, keeps the
matches exact after colour augmentation (which never moves pixels) and lets the match tolerance be a model
setting.
"""
import os.path as osp

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from mask3d_mm.utils.errors import DataError, shown_path

from ..formats.frame_layout import frame_path, intrinsic_path
from ..formats.pri3d_pairs import chunk_dir_of, chunk_path, parse_pair_line, read_pair_lines


@DATASETS.register_module()
class Pri3DPairDataset(BaseDataset):
    """Args:
        data_root: root of the frame layout.
        ann_file: pairs file (relative to ``data_root`` or absolute); lines ``<scene>/color/<i>.jpg
            <scene>/color/<j>.jpg <overlap>``.
        chunk_dir: folder of ``<scene>.npz`` voxel chunks (default: ``chunks/`` next to ``ann_file``); only read
            when ``with_chunks``.
        with_chunks: attach the scene chunk path (needed by the ``geo`` loss).
        min_overlap: drop pairs below this overlap (the file may hold a looser threshold).
        pipeline: transforms, starting with ``LoadPri3DPair``.
    """

    def __init__(self, data_root, ann_file='pri3d/pairs.txt', chunk_dir=None, with_chunks=False, min_overlap=0.0,
                 pipeline=(), **kwargs):
        self.chunk_dir, self.with_chunks, self.min_overlap = chunk_dir, with_chunks, min_overlap
        super().__init__(data_root=data_root, ann_file=ann_file, pipeline=pipeline, **kwargs)

    def _chunk_path(self, scene_id):
        chunk_dir = self.chunk_dir or chunk_dir_of(self.ann_file)  # ann_file is joined already
        if self.chunk_dir and not osp.isabs(chunk_dir):
            chunk_dir = osp.join(self.data_root, chunk_dir)
        path = chunk_path(chunk_dir, scene_id)
        if not osp.isfile(path):
            raise DataError(f'Pri3DPairDataset: missing voxel chunk {path} (run tools/data/scannet/mine_pairs.py '
                            'without --no-chunks, or set with_chunks=False)')
        return path

    def _frame_paths(self, scene_id, frame_id):
        scene_dir = osp.join(self.data_root, scene_id)
        paths = {f'{kind}_path': frame_path(scene_dir, kind, frame_id) for kind in ('depth', 'pose')}
        return dict(img_path=frame_path(scene_dir, 'color', frame_id), intrinsic_path=intrinsic_path(scene_dir),
                    **paths)

    def load_data_list(self):
        if not osp.isfile(self.ann_file):
            raise DataError(f'Pri3DPairDataset: pairs file {shown_path(self.ann_file)} does not exist '
                            '(run tools/data/scannet/mine_pairs.py)')
        data_list = []
        for line in read_pair_lines(self.ann_file):
            scene_id, frame_i, frame_j, overlap = parse_pair_line(line, self.ann_file)
            if overlap < self.min_overlap:
                continue
            views = [self._frame_paths(scene_id, frame) for frame in (frame_i, frame_j)]
            chunk_path = self._chunk_path(scene_id) if self.with_chunks else None
            data_list.append(dict(scene_id=scene_id, frame_ids=(frame_i, frame_j), overlap=overlap, views=views,
                                  chunk_path=chunk_path))
        if not data_list:
            raise DataError(f'Pri3DPairDataset: no pairs with overlap >= {self.min_overlap} in {self.ann_file}')
        return data_list
