"""Dense depth reconstruction loss of Mask3D on masked patches, with invalid depth (0) excluded everywhere."""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class Mask3DDepthHead(BaseModule):
    """Target per patch: all p*p depth pixels of the patch (dense, metres). Loss: mean L1 / L2 error over the
    valid (> 0) pixels of the patches selected by ``loss_mask``.

    ``norm_depth=True`` (the depth analogue of MAE's ``norm_pix``) standardizes each patch's target with the
    mean / std of its VALID pixels only, so the model learns relative shape rather than absolute scale.

    Args:
        patch_size (int): ViT patch size (``Mask3D`` fills it in from its backbone).
        criterion (str): ``'L1'`` or ``'L2'``.
        norm_depth (bool): per-patch normalization of the target.
    """

    def __init__(self, patch_size: int = 16, criterion: str = 'L1', norm_depth: bool = False,
                 eps: float = 1e-6) -> None:
        super().__init__()
        if criterion not in ('L1', 'L2'):
            raise ValueError(f"criterion must be 'L1' or 'L2', got {criterion!r}")
        self.patch_size = patch_size
        self.criterion = criterion
        self.norm_depth = norm_depth
        self.eps = eps

    def patchify(self, depth: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, N, p*p), patches in row-major order like the ViT's tokens."""
        return F.pixel_unshuffle(depth, self.patch_size).flatten(2).transpose(1, 2)

    def unpatchify(self, patches: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """(B, N, p*p) -> (B, 1, H, W)."""
        p = self.patch_size
        grid = patches.transpose(1, 2).reshape(patches.shape[0], p * p, hw[0] // p, hw[1] // p)
        return F.pixel_shuffle(grid, p)

    def patch_stats(self, target: torch.Tensor, valid: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mean and std (B, N, 1) of each patch's valid pixels (0 / 1 for patches without valid pixels)."""
        count = valid.sum(-1, keepdim=True)
        mean = torch.where(valid, target, 0).sum(-1, keepdim=True) / count.clamp(min=1)
        var = torch.where(valid, (target - mean) ** 2, 0).sum(-1, keepdim=True) / (count - 1).clamp(min=1)
        return mean, (var + self.eps).sqrt()

    def construct_target(self, gt_depth: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """gt_depth (B, 1, H, W) metres -> target (B, N, p*p), valid (B, N, p*p) bool."""
        target = self.patchify(gt_depth)
        valid = target > 0
        if self.norm_depth:
            mean, std = self.patch_stats(target, valid)
            target = (target - mean) / std
        return target, valid

    def loss(self, pred: torch.Tensor, gt_depth: torch.Tensor, loss_mask: torch.Tensor) -> torch.Tensor:
        """pred (B, N, p*p), gt_depth (B, 1, H, W) metres (0 = invalid), loss_mask (B, N) 1 = in the loss."""
        target, valid = self.construct_target(gt_depth)
        weight = valid & loss_mask.bool().unsqueeze(-1)  # (B, N, p*p)
        diff = pred.float() - target
        error = diff.abs() if self.criterion == 'L1' else diff ** 2
        return torch.where(weight, error, 0).sum() / weight.sum().clamp(min=1)

    def depth_from_prediction(self, pred: torch.Tensor, gt_depth: torch.Tensor) -> torch.Tensor:
        """Predicted depth in metres (B, 1, H, W); with ``norm_depth`` the per-patch scale is taken from the
        ground truth (as MAE's visualizations do), since the model only predicts normalized shape."""
        if self.norm_depth:
            target = self.patchify(gt_depth)
            mean, std = self.patch_stats(target, target > 0)
            pred = pred * std + mean
        return self.unpatchify(pred, gt_depth.shape[-2:])
