"""Pri3D pair transforms: load both views (+ frustum-cropped voxel chunks) and pack them. The colour-only
augmentation, drawn independently per view, is mmcv's ``TransformBroadcaster`` over ``img`` in the configs.

No geometric augmentation: a crop/flip would have to be mirrored into the intrinsics and poses, and Pri3D trains
without one. Every view keeps ``img`` and ``depth`` pixel-aligned and ``intrinsic`` matching the stored size.
"""
from typing import Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS

from mask3d_mm import geometry

from ...formats.frame_layout import read_matrix
from ...formats.pri3d_pairs import read_chunk
from .rgbd import LoadRGBDFromFile


def resize_view(img, depth, K, out_hw):
    """Resize a view to ``out_hw``: colour by area, depth nearest (``INTER_NEAREST_EXACT``: the source pixel
    holding the target pixel's centre; no blending of invalid depth), intrinsics by ``geometry.scale_intrinsics``
    (pixel centres at integer coordinates, the convention of the colour resize and of ``extract_sens.py --size``)."""
    in_h, in_w = depth.shape
    out_h, out_w = out_hw
    if (in_h, in_w) == (out_h, out_w):
        return img, depth, K
    img = cv2.resize(img, (out_w, out_h), interpolation=cv2.INTER_AREA)
    depth = cv2.resize(depth, (out_w, out_h), interpolation=cv2.INTER_NEAREST_EXACT)
    return img, depth, geometry.scale_intrinsics(K, out_w / in_w, out_h / in_h)


def frustum_aabb(depth, K, cam_to_world):
    """World axis-aligned box of the view frustum between the frame's nearest and farthest valid depth."""
    valid = depth[depth > 0]
    if valid.size == 0:
        return None
    corners = []
    for z in (valid.min(), valid.max()):
        plane = geometry.backproject_depth(np.full(depth.shape, z, np.float32), K)  # (H, W, 3)
        corners.append(plane[[0, 0, -1, -1], [0, -1, 0, -1]])  # (4, 3) image corners
    world = geometry.transform_points(np.concatenate(corners), cam_to_world)  # (8, 3)
    return world.min(0), world.max(0)


def crop_chunk(coords, colors, voxel_size, box):
    """Voxels whose centre lies in the world box."""
    if box is None:
        return coords[:0], colors[:0]
    centres = geometry.voxel_centres(coords, voxel_size, dtype=np.float64)  # (V, 3)
    inside = np.all((centres >= box[0]) & (centres <= box[1]), axis=1)
    return coords[inside], colors[inside]


@TRANSFORMS.register_module()
class LoadPri3DPair(BaseTransform):
    """Load the two views of a pair: ``img`` list of (H, W, 3) BGR uint8, ``depth`` list of (H, W) float32
    metres, ``pose`` list of (4, 4) camera-to-world, ``intrinsic`` list of (3, 3); with a ``chunk_path``, also
    ``chunk_coords`` (M, 4) int64 ``[view, x, y, z]`` voxel indices of each view's frustum crop and
    ``chunk_colors`` (M, 3) uint8 RGB.

    Args:
        scale: output (width, height), e.g. (320, 240) as in Pri3D; None keeps the depth resolution.
    """

    def __init__(self, scale=(320, 240), depth_scale=1000.0):
        self.scale = scale
        self.load_rgbd = LoadRGBDFromFile(depth_scale=depth_scale)

    def _load_view(self, paths):
        view = self.load_rgbd(dict(img_path=paths['img_path'], depth_path=paths['depth_path']))
        K = read_matrix(paths['intrinsic_path'])[:3, :3]
        pose = read_matrix(paths['pose_path'])
        out_hw = view['depth'].shape if self.scale is None else (self.scale[1], self.scale[0])
        img, depth, K = resize_view(view['img'], view['depth'], K, out_hw)
        return img, depth, K.astype(np.float32), pose.astype(np.float32)

    def transform(self, results):
        views = [self._load_view(paths) for paths in results['views']]
        for key, index in (('img', 0), ('depth', 1), ('intrinsic', 2), ('pose', 3)):
            results[key] = [view[index] for view in views]
        results['img_shape'] = results['depth'][0].shape
        if results.get('chunk_path'):
            self._load_chunks(results)
        return results

    def _load_chunks(self, results):
        coords, colors, voxel_size = read_chunk(results['chunk_path'])
        crops = []
        for v, (depth, K, pose) in enumerate(zip(results['depth'], results['intrinsic'], results['pose'])):
            view_coords, view_colors = crop_chunk(coords, colors, voxel_size, frustum_aabb(depth, K, pose))
            view_ids = np.full((len(view_coords), 1), v, dtype=np.int64)
            crops.append((np.concatenate([view_ids, view_coords.astype(np.int64)], 1), view_colors))
        results['chunk_coords'] = np.concatenate([c for c, _ in crops])  # (M, 4)
        results['chunk_colors'] = np.concatenate([c for _, c in crops])  # (M, 3)
        results['voxel_size'] = voxel_size


@TRANSFORMS.register_module()
class PackPri3DInputs(PackInputs):
    """``PackInputs`` of a pair: ``inputs`` is the list of the two (3, H, W) uint8 views (mmpretrain's multi-view
    format); the DataSample holds ``depth`` (2, H, W), ``pose`` (2, 4, 4), ``intrinsic`` (2, 3, 3) and, with chunks,
    ``chunk_coords`` (M, 4) / ``chunk_colors`` (M, 3). (Per-view colour augmentation before it: mmcv's
    ``TransformBroadcaster`` with ``mapping=dict(img='img')``, see the Pri3D configs.)"""

    def __init__(self,
                 algorithm_keys: Sequence[str] = ('depth', 'pose', 'intrinsic', 'chunk_coords', 'chunk_colors'),
                 meta_keys: Sequence[str] = ('scene_id', 'frame_ids', 'overlap', 'img_shape', 'voxel_size'),
                 **kwargs) -> None:
        super().__init__(algorithm_keys=algorithm_keys, meta_keys=meta_keys, **kwargs)

    def transform(self, results: dict) -> dict:
        # CHW copy in numpy, as PackRGBDInputs does (PackInputs' torch permute of uint8 HWC images is slow on CPU)
        results['img'] = [torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))) for img in results['img']]
        for key in self.algorithm_keys:
            if isinstance(results.get(key), list):  # one array per view -> (2, ...)
                results[key] = np.stack(results[key])
            if key in results:
                results[key] = torch.from_numpy(results[key])
        return super().transform(results)
