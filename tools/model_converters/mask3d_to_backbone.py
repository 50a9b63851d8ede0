"""Mask3D pretraining checkpoint -> RGB-ViT weights for fine-tuning.

    python tools/model_converters/mask3d_to_backbone.py work_dirs/mask3d/epoch_800.pth vit-b_mask3d.pth

The output holds only the ``backbone.*`` tensors (depth encoder, decoder and heads dropped), i.e. the keys of
``mmpretrain.models.VisionTransformer`` prefixed ``backbone.``; use it in mmseg / mmdet / mmpretrain with
``backbone=dict(type='mmpretrain.VisionTransformer', ..., init_cfg=dict(type='Pretrained',
checkpoint='vit-b_mask3d.pth', prefix='backbone.'))``. Missing / unexpected keys against a VisionTransformer of the
same shape are printed so a silent mismatch cannot happen.
"""
import argparse
import os
import os.path as osp
from typing import Dict, Tuple

import torch

import mask3d_mm  # noqa: F401  (torch>=2.6 safe-loading allow-list for mmengine checkpoints)
from mask3d_mm.utils.atomic_io import atomic_output
from mask3d_mm.utils.checkpoint import read_state_dict
from mask3d_mm.utils.cli import run_cli

PREFIX = 'backbone.'


def reference_vit(backbone: Dict[str, torch.Tensor]):
    """A ``VisionTransformer`` with the architecture read off the weights (dims, depth, patch and image size)."""
    from mmpretrain.models import VisionTransformer
    embed_dims = backbone['pos_embed'].shape[-1]
    num_layers = 1 + max(int(k.split('.')[1]) for k in backbone if k.startswith('layers.'))
    patch_size = backbone['patch_embed.projection.weight'].shape[-1]
    side = int(round((backbone['pos_embed'].shape[1] - 1) ** .5))
    arch = dict(embed_dims=embed_dims, num_layers=num_layers, num_heads=max(1, embed_dims // 64),
                feedforward_channels=backbone['layers.0.ffn.layers.0.0.weight'].shape[0])
    return VisionTransformer(arch=arch, img_size=side * patch_size, patch_size=patch_size,
                             final_norm='ln1.weight' in backbone)


def convert(src: str, dst: str) -> Tuple[list, list]:
    """Write the backbone weights of ``src`` to ``dst``; returns (missing, unexpected) keys vs. a ViT."""
    state_dict = read_state_dict(src, PREFIX, 'not a Mask3D pretraining checkpoint')
    backbone = {k[len(PREFIX):]: v for k, v in state_dict.items() if k.startswith(PREFIX)}
    missing, unexpected = reference_vit(backbone).load_state_dict(backbone, strict=False)
    out = dict(state_dict={PREFIX + k: v for k, v in backbone.items()}, meta=dict(converted_from=osp.abspath(src)))
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with atomic_output(dst) as tmp_path:
        torch.save(out, tmp_path)
    return list(missing), list(unexpected)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='Mask3D pretraining checkpoint (.pth)')
    parser.add_argument('dst', help='output backbone checkpoint (.pth)')
    args = parser.parse_args(argv)
    missing, unexpected = convert(args.src, args.dst)
    print(f'saved {args.dst}')
    print(f'missing keys ({len(missing)}): {missing}')
    print(f'unexpected keys ({len(unexpected)}): {unexpected}')


if __name__ == '__main__':
    run_cli(main)
