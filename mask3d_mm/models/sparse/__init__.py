"""Sparse 3D convolution: a pure-PyTorch implementation (default; CPU and GPU, trains anywhere) and an spconv
adapter (``spconv.pytorch``, CUDA) behind the same layers and weight layout."""
from .layers import (
    DownConv3d,
    SubMConv3d,
    UpConv3d,
    from_spconv_weight,
    spconv_available,
    to_spconv_input,
    to_spconv_weight,
)
from .voxels import CoordIndex, SparseVoxels, check_coords, hash_coords

__all__ = ['SparseVoxels', 'CoordIndex', 'hash_coords', 'check_coords', 'SubMConv3d', 'DownConv3d', 'UpConv3d',
           'to_spconv_weight', 'from_spconv_weight', 'to_spconv_input', 'spconv_available']
