"""RGB-D transforms: every geometric op is applied identically to ``img`` and ``depth``.

Depth is always resampled with NEAREST so an invalid (0) pixel never blends with a valid one into a fake depth.
"""
from typing import Sequence, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmcv.transforms import RandomFlip as _RandomFlip
from mmengine import fileio
from mmpretrain.datasets.transforms import PackInputs, RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

from mask3d_mm.utils.errors import ConfigError, DataError

from ...formats.frame_layout import decode_color, decode_depth


@TRANSFORMS.register_module()
class LoadRGBDFromFile(LoadImageFromFile):
    """Load ``img`` (BGR uint8, as ``LoadImageFromFile``) and ``depth`` (float32 metres, 0 = invalid).

    Depth on disk is a uint16 PNG in millimetres (``depth_scale`` units per metre). When colour and depth
    resolutions differ (real ScanNet: 1296x968 colour, 640x480 depth), colour is resized to the depth resolution,
    since the depth is the supervision signal and must stay unresampled. Both files are decoded by the frame-layout
    owner (``formats.frame_layout.decode_color`` / ``decode_depth``): an empty, truncated or wrong file is a
    DataError naming it (``color_type`` / ``imdecode_backend`` of the parent are not used).
    """

    def __init__(self, depth_scale: float = 1000.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth_scale = depth_scale

    def _read(self, path: str) -> bytes:
        try:
            return fileio.get(path, backend_args=self.backend_args)
        except OSError as err:
            raise DataError(f'{path}: cannot read ({err})') from err

    def transform(self, results: dict) -> dict:
        depth_path = results['depth_path']
        depth = decode_depth(self._read(depth_path), depth_path, self.depth_scale)  # (H, W) m, 0 = invalid
        depth_hw = depth.shape
        img = decode_color(self._read(results['img_path']), results['img_path'], size_hw=depth_hw)  # (H, W, 3)
        results['img'] = img.astype(np.float32) if self.to_float32 else img
        results['depth'] = depth
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


@TRANSFORMS.register_module()
class RGBDMaskGenerator(BaseTransform):
    """Removed: the ``Mask3D`` model draws its patch masks (its grid and ratios are one setting). Kept registered
    only so that an old config fails with a message saying what to change instead of a registry KeyError."""

    def __init__(self, *args, **kwargs) -> None:
        raise ConfigError('RGBDMaskGenerator was removed: Mask3D draws the patch masks itself. Drop it from the '
                          'pipeline and set the ratios / mode on the model: model=dict(rgb_mask_ratio=..., '
                          "depth_mask_ratio=..., depth_mask_type='random'|'block')")

    def transform(self, results: dict) -> dict:  # pragma: no cover (never constructed)
        return results


@TRANSFORMS.register_module()
class PackRGBDInputs(PackInputs):
    """``PackInputs`` with the colour image as ``inputs`` and, in the DataSample, ``gt_depth`` (1, H, W) float
    metres (0 = invalid) and ``mask_seed``: an int drawn from numpy's RNG (which mmengine seeds per dataloader
    worker) from which the ``Mask3D`` model draws this sample's patch masks, so masks are reproducible and
    follow the data order on resume."""

    def __init__(self,
                 algorithm_keys: Sequence[str] = ('gt_depth', 'mask_seed'),
                 meta_keys: Union[Sequence[str], str] = ('img_path', 'depth_path', 'scene_id', 'frame_id',
                                                         'ori_shape', 'img_shape', 'flip', 'flip_direction'),
                 **kwargs) -> None:
        super().__init__(algorithm_keys=algorithm_keys, meta_keys=meta_keys, **kwargs)

    def transform(self, results: dict) -> dict:
        # CHW copy in numpy: PackInputs' torch ``permute().contiguous()`` of a uint8 HWC image takes ~4 ms at 224x224
        # on 2 CPU cores (numpy: ~0.1 ms), which alone made the pipeline 0.5x bare decoding (bench_pretrain.py).
        results['img'] = torch.from_numpy(np.ascontiguousarray(results['img'].transpose(2, 0, 1)))  # (3, H, W)
        results['gt_depth'] = torch.from_numpy(np.ascontiguousarray(results['depth']))[None]  # (1, H, W)
        results['mask_seed'] = int(np.random.randint(2 ** 31 - 1))
        return super().transform(results)
