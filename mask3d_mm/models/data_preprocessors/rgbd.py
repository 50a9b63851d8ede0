"""Batches RGB-D samples packed by ``PackRGBDInputs`` into one (B, 4, H, W) tensor: normalized RGB + metres."""
from typing import Optional, Sequence

import torch
from mmengine.model import ImgDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class RGBDDataPreprocessor(ImgDataPreprocessor):
    """Return ``inputs`` = (B, 4, H, W): normalized RGB, then the depth in metres (0 = invalid), stacked once
    from each DataSample's ``gt_depth``. The depth stays in metres there because it is the loss target and its
    zeros mark invalid pixels; ``normalize_depth`` gives the depth encoder's input (invalid -> exactly 0, the
    dataset mean, instead of a large negative value).

    The colour channel swap (``bgr_to_rgb``) and ``mean``/``std`` touch the 3 colour channels only.

    Args:
        mean, std (Sequence[float]): colour statistics (0-255 scale), e.g. ImageNet's.
        bgr_to_rgb (bool): images are decoded BGR by OpenCV; ViTs pretrained by mmpretrain expect RGB.
        depth_mean, depth_std (float): depth statistics in metres (ScanNet: about 2.5 / 1.5).
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = (123.675, 116.28, 103.53),
                 std: Optional[Sequence[float]] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 depth_mean: float = 2.5,
                 depth_std: float = 1.5,
                 **kwargs) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, **kwargs)
        self.depth_mean = depth_mean
        self.depth_std = depth_std

    def normalize_depth(self, depth: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) metres, 0 = invalid -> standardized depth, invalid = 0."""
        return torch.where(depth > 0, (depth - self.depth_mean) / self.depth_std, torch.zeros_like(depth))

    def forward(self, data: dict, training: bool = False) -> dict:
        for image in data['inputs']:
            if image.shape[-3] != 3:
                raise ValueError(f'RGBDDataPreprocessor expects 3-channel colour inputs (depth travels in '
                                 f'DataSample.gt_depth), got shape {tuple(image.shape)}')
        data = super().forward(data, training)
        rgb = data['inputs']  # (B, 3, H, W)
        depth = torch.stack([sample.gt_depth for sample in data['data_samples']]).to(rgb)  # (B, 1, H, W)
        data['inputs'] = torch.cat([rgb, depth], dim=1)  # (B, 4, H, W): normalized RGB, metres
        return data
