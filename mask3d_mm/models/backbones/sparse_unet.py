"""Residual sparse 3D UNet for Pri3D's geometric prior (the paper's MinkowskiEngine Res-UNet-32 role).

One module, two backends (``mask3d_mm.models.sparse``): ``backend='torch'`` (pure PyTorch, default),
``'spconv'`` (spconv.pytorch; forward only on CPU -- its backward needs CUDA), or ``'auto'`` (spconv for CUDA
inputs when installed). The parameters are identical for all backends, so checkpoints move freely between them.
"""
import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn

from ..sparse import (
    DownConv3d,
    SparseVoxels,
    SubMConv3d,
    UpConv3d,
    check_coords,
    spconv_available,
    to_spconv_input,
)

BACKENDS = ('torch', 'spconv', 'auto')


class SparseBNReLU(nn.Module):
    """BatchNorm (+ ReLU) over the voxel rows of a sparse tensor."""

    def __init__(self, channels, relu=True):
        super().__init__()
        self.norm = nn.BatchNorm1d(channels)
        self.relu = relu

    def forward(self, x):
        feats = self.norm(x.feats)  # (N, C)
        return x.with_feats(torch.relu(feats) if self.relu else feats)


class SparseResBlock(nn.Module):
    """Two submanifold 3x3x3 convs with a (linear when the width changes) shortcut, as in MinkUNet."""

    def __init__(self, in_channels, out_channels, indice_key):
        super().__init__()
        self.conv1 = SubMConv3d(in_channels, out_channels, indice_key)
        self.norm1 = SparseBNReLU(out_channels)
        self.conv2 = SubMConv3d(out_channels, out_channels, indice_key)
        self.norm2 = SparseBNReLU(out_channels, relu=False)
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Linear(in_channels, out_channels, bias=False),
                                          nn.BatchNorm1d(out_channels))

    def forward(self, x):
        identity = x.feats if self.shortcut is None else self.shortcut(x.feats)  # (N, C_out)
        out = self.norm2(self.conv2(self.norm1(self.conv1(x))))
        return out.with_feats(torch.relu(out.feats + identity))


@MODELS.register_module()
class SparseUNet3D(BaseModule):
    """Sparse residual UNet: voxels ``(N, 4) [batch, x, y, z]`` + features ``(N, C_in)`` -> ``(N, out_channels)``
    on the same voxels, in the same order.

    Args:
        in_channels: input feature width (3 for RGB).
        channels: encoder widths; ``len(channels) - 1`` stride-2 levels.
        out_channels: width of the per-voxel output.
        backend: 'torch' | 'spconv' | 'auto'.
    """

    def __init__(self, in_channels=3, channels=(32, 64, 128, 256), out_channels=96, backend='torch',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if backend not in BACKENDS:
            raise ValueError(f'SparseUNet3D backend must be one of {BACKENDS}, got {backend!r}')
        if backend == 'spconv' and not spconv_available():
            raise ImportError("SparseUNet3D(backend='spconv') needs spconv.pytorch (pip install spconv)")
        self.backend = backend
        self.levels = len(channels) - 1
        self.stem = nn.ModuleList([SubMConv3d(in_channels, channels[0], 'l0'), SparseBNReLU(channels[0]),
                                   SparseResBlock(channels[0], channels[0], 'l0')])
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in range(1, self.levels + 1):
            c_in, c_out = channels[level - 1], channels[level]
            self.down.append(nn.ModuleList([DownConv3d(c_in, c_out, f'd{level}'), SparseBNReLU(c_out),
                                            SparseResBlock(c_out, c_out, f'l{level}')]))
            self.up.append(nn.ModuleList([UpConv3d(c_out, c_in, f'd{level}'), SparseBNReLU(c_in),
                                          SparseResBlock(2 * c_in, c_in, f'l{level - 1}')]))
        self.head = nn.Linear(channels[0], out_channels)

    def _use_spconv(self, feats):
        if self.backend == 'auto':
            return feats.is_cuda and spconv_available()
        return self.backend == 'spconv'

    def forward(self, coords, feats, batch_size=None):
        check_coords(coords)
        coords = coords.long()  # (N, 4)
        batch_size = int(coords[:, 0].max()) + 1 if batch_size is None and coords.numel() else batch_size or 1
        x = SparseVoxels(coords, feats, 1, batch_size)
        if self._use_spconv(feats):
            x = to_spconv_input(x, self.levels)
        for layer in self.stem:
            x = layer(x)
        skips = []
        for conv, norm, block in self.down:
            skips.append(x)
            x = block(norm(conv(x)))
        for (conv, norm, block), skip in zip(reversed(self.up), reversed(skips)):
            x = norm(conv(x))
            x = block(x.with_feats(torch.cat([x.feats, skip.feats], dim=1)))  # (N_l, 2 C_l)
        return self.head(x.feats)  # (N, out_channels)
