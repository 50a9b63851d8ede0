"""ResNet-UNet: Pri3D's 2D backbone (mmpretrain ResNet encoder + up-projection decoder, 1/2-resolution output).

The decoder is the one of Pri3D's released ``Res50UNet`` / ``Res18UNet`` (``pretrain/pri3d/model/backbone/
resunet.py``, after Laina et al.'s up-projection): four up-projection blocks halve the channels at each stage
(R50: 2048 -> 1024 -> 512 -> 256 -> 128; R18: 512 -> 256 -> 128 -> 64 -> 32), the encoder's 1/16, 1/8 and 1/4 maps
are **added** to the first three outputs, and a 1x1 conv gives the feature width at 1/2 resolution (official
widths: R50 128, R18 32, the default ``out_channels``).

The encoder is exactly ``mmpretrain.models.ResNet`` under the ``encoder.`` prefix, so ImageNet weights load into
it the OpenMMLab way (``encoder_cfg=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))``)
and ``tools/model_converters/pri3d_to_backbone.py`` can hand it to mmdet as a plain ResNet. Registered in both the
mmpretrain and mmseg MODELS registries (segmentation fine-tuning transfers encoder + decoder).
"""
import re

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import nn

from mask3d_mm.utils import pretrained  # noqa: F401  (offline-aware torchvision:// and https:// checkpoints)

DECODERS = ('up_projection', 'concat')
BN = dict(type='BN')


