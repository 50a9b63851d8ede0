"""Mask3D encoders: the RGB ViT (kept for fine-tuning) and the depth encoder (dropped after pretraining), both
``Mask3DViT``: the depth encoder is the same ViT with one input channel and no cls token.

Both see only the visible tokens of a given patch mask (drawn by the ``Mask3D`` model), as in MAE.
"""
from typing import Optional, Tuple, Union

import torch
from mmpretrain.models import MAEViT, VisionTransformer
from mmpretrain.models.utils import build_2d_sincos_position_embedding, to_2tuple
from mmpretrain.registry import MODELS
from torch import nn


def visible_ids_from_mask(mask: torch.Tensor, num_visible: Optional[int] = None) -> torch.Tensor:
    """Indices of the unmasked patches, ascending: (B, N) mask (1 = masked) -> (B, N_visible).

    ``num_visible``: the count every row is known to keep (``PatchMaskSampler`` draws exact counts); without it
    the count is read from the mask and checked, a host-device synchronization on a GPU."""
    if num_visible is None:
        counts = (~mask.bool()).sum(dim=1)
        if (counts != counts[0]).any():
            raise ValueError(f'every sample of a batch must keep the same number of visible patches, got '
                             f'{counts.tolist()}')
        num_visible = int(counts[0])
    return torch.argsort(mask.to(torch.uint8), dim=1, stable=True)[:, :num_visible]


def gather_tokens(tokens: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """tokens (B, N, C), ids (B, M) -> (B, M, C)."""
    return torch.gather(tokens, 1, ids.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


def sincos_pos_embed(patch_resolution: Tuple[int, int], embed_dims: int, cls_token: bool) -> torch.Tensor:
    """Fixed 2D sin-cos position embedding (1, [1 +] h * w, C); works for non-square patch grids."""
    return build_2d_sincos_position_embedding(patch_resolution[::-1], embed_dims, cls_token=cls_token).float()


@MODELS.register_module()
class Mask3DViT(MAEViT):
    """``MAEViT`` whose masking is driven by a given mask instead of sampled inside the backbone.

    ``forward(x)`` is a plain ``VisionTransformer`` forward (what ``extract_feat`` and fine-tuning see);
    ``forward(x, mask)`` with a (B, N) mask (1 = masked) encodes the visible patches only and returns
    ``(latent (B, [1 +] N_visible, C) with the cls token first, visible_ids (B, N_visible))``; ``num_visible``
    (the count of every row, when the caller knows it) spares reading it back from the device.
    The keys are those of ``VisionTransformer``, so the weights load there unchanged.

    Args (besides ``MAEViT``'s):
        in_channels (int): input channels (3: colour; 1: the depth encoder).
        with_cls_token (bool): ``False`` drops the cls token and its position (the depth encoder: its tokens
            only fill the decoder's depth grid).
    """

    def __init__(self, *args, in_channels: int = 3, with_cls_token: bool = True, patch_cfg: dict = dict(),
                 **kwargs) -> None:
        super().__init__(*args, patch_cfg=dict(patch_cfg, in_channels=in_channels), **kwargs)
        self.img_size = self.patch_embed.init_input_size  # (H, W)
        self.patch_size = self.patch_embed.projection.kernel_size[0]
        if not with_cls_token:  # MAEViT always builds one
            self.cls_token, self.with_cls_token, self.num_extra_tokens = None, False, 0
            self.pos_embed = nn.Parameter(self.pos_embed.data[:, 1:].clone(), requires_grad=False)

    def init_weights(self) -> None:
        """``MAEViT.init_weights`` for non-square grids and without a cls token (fork of its three lines)."""
        VisionTransformer.init_weights(self)
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return  # MAEViT would re-draw patch_embed / cls_token on top of the loaded (e.g. MAE) weights
        self.pos_embed.data.copy_(sincos_pos_embed(self.patch_resolution, self.embed_dims, self.with_cls_token))
        w = self.patch_embed.projection.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=.02)

    def forward(self, x: torch.Tensor, mask: Union[None, bool, torch.Tensor] = None,
                num_visible: Optional[int] = None):
        if mask is None or mask is False:
            return VisionTransformer.forward(self, x)
        if mask is True:  # MAE's own random masking
            return super().forward(x, mask=True)
        extra = self.num_extra_tokens
        patches = self.patch_embed(x)[0] + self.pos_embed[:, extra:]  # (B, N, C)
        visible_ids = visible_ids_from_mask(mask, num_visible)  # (B, Nv)
        x = gather_tokens(patches, visible_ids)  # (B, Nv, C)
        if self.cls_token is not None:
            cls_token = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)  # (B, 1, C)
            x = torch.cat([cls_token, x], dim=1)  # (B, 1 + Nv, C)
        for layer in self.layers:
            x = layer(x)
        return self.norm1(x), visible_ids


@MODELS.register_module()
class Mask3DDepthEncoder(Mask3DViT):
    """The depth encoder: ``Mask3DViT`` over the 1-channel normalized depth (invalid = 0), no cls token, sized
    by a few numbers. ``num_layers=0`` is a bare patch embedding (+ fixed positions and the final LayerNorm).

    ``img_size`` / ``patch_size`` are filled in by ``Mask3D`` from its RGB backbone. Checkpoints written before
    this class became a ``Mask3DViT`` (final norm named ``norm.``) load through ``_load_from_state_dict``.
    """

    def __init__(self,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 patch_size: int = 16,
                 embed_dims: int = 384,
                 num_layers: int = 4,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[dict] = None) -> None:
        arch = dict(embed_dims=embed_dims, num_layers=num_layers, num_heads=num_heads,
                    feedforward_channels=int(mlp_ratio * embed_dims))
        super().__init__(arch=arch, img_size=to_2tuple(img_size), patch_size=patch_size, in_channels=1,
                         with_cls_token=False, out_indices=-1 if num_layers else 0, norm_cfg=norm_cfg,
                         init_cfg=init_cfg)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in ('weight', 'bias'):  # the pre-Mask3DViT depth encoder called its final LayerNorm `norm`
            if prefix + f'norm.{name}' in state_dict and prefix + f'ln1.{name}' not in state_dict:
                state_dict[prefix + f'ln1.{name}'] = state_dict.pop(prefix + f'norm.{name}')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
