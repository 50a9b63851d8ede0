"""Voxel grids: integer voxel coordinates ``floor(points / voxel_size)``, a packed int64 key per voxel, and the one
sorted-key lookup (``lookup_keys``) that pair mining, the Pri3D geo loss and the sparse convolutions share.

The key packs (x, y, z) into 21 bits each, offset to non-negative, x in the highest bits. So keys sort exactly
like (x, y, z) lexicographically, a sorted ``unique`` over keys gives voxels in that order, and set operations
between point clouds (``isin``) run on 1-D int64 arrays. Supported coordinate range per axis:
``[VOXEL_COORD_MIN, VOXEL_COORD_MAX] = [-2**20, 2**20 - 1]`` (about +-21 km at 2 cm voxels); anything outside
raises ValueError rather than wrapping into another voxel's key.

``pack_keys`` is the packing itself (fields side by side, first field highest); ``voxel_hash`` is its layout for
world voxels, ``models.sparse.voxels.hash_coords`` its layout for batched ``[batch, x, y, z]`` rows.

numpy arrays or torch tensors in, same type out (see ``_backend``).
"""
import numpy as np
import torch

from ._backend import as_float_tensor, numpy_or_torch

_BITS = 21
_OFFSET = 1 << (_BITS - 1)
_MASK = (1 << _BITS) - 1
VOXEL_COORD_MIN = -_OFFSET
VOXEL_COORD_MAX = _OFFSET - 1


def _check_coord_range(coords: torch.Tensor):
    if coords.numel() and not bool(((coords >= VOXEL_COORD_MIN) & (coords <= VOXEL_COORD_MAX)).all()):
        raise ValueError(f'voxel coordinates span [{coords.min().item()}, {coords.max().item()}], outside the '
                         f'hashable range [{VOXEL_COORD_MIN}, {VOXEL_COORD_MAX}]; use a larger voxel_size or '
                         'recentre the points')


@numpy_or_torch
def pack_keys(fields, bits):
    """One int64 key per row of non-negative integer ``fields (..., F)`` -> ``(...)``: field f in ``bits[f]`` bits,
    the first field highest, so keys sort like the rows lexicographically. ``sum(bits) <= 63`` keeps keys >= 0.
    Ranges are the caller's to check (``voxel_hash``, ``sparse.check_coords``): a value that does not fit its
    bits would land in another row's key."""
    fields = torch.as_tensor(fields).long()
    if sum(bits) > 63 or fields.shape[-1] != len(bits):
        raise ValueError(f'pack_keys: {fields.shape[-1]} fields in bits {tuple(bits)} (at most 63 in all)')
    key = fields[..., 0]
    for axis in range(1, len(bits)):
        key = (key << bits[axis]) | fields[..., axis]
    return key


@numpy_or_torch
def lookup_keys(sorted_keys, query_keys):
    """Row of each of ``query_keys (...)`` in ``sorted_keys (K,)`` (ascending, unique), -1 where absent:
    ``(...)`` int64. One ``searchsorted``, on the keys' device."""
    sorted_keys, query_keys = torch.as_tensor(sorted_keys), torch.as_tensor(query_keys)
    if sorted_keys.numel() == 0:
        return torch.full(query_keys.shape, -1, dtype=torch.long, device=query_keys.device)
    pos = torch.searchsorted(sorted_keys, query_keys).clamp(max=sorted_keys.numel() - 1)
    return torch.where(sorted_keys[pos] == query_keys, pos, torch.full_like(pos, -1))


@numpy_or_torch
def voxel_hash(coords):
    """One int64 key per integer voxel coordinate ``coords (..., 3)`` -> ``(...)``; order-preserving (see module
    doc). Raises ValueError for coordinates outside ``[VOXEL_COORD_MIN, VOXEL_COORD_MAX]``."""
    coords = torch.as_tensor(coords)
    if coords.shape[-1:] != (3,) or coords.is_floating_point():
        raise ValueError(f'coords must be integer (..., 3), got {coords.dtype} {tuple(coords.shape)}')
    _check_coord_range(coords)
    return pack_keys(coords.long() + _OFFSET, (_BITS,) * 3)  # fields (..., 3) in [0, 2**21)


@numpy_or_torch
def voxel_unhash(keys):
    """Inverse of ``voxel_hash``: ``keys (...)`` int64 -> ``coords (..., 3)`` int64."""
    keys = torch.as_tensor(keys).long()
    axes = [(keys >> (2 * _BITS)) & _MASK, (keys >> _BITS) & _MASK, keys & _MASK]
    return torch.stack(axes, dim=-1) - _OFFSET


def point_voxel_coords(points: torch.Tensor, voxel_size: float) -> torch.Tensor:
    """``floor(points / voxel_size)`` as int64 ``(..., 3)``, validated (finite points, hashable range).

    The division runs in the points' precision, so a point on a voxel face up to rounding (0.3 / 0.1 in
    float64 is 2.9999999999999996) can land on either side; exact for power-of-two voxel sizes.
    """
    if not voxel_size > 0:
        raise ValueError(f'voxel_size must be > 0, got {voxel_size}')
    points = as_float_tensor(points)
    if points.shape[-1:] != (3,):
        raise ValueError(f'points must be (..., 3), got {tuple(points.shape)}')
    if not bool(torch.isfinite(points).all()):
        raise ValueError('points contain inf/NaN; drop invalid depth pixels (valid_depth_mask) before voxelizing')
    coords = torch.floor(points / voxel_size)
    _check_coord_range(coords)  # before the int cast, which would wrap huge values silently
    return coords.long()


@numpy_or_torch
def voxel_keys(points, voxel_size: float):
    """``voxel_hash`` of the voxel each of ``points (..., 3)`` falls in -> ``(...)`` int64: what ``voxelize`` gives
    per point (``voxel_hash(voxel_coords)[point_to_voxel]``) without its sort / ``unique``."""
    return voxel_hash(point_voxel_coords(as_float_tensor(points), voxel_size))


@numpy_or_torch
def voxelize(points, voxel_size: float):
    """Occupied voxels of ``points (N, 3)``: ``voxel_coords (M, 3)`` int64, unique and sorted lexicographically
    by (x, y, z), and ``point_to_voxel (N,)`` int64 with ``voxel_coords[point_to_voxel] == floor(points /
    voxel_size)``."""
    points = as_float_tensor(points)
    if points.ndim != 2:
        raise ValueError(f'points must be (N, 3), got {tuple(points.shape)}')
    keys = voxel_hash(point_voxel_coords(points, voxel_size))  # (N,)
    unique_keys, point_to_voxel = torch.unique(keys, sorted=True, return_inverse=True)  # (M,), (N,)
    return voxel_unhash(unique_keys), point_to_voxel


@numpy_or_torch
def voxel_centres(voxel_coords, voxel_size: float, dtype=None):
    """World centres ``(..., 3)`` of integer ``voxel_coords (..., 3)``: ``(coords + 0.5) * voxel_size``, in
    ``dtype`` (torch or numpy dtype; default ``torch.get_default_dtype()``, float32 unless changed)."""
    coords = torch.as_tensor(voxel_coords)
    if dtype is not None and not isinstance(dtype, torch.dtype):
        dtype = torch.from_numpy(np.empty(0, dtype)).dtype
    return (coords.to(dtype or torch.get_default_dtype()) + 0.5) * voxel_size
