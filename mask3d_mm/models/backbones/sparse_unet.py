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


def res_blocks(in_channels, out_channels, indice_key, num_blocks):
    """``num_blocks`` residual blocks; the first one changes the width."""
    return [SparseResBlock(in_channels if i == 0 else out_channels, out_channels, indice_key)
            for i in range(num_blocks)]


# Pri3D's 3D network (official ``ResUNet3D`` = MinkowskiEngine's ``MinkUNet34C``): a 5x5x5 stem conv, four stride-2
# levels with (2, 3, 4, 6) residual blocks (ResNet-34's encoder depth), four up levels with 2 blocks each, widths
# (32, 64, 128, 256) down and (256, 128, 96, 96) up, 96 output channels.
RES_UNET34 = dict(channels=(32, 32, 64, 128, 256), blocks=(0, 2, 3, 4, 6), decoder_channels=(256, 128, 96, 96),
                  decoder_blocks=(2, 2, 2, 2), stem_kernel=5, out_channels=96)


@MODELS.register_module()
class SparseUNet3D(BaseModule):
    """Sparse residual UNet: voxels ``(N, 4) [batch, x, y, z]`` + features ``(N, C_in)`` -> ``(N, out_channels)``
    on the same voxels, in the same order.

    Level 0 is the input resolution: a stem conv (+ ``blocks[0]`` residual blocks); each further level is a
    kernel-2 stride-2 conv to ``channels[l]`` + BN-ReLU + ``blocks[l]`` residual blocks. The decoder goes back up
    level by level: transposed conv to its width + BN-ReLU, concatenation of the encoder output of that level,
    ``decoder_blocks`` residual blocks (the first one takes the concatenation). A linear layer gives the output.
    ``RES_UNET34`` (this module) is Pri3D's MinkUNet34C; it differs from MinkowskiEngine's only in where the width
    grows (our strided conv widens, Mink's first block of the level does) -- same depth, same widths per level.
    The defaults (one block per level, decoder widths mirroring the encoder) are this project's first, lighter
    3D UNet; its checkpoints keep their keys.

    Args:
        in_channels: input feature width (3 for RGB).
        channels: encoder widths of levels 0..L; ``L = len(channels) - 1`` stride-2 levels.
        out_channels: width of the per-voxel output.
        blocks: residual blocks per encoder level (default 1 each).
        decoder_channels: decoder widths, coarsest (level L-1) first (default: the encoder widths mirrored).
        decoder_blocks: residual blocks per decoder level, coarsest first (default 1 each).
        stem_kernel: kernel size of the first (submanifold) conv.
        backend: 'torch' | 'spconv' | 'auto'.
    """

    def __init__(self, in_channels=3, channels=(32, 64, 128, 256), out_channels=96, blocks=None,
                 decoder_channels=None, decoder_blocks=None, stem_kernel=3, backend='torch', init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if backend not in BACKENDS:
            raise ValueError(f'SparseUNet3D backend must be one of {BACKENDS}, got {backend!r}')
        if backend == 'spconv' and not spconv_available():
            raise ImportError("SparseUNet3D(backend='spconv') needs spconv.pytorch (pip install spconv)")
        self.backend = backend
        self.levels = levels = len(channels) - 1
        blocks = tuple(blocks or (1,) * (levels + 1))
        decoder_channels = tuple(decoder_channels or channels[-2::-1])
        decoder_blocks = tuple(decoder_blocks or (1,) * levels)
        if len(blocks) != levels + 1 or len(decoder_channels) != levels or len(decoder_blocks) != levels:
            raise ValueError(f'SparseUNet3D with {levels} levels needs {levels + 1} blocks and {levels} '
                             f'decoder_channels / decoder_blocks, got {blocks}, {decoder_channels}, {decoder_blocks}')
        stem_key = 'l0' if stem_kernel == 3 else 'stem'  # spconv caches index pairs per key and kernel size
        self.stem = nn.ModuleList([SubMConv3d(in_channels, channels[0], stem_key, kernel_size=stem_kernel),
                                   SparseBNReLU(channels[0]), *res_blocks(channels[0], channels[0], 'l0', blocks[0])])
        self.down = nn.ModuleList()
        for level in range(1, levels + 1):
            c_in, c_out = channels[level - 1], channels[level]
            self.down.append(nn.ModuleList([DownConv3d(c_in, c_out, f'd{level}'), SparseBNReLU(c_out),
                                            *res_blocks(c_out, c_out, f'l{level}', blocks[level])]))
        widths = {levels: channels[-1]}  # width of the decoder output at each level
        for level, width in zip(range(levels - 1, -1, -1), decoder_channels):
            widths[level] = width
        self.up = nn.ModuleList()  # up[l - 1]: level l -> l - 1 (kept in encoder order: checkpoint keys)
        for level in range(1, levels + 1):
            c_up, c_skip = widths[level - 1], channels[level - 1]
            self.up.append(nn.ModuleList([
                UpConv3d(widths[level], c_up, f'd{level}'), SparseBNReLU(c_up),
                *res_blocks(c_up + c_skip, c_up, f'l{level - 1}', decoder_blocks[levels - level])]))
        self.head = nn.Linear(widths[0], out_channels)

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
        x = run(self.stem, x)
        skips = []
        for level in self.down:
            skips.append(x)
            x = run(level, x)
        for (conv, norm, *level_blocks), skip in zip(reversed(self.up), reversed(skips)):
            x = norm(conv(x))
            x = run(level_blocks, x.with_feats(torch.cat([x.feats, skip.feats], dim=1)))  # (N_l, C_up + C_skip)
        return self.head(x.feats)  # (N, out_channels)


def run(layers, x):
    for layer in layers:
        x = layer(x)
    return x
