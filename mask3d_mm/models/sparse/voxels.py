"""A sparse voxel tensor and the coordinate hash the pure-PyTorch convolutions look neighbours up in.

Coordinates are ``(N, 4)`` int64 rows ``[batch, x, y, z]`` in units of the finest voxel; a tensor at stride ``s``
only holds coordinates that are multiples of ``s``. A row is packed into one int64 key by ``geometry.pack_keys``
and looked up with ``geometry.lookup_keys`` (one ``searchsorted`` over the sorted keys), so the same code runs on
CPU and GPU and shares its key maths with pair mining and the Pri3D geo loss.
"""
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Optional

import torch

from mask3d_mm import geometry

COORD_BITS = 19  # per spatial axis: coordinates in [0, 2**19) voxels (10 km at 2 cm)
COORD_LIMIT = 1 << COORD_BITS
BATCH_BITS = 63 - 3 * COORD_BITS  # batch indices in [0, 64)
KEY_BITS = (BATCH_BITS, COORD_BITS, COORD_BITS, COORD_BITS)


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


def in_key_range(coords):
    """``(N,)`` bool: rows whose batch and x, y, z fit their key fields."""
    limits = coords.new_tensor([1 << bits for bits in KEY_BITS])  # (4,)
    return ((coords >= 0) & (coords < limits)).all(dim=1)


def check_coords(coords):
    """Coordinates must be non-negative (spconv's grid starts at 0) and fit the hash."""
    if coords.dim() != 2 or coords.shape[1] != 4:
        raise ValueError(f'voxel coords must be (N, 4) [batch, x, y, z], got {tuple(coords.shape)}')
    if coords.numel() and not bool(in_key_range(coords).all()):
        raise ValueError(f'voxel coords must lie in [0, {COORD_LIMIT}) (shift each chunk to start at 0) and batch '
                         f'indices in [0, {1 << BATCH_BITS})')


def hash_coords(coords):
    """Pack ``[batch, x, y, z]`` rows ``(N, 4)`` into int64 keys ``(N,)`` (batch gets the top bits); rows must
    pass ``check_coords``."""
    return geometry.pack_keys(coords.long(), KEY_BITS)


class CoordIndex:
    """Sorted keys of a coordinate set; ``lookup`` returns row indices (-1 where a query is absent, including
    queries outside the key range, e.g. a neighbour at x = -1)."""

    def __init__(self, coords):
        check_coords(coords)
        self.sorted_keys, self.order = torch.sort(hash_coords(coords))

    def lookup(self, query_coords):
        if self.order.numel() == 0:
            return torch.full(query_coords.shape[:1], -1, dtype=torch.long, device=query_coords.device)
        inside = in_key_range(query_coords)  # (M,)
        query = hash_coords(torch.where(inside[:, None], query_coords, torch.zeros_like(query_coords)))  # (M,)
        rows = geometry.lookup_keys(self.sorted_keys, query)  # (M,) positions in sorted order
        found = inside & (rows >= 0)
        return torch.where(found, self.order[rows.clamp(min=0)], torch.full_like(rows, -1))  # (M,)


def kernel_offsets(kernel_size, device):
    """Offsets of a cubic kernel in (d0, d1, d2) lexicographic order, i.e. the flattened kernel index order
    (the same order as spconv's ``weight[:, k0, k1, k2, :]``)."""
    r = torch.arange(kernel_size, device=device)
    grid = torch.stack(torch.meshgrid(r, r, r, indexing='ij'), dim=-1).reshape(-1, 3)  # (K, 3)
    return grid - (kernel_size - 1) // 2 if kernel_size % 2 == 1 else grid
