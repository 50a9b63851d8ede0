"""RGB-D transforms: every geometric op is applied identically to ``img`` and ``depth``.

Depth is always resampled with NEAREST so an invalid (0) pixel never blends with a valid one into a fake depth.
"""
import math
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmcv.transforms import RandomFlip as _RandomFlip
from mmengine import fileio
from mmpretrain.datasets.transforms import PackInputs, RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

from mask3d_mm.utils.errors import DataError


@TRANSFORMS.register_module()
class LoadRGBDFromFile(LoadImageFromFile):
    """Load ``img`` (BGR uint8, as ``LoadImageFromFile``) and ``depth`` (float32 metres, 0 = invalid).

    Depth on disk is a uint16 PNG in millimetres (``depth_scale`` units per metre). When colour and depth
    resolutions differ (real ScanNet: 1296x968 colour, 640x480 depth), colour is resized to the depth resolution,
    since the depth is the supervision signal and must stay unresampled.
    """

    def __init__(self, depth_scale: float = 1000.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth_scale = depth_scale

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        depth_path = results['depth_path']
        depth = mmcv.imfrombytes(fileio.get(depth_path, backend_args=self.backend_args), flag='unchanged',
                                 backend='cv2')
        if depth is None or depth.dtype != np.uint16 or depth.ndim != 2:
            got = 'undecodable data' if depth is None else f'{depth.dtype} array of shape {depth.shape}'
            raise DataError(f'{depth_path}: expected a single-channel uint16 depth PNG (millimetres), got {got}')
        depth_hw = depth.shape
        if results['img'].shape[:2] != depth_hw:
            results['img'] = mmcv.imresize(results['img'], depth_hw[::-1], interpolation='area')
        results['depth'] = np.divide(depth, np.float32(self.depth_scale), dtype=np.float32)  # (H, W) m, 0 = invalid
        results['img_shape'] = results['ori_shape'] = depth_hw
        return results


@TRANSFORMS.register_module()
class RGBDRandomResizedCrop(RandomResizedCrop):
    """mmpretrain ``RandomResizedCrop`` (same parameter sampling) applied to ``img`` and ``depth`` alike."""

    def transform(self, results: dict) -> dict:
        top, left, crop_h, crop_w = self.rand_crop_params(results['img'])
        box = np.array([left, top, left + crop_w - 1, top + crop_h - 1])
        out_wh = tuple(self.scale[::-1])
        results['img'] = mmcv.imresize(mmcv.imcrop(results['img'], box), out_wh,
                                       interpolation=self.interpolation, backend=self.backend)
        results['depth'] = mmcv.imresize(mmcv.imcrop(results['depth'], box), out_wh, interpolation='nearest')
        results['img_shape'] = results['img'].shape[:2]
        return results


@TRANSFORMS.register_module()
class RGBDRandomFlip(_RandomFlip):
    """mmcv ``RandomFlip`` that also flips ``depth`` with the sampled direction."""

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        results['depth'] = mmcv.imflip(results['depth'], direction=results['flip_direction'])


def block_mask(grid_hw: Tuple[int, int], num_masked: int, min_block: int = 4, min_aspect: float = 0.3,
               max_tries: int = 100) -> np.ndarray:
    """BEiT-style block mask (N,) uint8 hiding exactly ``num_masked`` patches.

    Rectangles of random area (>= ``min_block`` patches) and aspect ratio are added while they fit the remaining
    budget; whatever a rectangle can no longer fill is topped up with single random patches. Unlike mmpretrain's
    ``BEiTMaskGenerator`` (whose blocks never reach the last row / column, and which loops forever when the
    requested count exceeds what its blocks can reach, e.g. ratio 0.9), this always terminates with the exact count.
    """
    rows, cols = grid_hw
    mask = np.zeros(grid_hw, dtype=bool)  # (rows, cols)
    log_aspect = (math.log(min_aspect), -math.log(min_aspect))
    for _ in range(max_tries):
        remaining = num_masked - int(mask.sum())
        if remaining < min_block:
            break
        area = np.random.uniform(min_block, remaining)
        aspect = math.exp(np.random.uniform(*log_aspect))
        h = min(rows, max(1, round(math.sqrt(area * aspect))))
        w = min(cols, max(1, round(math.sqrt(area / aspect))))
        top, left = np.random.randint(0, rows - h + 1), np.random.randint(0, cols - w + 1)
        block = mask[top:top + h, left:left + w]
        if 0 < (~block).sum() <= remaining:
            block[...] = True
    flat = mask.reshape(-1)
    remaining = num_masked - int(flat.sum())
    flat[np.random.choice(np.flatnonzero(~flat), remaining, replace=False)] = True
    return flat.astype(np.uint8)


@TRANSFORMS.register_module()
class RGBDMaskGenerator(BaseTransform):
    """Independent patch masks for the colour and depth streams: ``rgb_mask``, ``depth_mask`` (N,), 1 = masked.

    Each mask hides exactly ``N - int(N * (1 - ratio))`` patches (MAE's count), so every sample of a batch keeps
    the same number of visible tokens. ``mode='block'`` draws BEiT-style rectangular blocks instead of
    independent patches (harder: depth must be inferred over larger holes).

    Args:
        patch_size (int): ViT patch size; the patch grid is ``img_shape // patch_size``.
        rgb_mask_ratio (float): fraction of colour patches hidden from the RGB encoder.
        depth_mask_ratio (float): fraction of depth patches hidden from the depth encoder.
        mode (str): ``'random'`` or ``'block'``.
    """

    def __init__(self, patch_size: int = 16, rgb_mask_ratio: float = 0.8, depth_mask_ratio: float = 0.8,
                 mode: str = 'random') -> None:
        for name, ratio in (('rgb_mask_ratio', rgb_mask_ratio), ('depth_mask_ratio', depth_mask_ratio)):
            if not 0 <= ratio < 1:
                raise ValueError(f'{name} must be in [0, 1), got {ratio}')
        if mode not in ('random', 'block'):
            raise ValueError(f"mode must be 'random' or 'block', got {mode!r}")
        self.patch_size = patch_size
        self.rgb_mask_ratio = rgb_mask_ratio
        self.depth_mask_ratio = depth_mask_ratio
        self.mode = mode

    def _mask(self, grid_hw: Tuple[int, int], ratio: float) -> np.ndarray:
        num_patches = grid_hw[0] * grid_hw[1]
        num_masked = num_patches - int(num_patches * (1 - ratio))
        if self.mode == 'block':
            return block_mask(grid_hw, num_masked)
        mask = np.zeros(num_patches, dtype=np.uint8)
        mask[np.random.permutation(num_patches)[:num_masked]] = 1
        return mask

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'image size {(h, w)} is not divisible by patch_size {self.patch_size}')
        grid_hw = (h // self.patch_size, w // self.patch_size)
        results['rgb_mask'] = self._mask(grid_hw, self.rgb_mask_ratio)
        results['depth_mask'] = self._mask(grid_hw, self.depth_mask_ratio)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(patch_size={self.patch_size}, rgb_mask_ratio={self.rgb_mask_ratio}, '
                f'depth_mask_ratio={self.depth_mask_ratio}, mode={self.mode!r})')


@TRANSFORMS.register_module()
class PackRGBDInputs(PackInputs):
    """``PackInputs`` with the colour image as ``inputs`` and, in the DataSample, ``gt_depth`` (1, H, W) float
    metres (0 = invalid) plus the bool patch masks ``rgb_mask`` / ``depth_mask`` (N,)."""

    def __init__(self,
                 algorithm_keys: Sequence[str] = ('gt_depth', 'rgb_mask', 'depth_mask'),
                 meta_keys: Union[Sequence[str], str] = ('img_path', 'depth_path', 'scene_id', 'frame_id',
                                                         'ori_shape', 'img_shape', 'flip', 'flip_direction'),
                 **kwargs) -> None:
        super().__init__(algorithm_keys=algorithm_keys, meta_keys=meta_keys, **kwargs)

    def transform(self, results: dict) -> dict:
        # CHW copy in numpy: PackInputs' torch ``permute().contiguous()`` of a uint8 HWC image takes ~4 ms at 224x224
        # on 2 CPU cores (numpy: ~0.1 ms), which alone made the pipeline 0.5x bare decoding (bench_pretrain.py).
        results['img'] = torch.from_numpy(np.ascontiguousarray(results['img'].transpose(2, 0, 1)))  # (3, H, W)
        results['gt_depth'] = torch.from_numpy(np.ascontiguousarray(results['depth']))[None]  # (1, H, W)
        for key in ('rgb_mask', 'depth_mask'):
            if key in results:
                results[key] = torch.from_numpy(np.asarray(results[key])).bool()  # (N,)
        return super().transform(results)