class UpProjection(nn.Module):
    """Bilinear upsampling to ``size``, then 5x5 conv-BN-ReLU -> 3x3 conv-BN, plus a 5x5 conv-BN shortcut of the
    upsampled input; the two branches are summed and ReLU'd (Pri3D's ``_UpProjection``)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = ConvModule(in_channels, out_channels, 5, padding=2, norm_cfg=BN)
        self.conv2 = ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=BN, act_cfg=None)
        self.shortcut = ConvModule(in_channels, out_channels, 5, padding=2, norm_cfg=BN, act_cfg=None)

    def forward(self, x, size):
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=True)  # (B, C_in, h, w)
        return torch.relu(self.conv2(self.conv1(x)) + self.shortcut(x))  # (B, C_out, h, w)


class ConcatUpBlock(nn.Module):
    """Upsample bilinearly to the skip's size, concatenate the skip, two 3x3 conv-BN-ReLU (this project's first
    decoder, kept as ``decoder='concat'`` so checkpoints pretrained with it still load)."""

    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        self.conv1 = ConvModule(in_channels + skip_channels, out_channels, 3, padding=1, norm_cfg=BN)
        self.conv2 = ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=BN)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)  # (B, C, h, w)
        return self.conv2(self.conv1(torch.cat([x, skip], dim=1)))


def check_imagenet_depth(encoder_cfg, depth):
    """A ``torchvision://resnetN`` init for a ResNet of another depth would load nothing that fits (mmengine only
    warns about shape mismatches): refuse it at build time."""
    checkpoint = ((encoder_cfg or {}).get('init_cfg') or {}).get('checkpoint')
    match = re.fullmatch(r'torchvision://resnet(\d+)', str(checkpoint))
    if match and int(match.group(1)) != depth:
        raise ValueError(f'ResNetUNet(depth={depth}) cannot take {checkpoint}: use torchvision://resnet{depth}')


@MODELS.register_module()
class ResNetUNet(BaseModule):
    """Args:
        depth: ResNet depth (18, 34, 50, 101, 152).
        out_channels: width of the 1/2-resolution output; default (``None``) = the last up-projection's width,
            i.e. Pri3D's 128 for ResNet-50 and 32 for ResNet-18.
        decoder: 'up_projection' (Pri3D's, default) or 'concat' (bilinear up + concatenated skip + two 3x3
            conv-BN-ReLU, the 1/2-res stem map as the last skip; only to load checkpoints pretrained with it).
        decoder_channels: 'concat' only: widths of its four stages (1/16 .. 1/2), the last is the output width.
        encoder_cfg: extra kwargs for ``mmpretrain.models.ResNet`` (e.g. ``init_cfg`` for ImageNet weights).

    ``forward(img (B, 3, H, W))`` -> ``(feats (B, out_channels, ceil(H/2), ceil(W/2)),)``.
    """

    def __init__(self, depth=50, out_channels=None, decoder='up_projection', decoder_channels=None,
                 encoder_cfg=None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if decoder not in DECODERS:
            raise ValueError(f'ResNetUNet decoder must be one of {DECODERS}, got {decoder!r}')
        check_imagenet_depth(encoder_cfg, depth)
        self.decoder_type = decoder
        self.encoder = ResNet(depth=depth, out_indices=(0, 1, 2, 3), **(encoder_cfg or {}))
        skip_channels = [self.encoder.stem_channels] + [
            getattr(self.encoder, name)[-1].out_channels for name in self.encoder.res_layers]  # 1/2 .. 1/32
        if decoder == 'concat':
            self._build_concat_decoder(skip_channels, decoder_channels, out_channels)
        else:
            self._build_up_projection_decoder(skip_channels, decoder_channels, out_channels)

    def _build_up_projection_decoder(self, skip_channels, decoder_channels, out_channels):
        if decoder_channels is not None:
            raise ValueError("ResNetUNet: decoder_channels is for decoder='concat'; the up-projection decoder "
                             'halves the encoder width at each stage (set out_channels for the output width)')
        widths = [skip_channels[4] // 2 ** i for i in range(5)]  # 1/32 .. 1/2, e.g. 2048 .. 128
        if widths[1:4] != skip_channels[3:0:-1]:
            raise ValueError(f'ResNetUNet: additive skips need encoder widths {widths[1:4]}, got '
                             f'{skip_channels[3:0:-1]}')
        self.decoder = nn.ModuleList(UpProjection(c_in, c_out) for c_in, c_out in zip(widths[:4], widths[1:]))
        self.out_channels = out_channels or widths[4]
        self.out_proj = nn.Conv2d(widths[4], self.out_channels, 1)

    def _build_concat_decoder(self, skip_channels, decoder_channels, out_channels):
        decoder_channels = tuple(decoder_channels or (256, 128, 64, 64))
        if len(decoder_channels) != 4:
            raise ValueError(f'ResNetUNet needs 4 decoder_channels (1/16 .. 1/2), got {decoder_channels}')
        if out_channels not in (None, decoder_channels[-1]):
            raise ValueError("ResNetUNet(decoder='concat'): the output width is decoder_channels[-1]")
        in_channels = [skip_channels[4]] + list(decoder_channels[:3])
        self.decoder = nn.ModuleList(
            ConcatUpBlock(c_in, c_skip, c_out)
            for c_in, c_skip, c_out in zip(in_channels, skip_channels[3::-1], decoder_channels))
        self.out_channels = decoder_channels[-1]

    def encode(self, img):
        """Encoder features at 1/2 (stem, before max-pool), 1/4, 1/8, 1/16 and 1/32 resolution."""
        enc = self.encoder
        x = enc.stem(img) if enc.deep_stem else enc.relu(enc.norm1(enc.conv1(img)))  # (B, C0, H/2, W/2)
        feats = [x]
        x = enc.maxpool(x)
        for name in enc.res_layers:
            x = getattr(enc, name)(x)
            feats.append(x)
        return feats

    def forward(self, img):
        feats = self.encode(img)
        x = feats[-1]  # (B, C4, H/32, W/32)
        if self.decoder_type == 'concat':
            for block, skip in zip(self.decoder, feats[3::-1]):
                x = block(x, skip)
            return (x,)  # (B, C_out, H/2, W/2)
        for block, skip in zip(self.decoder[:3], feats[3:0:-1]):
            x = block(x, skip.shape[-2:]) + skip  # (B, C_l, h_l, w_l): additive skip
        x = self.decoder[3](x, feats[0].shape[-2:])  # (B, C4/16, ceil(H/2), ceil(W/2))
        return (self.out_proj(x),)  # (B, out_channels, H/2, W/2)


SEG_MODELS.register_module(module=ResNetUNet)
