"""Mask3D fusion decoder: MAE's decoder over modality-tagged colour and depth tokens."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.necks import MAEPretrainDecoder
from mmpretrain.registry import MODELS
from torch import nn

from ..backbones.mask3d import gather_tokens, sincos_pos_embed


def fill_grid(visible: torch.Tensor, visible_ids: torch.Tensor, mask_token: torch.Tensor,
              num_patches: int) -> torch.Tensor:
    """Put the visible tokens (B, Nv, D) at their patch positions of a (B, N, D) grid of mask tokens."""
    batch_size, _, dims = visible.shape
    grid = mask_token.to(visible.dtype).expand(batch_size, num_patches, dims)
    return grid.scatter(1, visible_ids.unsqueeze(-1).expand(-1, -1, dims), visible)


@MODELS.register_module()
class Mask3DDecoder(MAEPretrainDecoder):
    """Fuse colour and depth by concatenating their tokens into one MAE decoder sequence:

        [cls] + [RGB tokens] + [depth grid: visible depth tokens + depth mask tokens at masked patches]

    Every token gets the (fixed sin-cos) decoder position of its patch plus a learned modality embedding.
    Only the depth grid carries mask tokens by default, since only depth is reconstructed; with
    ``predict_rgb=True`` (Mask3D+MAE) the RGB stream becomes a full grid too, with MAE's mask token.
    The decoder blocks, norm, embedding and ``decoder_pred`` (-> p*p depth values) are MAE's.

    Grid and widths (``num_patches``, ``patch_resolution``, ``patch_size``, ``embed_dim``, ``depth_embed_dim``)
    are filled in by ``Mask3D`` from its encoders. ``depth_embed_dim=None``: the model has no depth encoder
    (depth mask ratio 1.0), the depth grid is all mask tokens. ``depth_latent=None`` in ``forward`` does the
    same for one call (the diagnostics' "depth tokens removed").

    Returns ``(depth_pred (B, N, p*p), rgb_pred (B, N, p*p*3) or None)``.
    """

    def __init__(self,
                 num_patches: int = 196,
                 patch_size: int = 16,
                 embed_dim: int = 768,
                 depth_embed_dim: Optional[int] = 384,
                 decoder_embed_dim: int = 512,
                 decoder_depth: int = 8,
                 decoder_num_heads: int = 16,
                 mlp_ratio: int = 4,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 patch_resolution: Optional[Tuple[int, int]] = None,
                 predict_rgb: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(num_patches=num_patches, patch_size=patch_size, in_chans=1, embed_dim=embed_dim,
                         decoder_embed_dim=decoder_embed_dim, decoder_depth=decoder_depth,
                         decoder_num_heads=decoder_num_heads, mlp_ratio=mlp_ratio, norm_cfg=norm_cfg,
                         init_cfg=init_cfg)
        side = int(num_patches ** .5)
        self.patch_resolution = tuple(patch_resolution) if patch_resolution else (side, side)
        if self.patch_resolution[0] * self.patch_resolution[1] != num_patches:
            raise ValueError(f'patch_resolution {self.patch_resolution} does not hold {num_patches} patches')
        self.depth_decoder_embed = nn.Linear(depth_embed_dim, decoder_embed_dim) if depth_embed_dim else None
        self.depth_mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.modality_embed = nn.Parameter(torch.zeros(2, decoder_embed_dim))  # row 0: RGB, row 1: depth
        if predict_rgb:
            self.rgb_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * 3)
        else:
            self.rgb_pred = None
            self.mask_token = None  # no RGB mask tokens: keep unused parameters out of DDP's way

    def init_weights(self) -> None:
        super(MAEPretrainDecoder, self).init_weights()
        self.decoder_pos_embed.data.copy_(
            sincos_pos_embed(self.patch_resolution, self.decoder_pos_embed.shape[-1], cls_token=True))
        for token in (self.mask_token, self.depth_mask_token, self.modality_embed):
            if token is not None:
                nn.init.normal_(token, std=.02)

    def forward(self, rgb_latent: torch.Tensor, rgb_visible_ids: torch.Tensor, depth_latent: Optional[torch.Tensor],
                depth_visible_ids: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """rgb_latent (B, 1 + Nr, C) with cls first, depth_latent (B, Nd, Cd) or None, ids (B, Nr) / (B, Nd)."""
        pos = self.decoder_pos_embed  # (1, 1 + N, D)
        patch_pos = pos[:, 1:]  # (1, N, D)
        rgb = self.decoder_embed(rgb_latent)  # (B, 1 + Nr, D)
        cls_token = rgb[:, :1] + pos[:, :1]  # (B, 1, D)
        if self.rgb_pred is None:
            rgb_pos = gather_tokens(patch_pos.expand(rgb.shape[0], -1, -1), rgb_visible_ids)  # (B, Nr, D)
            rgb_tokens = rgb[:, 1:] + rgb_pos  # (B, Nr, D)
        else:
            rgb_tokens = fill_grid(rgb[:, 1:], rgb_visible_ids, self.mask_token, self.num_patches) + patch_pos
        if depth_latent is None:  # no depth token: the whole depth grid is mask tokens
            depth_tokens = self.depth_mask_token.to(rgb.dtype).expand(rgb.shape[0], self.num_patches, -1) + patch_pos
        else:
            depth = self.depth_decoder_embed(depth_latent)  # (B, Nd, D)
            depth_tokens = fill_grid(depth, depth_visible_ids, self.depth_mask_token, self.num_patches) + patch_pos
        x = torch.cat([cls_token, rgb_tokens + self.modality_embed[0], depth_tokens + self.modality_embed[1]],
                      dim=1)  # (B, 1 + Nr + N, D), Nr = N with predict_rgb
        for block in self.decoder_blocks:
            x = block(x)
        x = self.decoder_norm(x)
        depth_pred = self.decoder_pred(x[:, -self.num_patches:])  # (B, N, p*p)
        rgb_pred = None if self.rgb_pred is None else self.rgb_pred(x[:, 1:1 + self.num_patches])  # (B, N, p*p*3)
        return depth_pred, rgb_pred
