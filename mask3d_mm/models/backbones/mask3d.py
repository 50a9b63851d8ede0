"""Mask3D encoders: the RGB ViT (kept for fine-tuning) and the light depth encoder (dropped after pretraining).

Both see only the visible tokens of a precomputed patch mask (``RGBDMaskGenerator``), as in MAE.
"""
from typing import Optional, Tuple, Union

import torch
from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.model import BaseModule, ModuleList
from mmpretrain.models import MAEViT, VisionTransformer
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from mmpretrain.models.utils import build_2d_sincos_position_embedding, build_norm_layer, to_2tuple
from mmpretrain.registry import MODELS
from torch import nn


def visible_ids_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """Indices of the unmasked patches, ascending: (B, N) mask (1 = masked) -> (B, N_visible)."""
    num_visible = (~mask.bool()).sum(dim=1)
    if (num_visible != num_visible[0]).any():
        raise ValueError(f'every sample of a batch must keep the same number of visible patches, got '
                         f'{num_visible.tolist()}')
    return torch.argsort(mask.to(torch.uint8), dim=1, stable=True)[:, :int(num_visible[0])]


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
    ``(latent (B, 1 + N_visible, C) with the cls token first, visible_ids (B, N_visible))``.
    The keys are those of ``VisionTransformer``, so the weights load there unchanged.
    """

    def init_weights(self) -> None:
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            # MAEViT.init_weights would re-draw patch_embed / cls_token on top of the loaded (e.g. MAE) weights.
            VisionTransformer.init_weights(self)
            return
        super().init_weights()
        self.pos_embed.data.copy_(sincos_pos_embed(self.patch_resolution, self.embed_dims, cls_token=True))

    def forward(self, x: torch.Tensor, mask: Union[None, bool, torch.Tensor] = None):
        if mask is None or mask is False:
            return VisionTransformer.forward(self, x)
        if mask is True:  # MAE's own random masking
            return super().forward(x, mask=True)
        patches = self.patch_embed(x)[0] + self.pos_embed[:, 1:]  # (B, N, C)
        visible_ids = visible_ids_from_mask(mask)  # (B, Nv)
        x = gather_tokens(patches, visible_ids)  # (B, Nv, C)
        cls_token = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)  # (B, 1, C)
        x = torch.cat([cls_token, x], dim=1)  # (B, 1 + Nv, C)
        for layer in self.layers:
            x = layer(x)
        return self.norm1(x), visible_ids


@MODELS.register_module()
class Mask3DDepthEncoder(BaseModule):
    """Light ViT over the visible depth patches: patch embed (1 channel) + fixed sin-cos positions + a few
    transformer blocks. Input depth is the preprocessor's normalized depth (invalid = 0)."""

    def __init__(self,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 patch_size: int = 16,
                 in_channels: int = 1,
                 embed_dims: int = 384,
                 num_layers: int = 4,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        img_size = to_2tuple(img_size)
        self.patch_resolution = (img_size[0] // patch_size, img_size[1] // patch_size)
        self.embed_dims = embed_dims
        self.patch_embed = PatchEmbed(in_channels=in_channels, input_size=img_size, embed_dims=embed_dims,
                                      conv_type='Conv2d', kernel_size=patch_size, stride=patch_size)
        num_patches = self.patch_resolution[0] * self.patch_resolution[1]
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, embed_dims), requires_grad=False)
        self.layers = ModuleList([
            TransformerEncoderLayer(embed_dims, num_heads, int(mlp_ratio * embed_dims), qkv_bias=True,
                                    norm_cfg=norm_cfg) for _ in range(num_layers)])
        self.norm = build_norm_layer(norm_cfg, embed_dims)

    def init_weights(self) -> None:
        super().init_weights()
        self.pos_embed.data.copy_(sincos_pos_embed(self.patch_resolution, self.embed_dims, cls_token=False))
        w = self.patch_embed.projection.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))

    def forward(self, depth: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """depth (B, 1, H, W), mask (B, N) -> (visible tokens (B, Nv, C), visible_ids (B, Nv))."""
        patches = self.patch_embed(depth)[0] + self.pos_embed  # (B, N, C)
        visible_ids = visible_ids_from_mask(mask)
        x = gather_tokens(patches, visible_ids)  # (B, Nv, C)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x), visible_ids
