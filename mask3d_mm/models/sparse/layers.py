"""Sparse conv layers with one weight layout and two backends.

Every layer owns ``weight`` of shape ``(K, C_in, C_out)`` (see ``functional``), so a checkpoint is backend-free.
The backend is picked per forward by the input: a ``SparseVoxels`` carrying an ``spconv_tensor`` runs through
spconv (a parameter-less spconv module fed our weight re-laid out by ``to_spconv_weight``), anything else runs the
pure-PyTorch gather-GEMM-scatter path.
"""
import importlib.util
import math

import torch
from torch import nn

from . import functional as F
from .voxels import SparseVoxels


def spconv_available():
    return importlib.util.find_spec('spconv') is not None


def to_spconv_weight(weight, kernel_size):
    """``(K, C_in, C_out)`` -> spconv 2.x ``(C_out, k0, k1, k2, C_in)``; both index the kernel in (d0, d1, d2)
    order with output ``x`` reading input ``x + offset`` (checked by tests/pri3d/test_sparse_unet.py)."""
    k = kernel_size
    return weight.reshape(k, k, k, weight.shape[1], weight.shape[2]).permute(4, 0, 1, 2, 3).contiguous()


def from_spconv_weight(weight):
    """spconv 2.x ``(C_out, k0, k1, k2, C_in)`` -> ``(K, C_in, C_out)``."""
    c_out, c_in = weight.shape[0], weight.shape[-1]
    return weight.permute(1, 2, 3, 4, 0).reshape(-1, c_in, c_out).contiguous()


class _SparseConvBase(nn.Module):
    kernel_size = 3

    def __init__(self, in_channels, out_channels, indice_key=None, kernel_size=None):
        super().__init__()
        self.in_channels, self.out_channels, self.indice_key = in_channels, out_channels, indice_key
        self.kernel_size = kernel_size or type(self).kernel_size
        volume = self.kernel_size ** 3
        self.weight = nn.Parameter(torch.empty(volume, in_channels, out_channels))
        nn.init.kaiming_uniform_(self.weight.view(volume * in_channels, out_channels).T, a=math.sqrt(5))
        self.__dict__['_spconv_op'] = None  # not a submodule: it must hold no parameters of its own

    def forward(self, x: SparseVoxels) -> SparseVoxels:
        if x.spconv_tensor is not None:
            return self._forward_spconv(x)
        return self._forward_torch(x)

    def _spconv_module(self):
        if self._spconv_op is None:
            op = self._build_spconv()
            del op.weight  # our parameter is fed in at every call instead
            self.__dict__['_spconv_op'] = op
        return self._spconv_op

    def _run_spconv(self, x):
        op = self._spconv_module()
        op.weight = to_spconv_weight(self.weight, self.kernel_size)
        return op(x.spconv_tensor.replace_feature(x.feats))

    def extra_repr(self):
        return f'{self.in_channels}, {self.out_channels}, k={self.kernel_size}, indice_key={self.indice_key}'


class SubMConv3d(_SparseConvBase):
    """Submanifold conv (3x3x3 unless ``kernel_size`` says otherwise, odd): outputs on the input voxels only, so
    sparsity does not dilate. Layers sharing an ``indice_key`` must share the kernel size (as in spconv)."""

    def _forward_torch(self, x):
        key = None if self.indice_key is None else f'subm_{self.indice_key}_s{x.stride}_k{self.kernel_size}'
        kernel_map = F.cached(x.cache, key,
                              lambda: F.submanifold_kernel_map(x.coords, x.stride, self.kernel_size))
        return x.with_feats(F.apply_kernel_map(x.feats, self.weight, kernel_map, x.coords.shape[0]))

    def _build_spconv(self):
        import spconv.pytorch as spconv
        return spconv.SubMConv3d(self.in_channels, self.out_channels, self.kernel_size, bias=False,
                                 indice_key=self.indice_key)

    def _forward_spconv(self, x):
        out = self._run_spconv(x)
        return SparseVoxels(x.coords, out.features, x.stride, x.batch_size, x.cache, out)


class DownConv3d(_SparseConvBase):
    """Kernel-2 stride-2 conv; ``indice_key`` names the level so ``UpConv3d`` can undo it exactly."""
    kernel_size = 2

    def _down_map(self, x):
        out_coords, parent_rows, kernel_index = F.downsample_coords(x.coords, x.stride)
        return out_coords, F.strided_kernel_map(parent_rows, kernel_index)

    def _forward_torch(self, x):
        out_coords, kernel_map = F.cached(x.cache, f'down_{self.indice_key}_s{x.stride}', lambda: self._down_map(x))
        x.cache[f'up_{self.indice_key}'] = (x.coords, x.stride, kernel_map)
        out_feats = F.apply_kernel_map(x.feats, self.weight, kernel_map, out_coords.shape[0])
        return SparseVoxels(out_coords, out_feats, x.stride * 2, x.batch_size, x.cache)

    def _build_spconv(self):
        import spconv.pytorch as spconv
        return spconv.SparseConv3d(self.in_channels, self.out_channels, 2, stride=2, bias=False,
                                   indice_key=self.indice_key)

    def _forward_spconv(self, x):
        x.cache[f'up_{self.indice_key}'] = (x.coords, x.stride, None)
        out = self._run_spconv(x)
        coords = out.indices.long().clone()
        coords[:, 1:] *= x.stride * 2
        return SparseVoxels(coords, out.features, x.stride * 2, x.batch_size, x.cache, out)


class UpConv3d(_SparseConvBase):
    """Transposed kernel-2 stride-2 conv back onto the voxels the ``DownConv3d`` with the same key consumed."""
    kernel_size = 2

    def _forward_torch(self, x):
        fine_coords, fine_stride, kernel_map = x.cache[f'up_{self.indice_key}']
        up_map = F.transpose_kernel_map(kernel_map)
        out_feats = F.apply_kernel_map(x.feats, self.weight, up_map, fine_coords.shape[0])
        return SparseVoxels(fine_coords, out_feats, fine_stride, x.batch_size, x.cache)

    def _build_spconv(self):
        import spconv.pytorch as spconv
        return spconv.SparseInverseConv3d(self.in_channels, self.out_channels, 2, bias=False,
                                          indice_key=self.indice_key)

    def _forward_spconv(self, x):
        fine_coords, fine_stride, _ = x.cache[f'up_{self.indice_key}']
        out = self._run_spconv(x)
        return SparseVoxels(fine_coords, out.features, fine_stride, x.batch_size, x.cache, out)


def to_spconv_input(x: SparseVoxels, levels):
    """Wrap ``x`` for the spconv backend; the grid is padded to a multiple of ``2**levels`` so every strided
    conv keeps every parent cell inside the grid."""
    import spconv.pytorch as spconv
    multiple = 2 ** levels
    extent = (x.coords[:, 1:].max(0).values + 1 if x.coords.numel()
              else torch.ones(3, dtype=torch.long, device=x.coords.device))
    spatial_shape = [int(math.ceil(int(e) / multiple) * multiple) for e in extent]
    sp = spconv.SparseConvTensor(x.feats, x.coords.int(), spatial_shape, x.batch_size)
    return SparseVoxels(x.coords, x.feats, x.stride, x.batch_size, x.cache, sp)
