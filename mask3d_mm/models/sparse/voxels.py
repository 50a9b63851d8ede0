"""A sparse voxel tensor and the coordinate hash the pure-PyTorch convolutions look neighbours up in.

Coordinates are ``(N, 4)`` int64 rows ``[batch, x, y, z]`` in units of the finest voxel; a tensor at stride ``s``
only holds coordinates that are multiples of ``s``. The hash packs a row into one int64 key and lookups are a
``torch.searchsorted`` over the sorted keys, so the same code runs on CPU and GPU.
"""
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Optional

import torch

COORD_BITS = 20  # per spatial axis: coordinates in [0, 2**20) voxels (20 km at 2 cm)
COORD_LIMIT = 1 << COORD_BITS


@dataclass
class SparseVoxels:
    """Features on occupied voxels. ``cache`` is shared by every tensor derived from the same input, so kernel
    maps (and spconv's index pairs) are built once per forward and reused by the layers that share a key."""
    coords: torch.Tensor  # (N, 4) int64 [batch, x, y, z]
    feats: torch.Tensor  # (N, C)
    stride: int = 1
    batch_size: int = 1
    cache: Dict[str, Any] = field(default_factory=dict)
    spconv_tensor: Optional[Any] = None  # spconv.SparseConvTensor when the spconv backend runs

    def with_feats(self, feats):
        return replace(self, feats=feats)


def check_coords(coords):
    """Coordinates must be non-negative (spconv's grid starts at 0) and fit the hash."""
    if coords.dim() != 2 or coords.shape[1] != 4:
        raise ValueError(f'voxel coords must be (N, 4) [batch, x, y, z], got {tuple(coords.shape)}')
    if coords.numel() and (coords[:, 1:].min() < 0 or coords[:, 1:].max() >= COORD_LIMIT):
        raise ValueError(f'voxel coords must lie in [0, {COORD_LIMIT}); shift each chunk to start at 0')


def hash_coords(coords):
    """Pack ``[batch, x, y, z]`` rows into int64 keys (batch gets the top bits)."""
    coords = coords.long()  # (N, 4)
    key = coords[:, 0]
    for axis in (1, 2, 3):
        key = (key << COORD_BITS) | coords[:, axis]
    return key  # (N,)


class CoordIndex:
    """Sorted keys of a coordinate set; ``lookup`` returns row indices (-1 where a query is absent)."""

    def __init__(self, coords):
        keys = hash_coords(coords)
        self.sorted_keys, self.order = torch.sort(keys)

    def lookup(self, query_coords):
        query = hash_coords(query_coords)  # (M,)
        if self.sorted_keys.numel() == 0:
            return torch.full_like(query, -1)
        pos = torch.searchsorted(self.sorted_keys, query).clamp(max=self.sorted_keys.numel() - 1)
        found = self.sorted_keys[pos] == query
        return torch.where(found, self.order[pos], torch.full_like(pos, -1))  # (M,)


def kernel_offsets(kernel_size, device):
    """Offsets of a cubic kernel in (d0, d1, d2) lexicographic order, i.e. the flattened kernel index order
    (the same order as spconv's ``weight[:, k0, k1, k2, :]``)."""
    r = torch.arange(kernel_size, device=device)
    grid = torch.stack(torch.meshgrid(r, r, r, indexing='ij'), dim=-1).reshape(-1, 3)  # (K, 3)
    return grid - (kernel_size - 1) // 2 if kernel_size % 2 == 1 else grid
