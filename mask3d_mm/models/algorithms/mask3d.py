"""Mask3D (Hou et al., CVPR'23): learn 3D priors in a 2D ViT by predicting dense depth from masked colour and
masked (sparse) depth. Only ``backbone`` (the RGB ViT) is kept for fine-tuning."""
from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

LOSS_PATCHES = ('depth_masked', 'rgb_masked', 'both_masked', 'all')


@MODELS.register_module()
class Mask3D(BaseSelfSupervisor):
    """RGB ViT (``backbone``) + depth encoder -> fusion decoder (``neck``) -> dense depth (``head``)
    [+ RGB pixels (``rgb_head``, the Mask3D+MAE variant)].

    Inputs are the ``RGBDDataPreprocessor`` output (B, 4, H, W); each DataSample carries ``gt_depth``
    (metres, 0 = invalid) and the patch masks ``rgb_mask`` / ``depth_mask`` (N,).

    Args:
        loss_patches (str): which patches' depth is in the loss. ``'depth_masked'`` (default): every patch whose
            depth token was hidden, so depth must come from colour and the visible depth context;
            ``'rgb_masked'`` / ``'both_masked'`` / ``'all'`` are the ablations.
    """

    def __init__(self,
                 backbone: dict,
                 depth_encoder: dict,
                 neck: dict,
                 head: dict,
                 rgb_head: Optional[dict] = None,
                 loss_patches: str = 'depth_masked',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if loss_patches not in LOSS_PATCHES:
            raise ValueError(f'loss_patches must be one of {LOSS_PATCHES}, got {loss_patches!r}')
        if data_preprocessor is None:
            data_preprocessor = dict(type='RGBDDataPreprocessor')
        super().__init__(backbone=backbone, neck=neck, head=head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.depth_encoder = MODELS.build(depth_encoder)
        self.rgb_head = MODELS.build(rgb_head) if rgb_head is not None else None
        self.loss_patches = loss_patches

    def extract_feat(self, inputs: torch.Tensor):
        """Features of the full, unmasked colour image: exactly a ``VisionTransformer`` forward."""
        return self.backbone(inputs[:, :3], mask=None)

    @staticmethod
    def stack_field(data_samples: List[DataSample], key: str) -> torch.Tensor:
        if not all(key in sample for sample in data_samples):
            raise KeyError(f'Mask3D needs `{key}` in every DataSample: add RGBDMaskGenerator and '
                           f'PackRGBDInputs to the pipeline')
        return torch.stack([sample.get(key) for sample in data_samples])

    def reconstruct(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Run the pretraining forward; returns predictions and the batched targets / masks."""
        rgb, depth = inputs[:, :3], inputs[:, 3:]  # (B, 3, H, W), (B, 1, H, W)
        rgb_mask = self.stack_field(data_samples, 'rgb_mask').bool()  # (B, N)
        depth_mask = self.stack_field(data_samples, 'depth_mask').bool()  # (B, N)
        rgb_latent, rgb_ids = self.backbone(rgb, mask=rgb_mask)  # (B, 1 + Nr, C), (B, Nr)
        depth_latent, depth_ids = self.depth_encoder(depth, depth_mask)  # (B, Nd, Cd), (B, Nd)
        depth_pred, rgb_pred = self.neck(rgb_latent, rgb_ids, depth_latent, depth_ids)
        gt_depth = self.stack_field(data_samples, 'gt_depth').to(depth)  # (B, 1, H, W) metres
        return dict(depth_pred=depth_pred, rgb_pred=rgb_pred, gt_depth=gt_depth, rgb=rgb, rgb_mask=rgb_mask,
                    depth_mask=depth_mask)

    def depth_loss_mask(self, rgb_mask: torch.Tensor, depth_mask: torch.Tensor) -> torch.Tensor:
        return dict(depth_masked=depth_mask, rgb_masked=rgb_mask, both_masked=rgb_mask & depth_mask,
                    all=torch.ones_like(depth_mask))[self.loss_patches]

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        out = self.reconstruct(inputs, data_samples)
        loss_mask = self.depth_loss_mask(out['rgb_mask'], out['depth_mask'])
        losses = dict(loss_depth=self.head.loss(out['depth_pred'], out['gt_depth'], loss_mask))
        if self.rgb_head is not None:
            losses['loss_rgb'] = self.rgb_head.loss(out['rgb_pred'], out['rgb'], out['rgb_mask'].float())
        return losses
