"""Mask3D (Hou et al., CVPR'23): learn 3D priors in a 2D ViT by predicting dense depth from masked colour and
masked (sparse) depth. Only ``backbone`` (the RGB ViT) is kept for fine-tuning."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.models.utils import to_2tuple
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from mask3d_mm.utils.errors import ConfigError

from ..utils import PatchMaskSampler, nearest_visible_depth

LOSS_PATCHES = ('depth_masked', 'rgb_masked', 'both_masked', 'all')


def derive(cfg: Optional[dict], part: str, **derived) -> Optional[dict]:
    """``cfg`` with the values ``Mask3D`` derives from its backbone filled in; a config that states one of them
    differently is a mistake, not a wish (the grid and widths are one setting: the backbone's)."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg)
    for key, value in derived.items():
        if key in cfg and key in ('img_size', 'patch_resolution'):
            same = tuple(to_2tuple(cfg[key])) == tuple(to_2tuple(value))
        else:
            same = key not in cfg or cfg[key] == value
        if not same:
            raise ConfigError(f'model.{part}.{key}={cfg[key]!r} contradicts {value!r} derived from model.backbone; '
                              f'remove it from the config (Mask3D derives it)')
        cfg[key] = value
    return cfg


@MODELS.register_module()
class Mask3D(BaseSelfSupervisor):
    """RGB ViT (``backbone``) + depth encoder -> fusion decoder (``neck``) -> dense depth (``head``)
    [+ RGB pixels (``rgb_head``, the Mask3D+MAE variant)].

    Inputs are the ``RGBDDataPreprocessor`` output (B, 4, H, W): normalized RGB and depth in metres (0 =
    invalid); the depth encoder gets the preprocessor's normalized depth. The model draws the patch masks itself
    (``utils.patch_masks``; per-sample seeds ``mask_seed`` from ``PackRGBDInputs``), and derives the depth
    encoder's, neck's and heads' image size, patch grid and widths from ``backbone``: a config states image and
    patch size once, in ``backbone``.

    Args:
        rgb_mask_ratio (float): fraction of colour patches hidden from the RGB ViT, in [0, 1).
        depth_mask_ratio (float): fraction of depth patches hidden from the depth encoder, in [0, 1]. 1.0 (or any
            ratio that leaves no patch visible): no depth token at all (RGB-only -> dense depth); no depth encoder
            is built, ``depth_encoder`` is ignored.
        rgb_mask_type, depth_mask_type (str): ``'random'`` patches or ``'block'`` (BEiT-style rectangles).
        complementary (bool): no patch visible in both modalities (see ``PatchMaskSampler``).
        loss_patches (str): which patches' depth is in the loss. ``'depth_masked'`` (default): every patch whose
            depth token was hidden; ``'rgb_masked'`` / ``'both_masked'`` / ``'all'`` are the ablations.
        copy_baseline_interval (int): every this many ``loss`` calls, also log ``copy_baseline_l1`` (the
            copy-nearest-visible-depth baseline on the same batch; a CPU distance transform, ~0.4 s for
            64 x 224 x 224); 0 = never. ``depth_l1`` (the model's masked-depth L1 in metres) is logged every call.
            Under the configs' ``FreshScalarsLogProcessor`` a log line shows ``copy_baseline_l1`` only when it was
            computed since the previous line (mmengine's would repeat its last value).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 depth_encoder: Optional[dict] = dict(type='Mask3DDepthEncoder'),
                 rgb_head: Optional[dict] = None,
                 rgb_mask_ratio: float = 0.8,
                 depth_mask_ratio: float = 0.8,
                 rgb_mask_type: str = 'random',
                 depth_mask_type: str = 'random',
                 complementary: bool = False,
                 loss_patches: str = 'depth_masked',
                 copy_baseline_interval: int = 1,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if loss_patches not in LOSS_PATCHES:
            raise ValueError(f'loss_patches must be one of {LOSS_PATCHES}, got {loss_patches!r}')
        if data_preprocessor is None:
            data_preprocessor = dict(type='RGBDDataPreprocessor')
        backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        grid_hw = tuple(backbone.patch_resolution)
        mask_sampler = PatchMaskSampler(grid_hw, rgb_mask_ratio, depth_mask_ratio, rgb_mask_type, depth_mask_type,
                                        complementary)
        self_derived = dict(img_size=tuple(backbone.img_size), patch_size=backbone.patch_size)
        if mask_sampler.num_depth_visible == 0:  # ratio 1.0 (or so close to it that no patch stays visible)
            depth_encoder = None
        elif isinstance(depth_encoder, dict):
            depth_encoder = MODELS.build(derive(depth_encoder, 'depth_encoder', **self_derived))
        neck = derive(neck, 'neck', num_patches=grid_hw[0] * grid_hw[1], patch_resolution=grid_hw,
                      patch_size=backbone.patch_size, embed_dim=backbone.embed_dims,
                      depth_embed_dim=None if depth_encoder is None else depth_encoder.embed_dims)
        super().__init__(backbone=backbone, neck=neck, head=derive(head, 'head', patch_size=backbone.patch_size),
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.depth_encoder = depth_encoder
        rgb_head = derive(rgb_head, 'rgb_head', patch_size=backbone.patch_size)
        self.rgb_head = MODELS.build(rgb_head) if isinstance(rgb_head, dict) else rgb_head
        self.mask_sampler = mask_sampler
        self.loss_patches = loss_patches
        self.copy_baseline_interval = copy_baseline_interval
        self._num_loss_calls = 0

    @property
    def patch_size(self) -> int:
        return self.backbone.patch_size

    def extract_feat(self, inputs: torch.Tensor):
        """Features of the full, unmasked colour image: exactly a ``VisionTransformer`` forward."""
        return self.backbone(inputs[:, :3], mask=None)

    def draw_masks(self, data_samples: Sequence[DataSample], device) -> Tuple[torch.Tensor, torch.Tensor]:
        """(rgb_mask, depth_mask), each (B, N) bool, True = hidden, from each sample's ``mask_seed``."""
        return self.mask_sampler([sample.get('mask_seed') for sample in data_samples], device)

    def reconstruct(self, inputs: torch.Tensor, data_samples: List[DataSample],
                    masks: Optional[Tuple[torch.Tensor, torch.Tensor]] = None, rgb_perm: Optional[torch.Tensor] = None,
                    drop_depth: bool = False) -> Dict[str, torch.Tensor]:
        """The pretraining forward; returns predictions and the batched targets / masks.

        Args:
            masks: (rgb_mask, depth_mask) (B, N) to reuse; drawn from the samples' seeds when None.
            rgb_perm: (B,) sample i's decoder gets the visible RGB tokens of sample ``rgb_perm[i]`` (the RGB
                reliance test); the returned ``rgb_mask`` stays each sample's own.
            drop_depth: no depth token reaches the decoder (its depth grid is all mask tokens).
        """
        rgb, gt_depth = inputs[:, :3], inputs[:, 3:]  # (B, 3, H, W) normalized, (B, 1, H, W) metres
        if tuple(rgb.shape[-2:]) != tuple(self.backbone.img_size):
            raise ValueError(f'Mask3D input is {tuple(rgb.shape[-2:])}, the model is built for '
                             f'{tuple(self.backbone.img_size)}: crop / resize to model.backbone.img_size')
        counts = (None, None)  # visible patches per row: known for drawn masks, read from given ones
        if masks is None:
            masks = self.draw_masks(data_samples, rgb.device)
            counts = (self.mask_sampler.num_rgb_visible, self.mask_sampler.num_depth_visible)
        rgb_mask, depth_mask = masks
        rgb_latent, rgb_ids = self.backbone(rgb, mask=rgb_mask, num_visible=counts[0])  # (B, 1 + Nr, C), (B, Nr)
        if rgb_perm is not None:
            rgb_latent, rgb_ids = rgb_latent[rgb_perm], rgb_ids[rgb_perm]
        depth_latent = depth_ids = None
        if self.depth_encoder is not None and not drop_depth:
            depth = self.data_preprocessor.normalize_depth(gt_depth)  # (B, 1, H, W), invalid = 0
            depth_latent, depth_ids = self.depth_encoder(depth, mask=depth_mask, num_visible=counts[1])  # (B, Nd, Cd)
        depth_pred, rgb_pred = self.neck(rgb_latent, rgb_ids, depth_latent, depth_ids)
        return dict(depth_pred=depth_pred, rgb_pred=rgb_pred, gt_depth=gt_depth, rgb=rgb, rgb_mask=rgb_mask,
                    depth_mask=depth_mask)

    def depth_loss_mask(self, rgb_mask: torch.Tensor, depth_mask: torch.Tensor) -> torch.Tensor:
        return dict(depth_masked=depth_mask, rgb_masked=rgb_mask, both_masked=rgb_mask & depth_mask,
                    all=torch.ones_like(depth_mask))[self.loss_patches]

    def pixel_mask(self, patch_mask: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """(B, N) patch mask -> (B, 1, H, W) bool pixel mask."""
        pixels = patch_mask[..., None].expand(-1, -1, self.patch_size ** 2).float()  # (B, N, p*p)
        return self.head.unpatchify(pixels, hw) > 0

    def masked_depth_l1(self, depth: torch.Tensor, gt_depth: torch.Tensor, loss_mask: torch.Tensor) -> torch.Tensor:
        """Mean |depth - gt| in metres over the valid pixels of the loss patches, a float32 scalar tensor on the
        device (no host synchronization); NaN when ``depth`` is, or when no pixel is in the loss (0 / 0)."""
        weight = self.pixel_mask(loss_mask, gt_depth.shape[-2:]) & (gt_depth > 0)  # (B, 1, H, W)
        error = torch.where(weight, (depth.float() - gt_depth.float()).abs(), 0)
        return error.sum() / weight.sum()

    def predicted_depth_l1(self, out: Dict[str, torch.Tensor], loss_mask: torch.Tensor) -> torch.Tensor:
        """The model's masked-depth L1 in metres, whatever the head's criterion / target normalization."""
        depth = self.head.depth_from_prediction(out['depth_pred'].detach().float(), out['gt_depth'].float())
        return self.masked_depth_l1(depth, out['gt_depth'], loss_mask)

    def copy_baseline_l1(self, out: Dict[str, torch.Tensor], loss_mask: torch.Tensor) -> torch.Tensor:
        """Masked-depth L1 of copying the nearest visible valid depth pixel (``nearest_visible_depth``)."""
        visible = ~self.pixel_mask(out['depth_mask'], out['gt_depth'].shape[-2:])
        copied = nearest_visible_depth(out['gt_depth'], visible)
        return self.masked_depth_l1(copied, out['gt_depth'], loss_mask)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """``loss_depth`` [+ ``loss_rgb``], plus the logged-only (no 'loss' in the name: mmengine's
        ``parse_losses`` sums only keys containing 'loss') ``depth_l1`` and, every ``copy_baseline_interval``
        calls, ``copy_baseline_l1``: metres L1 of the model and of the copy baseline on the same batch."""
        out = self.reconstruct(inputs, data_samples)
        loss_mask = self.depth_loss_mask(out['rgb_mask'], out['depth_mask'])
        losses = dict(loss_depth=self.head.loss(out['depth_pred'], out['gt_depth'], loss_mask))
        if self.rgb_head is not None:
            losses['loss_rgb'] = self.rgb_head.loss(out['rgb_pred'], out['rgb'], out['rgb_mask'].float())
        losses['depth_l1'] = self.predicted_depth_l1(out, loss_mask)
        interval = self.copy_baseline_interval
        if interval and self._num_loss_calls % interval == 0 and self.depth_encoder is not None:
            losses['copy_baseline_l1'] = self.copy_baseline_l1(out, loss_mask)
        self._num_loss_calls += 1
        return losses

    @torch.no_grad()
    def depth_diagnostics(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, float]:
        """Does the model use RGB, and does it beat interpolation? Floats on one batch, all with the SAME masks
        and the same loss pixels, in eval mode (train mode restored):

        - ``loss_depth``: the model's masked-depth L1 in metres;
        - ``nearest_visible_depth_loss``: the copy-nearest-visible-depth baseline (NaN without visible depth);
        - ``loss_depth_rgb_shuffled``: with each sample's RGB tokens taken from the next sample of the batch;
        - ``rgb_reliance`` = ``loss_depth_rgb_shuffled / loss_depth - 1`` (NaN for a batch of 1);
        - ``loss_depth_no_depth``: with no depth token at all.
        """
        was_training = self.training
        self.eval()
        try:
            out = self.reconstruct(inputs, data_samples)
            masks = (out['rgb_mask'], out['depth_mask'])
            loss_mask = self.depth_loss_mask(*masks)
            batch_size = inputs.shape[0]
            rgb_perm = torch.roll(torch.arange(batch_size, device=inputs.device), 1)
            shuffled = self.reconstruct(inputs, data_samples, masks=masks, rgb_perm=rgb_perm)
            no_depth = self.reconstruct(inputs, data_samples, masks=masks, drop_depth=True)
        finally:
            self.train(was_training)
        loss_depth = float(self.predicted_depth_l1(out, loss_mask))
        loss_shuffled = float(self.predicted_depth_l1(shuffled, loss_mask)) if batch_size > 1 else math.nan
        return dict(loss_depth=loss_depth,
                    nearest_visible_depth_loss=float(self.copy_baseline_l1(out, loss_mask)),
                    loss_depth_rgb_shuffled=loss_shuffled,
                    rgb_reliance=loss_shuffled / loss_depth - 1 if loss_depth > 0 else math.nan,
                    loss_depth_no_depth=float(self.predicted_depth_l1(no_depth, loss_mask)))
