"""ResNet-UNet: Pri3D's 2D backbone (mmpretrain ResNet encoder + bilinear-upsampling decoder, 1/2-res output).

The encoder is exactly ``mmpretrain.models.ResNet`` under the ``encoder.`` prefix, so ImageNet weights load into
it (``encoder_cfg=dict(init_cfg=dict(type='Pretrained', checkpoint=PATH, prefix='backbone.'))``) and
``tools/model_converters/pri3d_to_backbone.py`` can hand it to mmdet as a plain ResNet. Registered in both the
mmpretrain and mmseg MODELS registries (segmentation fine-tuning uses encoder + decoder).
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import nn


class UpBlock(nn.Module):
    """Upsample bilinearly to the skip's size, concatenate the skip, two 3x3 conv-BN-ReLU."""

    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        norm = dict(type='BN')
        self.conv1 = ConvModule(in_channels + skip_channels, out_channels, 3, padding=1, norm_cfg=norm)
        self.conv2 = ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)  # (B, C, h, w)
        return self.conv2(self.conv1(torch.cat([x, skip], dim=1)))


@MODELS.register_module()
class ResNetUNet(BaseModule):
    """Args:
        depth: ResNet depth (18, 34, 50, 101, 152).
        decoder_channels: widths of the four decoder stages, from 1/16 to 1/2 resolution; the last one is the
            output width.
        encoder_cfg: extra kwargs for ``mmpretrain.models.ResNet`` (e.g. ``init_cfg`` for ImageNet weights).

    ``forward(img (B, 3, H, W))`` -> ``(feats (B, decoder_channels[-1], ceil(H/2), ceil(W/2)),)``.
    """

    def __init__(self, depth=50, decoder_channels=(256, 128, 64, 64), encoder_cfg=None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(decoder_channels) != 4:
            raise ValueError(f'ResNetUNet needs 4 decoder_channels (1/16 .. 1/2), got {decoder_channels}')
        self.encoder = ResNet(depth=depth, out_indices=(0, 1, 2, 3), **(encoder_cfg or {}))
        skip_channels = [self.encoder.stem_channels] + [
            getattr(self.encoder, name)[-1].out_channels for name in self.encoder.res_layers]  # 1/2 .. 1/32
        in_channels = [skip_channels[4]] + list(decoder_channels[:3])
        self.decoder = nn.ModuleList(
            UpBlock(c_in, c_skip, c_out)
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
        for block, skip in zip(self.decoder, feats[3::-1]):
            x = block(x, skip)
        return (x,)  # (B, C_out, H/2, W/2)


SEG_MODELS.register_module(module=ResNetUNet)
