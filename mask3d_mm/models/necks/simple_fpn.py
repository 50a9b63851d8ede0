"""ViTDet's simple feature pyramid (Li et al., 2022) for a plain, single-scale ViT in mmdet detectors.

mmdet 3.3 ships it only in ``projects/ViTDet`` (not in the wheel), so it lives here. The last stride-16 ViT map
becomes strides 4/8/16/32 by deconv x4 / deconv x2 / identity / max-pool, then each level gets a 1x1 lateral and
a 3x3 output conv (LayerNorm'd: ``norm_cfg=dict(type='mmpretrain.LN2d')``); a stride-64 level is added by
subsampling for the RPN.
"""
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class SimpleFPN(BaseModule):
    """Args:
        backbone_channel: channels of the ViT map (768 for ViT-B).
        in_channels: channels of the four pyramid levels before the lateral convs; the deconvs halve the
            channels per x2 upsampling, so ``[C/4, C/2, C, C]``.
        out_channels: channels of every output level.
        num_outs: 4, or 5 to add the stride-64 level.
    """

    def __init__(self, backbone_channel, in_channels, out_channels, num_outs=5,
                 norm_cfg=dict(type='mmpretrain.LN2d', requires_grad=True), act_cfg=None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        half, quarter = backbone_channel // 2, backbone_channel // 4
        if list(in_channels) != [quarter, half, backbone_channel, backbone_channel]:
            raise ValueError(f'SimpleFPN: in_channels must be {[quarter, half, backbone_channel, backbone_channel]}'
                             f' for backbone_channel={backbone_channel}, got {list(in_channels)}')
        if num_outs not in (4, 5):
            raise ValueError(f'SimpleFPN: num_outs must be 4 or 5, got {num_outs}')
        self.num_outs = num_outs
        self.rescales = nn.ModuleList([
            nn.Sequential(nn.ConvTranspose2d(backbone_channel, half, 2, 2), build_norm_layer(norm_cfg, half)[1],
                          nn.GELU(), nn.ConvTranspose2d(half, quarter, 2, 2)),  # x4
            nn.ConvTranspose2d(backbone_channel, half, 2, 2),  # x2
            nn.Identity(),
            nn.MaxPool2d(kernel_size=2, stride=2),  # x0.5
        ])
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False) for c in in_channels)
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False)
            for _ in in_channels)

    def forward(self, inputs):
        feats = inputs[-1]  # (B, C, H/16, W/16): the backbone's last (or only) map
        outs = [fpn_conv(lateral(rescale(feats)))
                for rescale, lateral, fpn_conv in zip(self.rescales, self.lateral_convs, self.fpn_convs)]
        if self.num_outs == 5:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))  # (B, out_channels, H/64, W/64)
        return tuple(outs)
