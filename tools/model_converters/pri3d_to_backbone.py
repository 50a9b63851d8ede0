"""Convert a Pri3D checkpoint into fine-tuning initialisations.

    python tools/model_converters/pri3d_to_backbone.py pri3d.pth resnet50_pri3d.pth --target encoder
    python tools/model_converters/pri3d_to_backbone.py pri3d.pth unet_pri3d.pth --target unet

``encoder``: the ResNet encoder only, keys ``backbone.conv1.weight`` ... (mmdet / mmseg / mmpretrain ResNet
layout), for Mask R-CNN etc. (Pri3D transfers only the encoder to detection).
``unet``: encoder + decoder as a ``ResNetUNet`` backbone, keys ``backbone.encoder.*`` / ``backbone.decoder.*``,
for UNet semantic segmentation (Pri3D fine-tunes both).
The 3D UNet and projection heads are pretraining-only and dropped.

The decoder layout travels as it is: checkpoints of the current ``ResNetUNet`` (Pri3D's up-projection decoder,
``backbone.out_proj.*``) fine-tune with the configs as they are; checkpoints pretrained before it (concatenated-skip
decoder) need ``model.backbone.decoder='concat'`` (plus their ``decoder_channels``), which the tool prints.
"""
import argparse
import os
import os.path as osp

import torch

import mask3d_mm  # noqa: F401  (compat shims: safe loading of mmengine checkpoints)
from mask3d_mm.utils.atomic_io import atomic_output
from mask3d_mm.utils.checkpoint import read_state_dict
from mask3d_mm.utils.cli import run_cli

PREFIXES = {'encoder': ('backbone.encoder.', 'backbone.'), 'unet': ('backbone.', 'backbone.')}


def convert(state_dict, target):
    """Keep the keys under the target's source prefix and re-prefix them (``state_dict`` from
    ``load_state_dict``)."""
    source, dest = PREFIXES[target]
    return {dest + key[len(source):]: value for key, value in state_dict.items() if key.startswith(source)}


def decoder_layout(state_dict):
    """'up_projection' (current ResNetUNet) or 'concat' (pretrained before Pri3D's decoder became the default)."""
    return 'up_projection' if any(key.startswith('backbone.out_proj.') for key in state_dict) else 'concat'


def load_state_dict(path):
    """The checkpoint's weights; a file that is not a Pri3D checkpoint (with a ResNetUNet) is a DataError."""
    return read_state_dict(path, 'backbone.encoder.', 'not a Pri3D checkpoint with a ResNetUNet backbone')


def main(argv=None):
    parser = argparse.ArgumentParser(description='Pri3D checkpoint -> encoder or encoder+decoder weights')
    parser.add_argument('src', help='Pri3D checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--target', choices=sorted(PREFIXES), default='encoder')
    args = parser.parse_args(argv)
    converted = convert(load_state_dict(args.src), args.target)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    with atomic_output(args.dst) as tmp_path:
        torch.save(dict(meta=dict(source=osp.basename(args.src), target=args.target), state_dict=converted), tmp_path)
    print(f'{len(converted)} tensors ({args.target}) -> {args.dst}')
    if args.target == 'unet' and decoder_layout(converted) == 'concat':
        print("note: concatenated-skip decoder (pretrained before the up-projection one): fine-tune with "
              "model.backbone.decoder='concat' and the decoder_channels it was pretrained with")


if __name__ == '__main__':
    run_cli(main)
