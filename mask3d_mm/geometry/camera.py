"""Pinhole camera maths in the ScanNet / OpenCV convention.

Pixel ``(u, v)`` = (column, row) and a pixel's coordinate is its integer index (the pixel centre):
``x = (u - cx) * z / fx``, ``y = (v - cy) * z / fy``; camera frame x right, y down, z forward. Depth is float
metres with 0 (or any non-finite / negative value) meaning "no measurement". Poses are 4x4 camera-to-world.
K may be given as 3x3 or as the 4x4 ScanNet matrix (its top-left 3x3 is used); skew is assumed 0.

Every function takes numpy arrays or torch tensors and returns the input's type (see ``_backend``). Batching:
a matrix argument with leading dims ``L`` (``K (*L, 3, 3)``, ``T (*L, 4, 4)``) applies to the same leading dims of
the data (``depth (*L, H, W)``, ``points (*L, *P, 3)``); an unbatched matrix applies to everything.
"""
import os

import numpy as np
import torch

from ._backend import as_float_tensor, check_depth, check_matrix, numpy_or_torch

# uv given to points with z <= 0 (behind the camera): outside every image, and finite (never NaN).
BEHIND_CAMERA_UV = -1.0


def _intrinsic_params(K: torch.Tensor, num_trailing: int):
    """fx, fy, cx, cy of ``K (*L, 3|4, 3|4)``, each shaped ``(*L, 1 x num_trailing)`` to broadcast over data."""
    if K.ndim < 2 or tuple(K.shape[-2:]) not in ((3, 3), (4, 4)):
        raise ValueError(f'K must have shape (..., 3, 3) or (..., 4, 4), got {tuple(K.shape)}')
    trailing = (1,) * num_trailing
    return tuple(K[..., row, col].reshape(K.shape[:-2] + trailing) for row, col in ((0, 0), (1, 1), (0, 2), (1, 2)))


@numpy_or_torch
def valid_depth_mask(depth, max_depth: float = None):
    """Pixels with a usable measurement: finite, > 0 and (if given) <= ``max_depth``. ``(..., H, W)`` bool."""
    valid = torch.isfinite(depth) & (depth > 0)
    if max_depth is not None:
        valid &= depth <= max_depth
    return valid


@numpy_or_torch
def backproject_depth(depth, K):
    """Camera-frame points ``(..., H, W, 3)`` of ``depth (..., H, W)``; invalid pixels give exactly (0, 0, 0),
    so select with ``valid_depth_mask(depth)`` (never with the points themselves)."""
    check_depth(depth)
    K = as_float_tensor(K, like=depth)
    fx, fy, cx, cy = _intrinsic_params(K, num_trailing=2)  # (*L, 1, 1) each
    z = torch.where(valid_depth_mask(depth), depth, torch.zeros_like(depth))  # (..., H, W)
    u = torch.arange(depth.shape[-1], dtype=depth.dtype, device=depth.device)  # (W,)
    v = torch.arange(depth.shape[-2], dtype=depth.dtype, device=depth.device)[:, None]  # (H, 1)
    x = (u - cx) * z / fx
    y = (v - cy) * z / fy
    return torch.stack(torch.broadcast_tensors(x, y, z), dim=-1)  # (..., H, W, 3)


@numpy_or_torch
def project_points(points_cam, K):
    """Pixel coordinates ``uv (..., 2)`` (continuous; round with floor(uv + 0.5) for the nearest pixel) and depth
    ``z (...)`` of camera-frame ``points (..., 3)``. Points with z <= 0 have no image: their uv is
    ``BEHIND_CAMERA_UV`` in both coordinates, so mask with ``z > 0``."""
    points_cam = as_float_tensor(points_cam)
    K = as_float_tensor(K, like=points_cam)
    num_trailing = points_cam.ndim - 1 - (K.ndim - 2)
    if points_cam.shape[-1] != 3 or num_trailing < 0:
        raise ValueError(f'points_cam {tuple(points_cam.shape)} must be (*L, ..., 3) for K {tuple(K.shape)}')
    fx, fy, cx, cy = _intrinsic_params(K, num_trailing)
    x, y, z = points_cam.unbind(-1)
    in_front = z > 0
    z_safe = torch.where(in_front, z, torch.ones_like(z))
    uv = torch.stack([fx * x / z_safe + cx, fy * y / z_safe + cy], dim=-1)  # (..., 2)
    uv = torch.where(in_front[..., None], uv, torch.full_like(uv, BEHIND_CAMERA_UV))
    return uv, z


def _apply_rigid(points: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """``R p + t`` for ``points (*L, *P, 3)`` and ``T (*L, 4, 4)`` (leading dims broadcast); no validation."""
    num_lead = T.ndim - 2
    if points.shape[-1] != 3 or points.ndim - 1 < num_lead:
        raise ValueError(f'points {tuple(points.shape)} must be (*L, ..., 3) for T {tuple(T.shape)}')
    lead = torch.broadcast_shapes(T.shape[:-2], points.shape[:num_lead])
    points = points.expand(*lead, *points.shape[num_lead:])
    T = T.expand(*lead, 4, 4)
    flat = points.reshape(*lead, -1, 3)  # (*L, N, 3)
    moved = flat @ T[..., :3, :3].transpose(-1, -2) + T[..., None, :3, 3]  # (*L, N, 3)
    return moved.reshape(points.shape)


def _check_finite(T: torch.Tensor, name: str):
    check_matrix(T, 4, name)
    if not bool(torch.isfinite(T).all()):
        raise ValueError(f'{name} has inf/NaN entries (an invalid pose; check with is_valid_pose first)')


@numpy_or_torch
def transform_points(points, T):
    """Rigid transform ``T (*L, 4, 4)`` applied to ``points (*L, ..., 3)``; raises ValueError for inf/NaN in T."""
    points = as_float_tensor(points)
    T = as_float_tensor(T, like=points)
    _check_finite(T, 'T')
    return _apply_rigid(points, T)


def _invert_rigid(T: torch.Tensor) -> torch.Tensor:
    R_inv = T[..., :3, :3].transpose(-1, -2)  # (..., 3, 3)
    T_inv = torch.zeros_like(T)
    T_inv[..., :3, :3] = R_inv
    T_inv[..., :3, 3] = -(R_inv @ T[..., :3, 3:])[..., 0]
    T_inv[..., 3, 3] = 1
    return T_inv


@numpy_or_torch
def invert_rigid(T):
    """Inverse of rigid ``T (..., 4, 4)`` via ``[R^T, -R^T t]`` (exact and cheaper than a general inverse)."""
    T = as_float_tensor(T)
    _check_finite(T, 'T')
    return _invert_rigid(T)


@numpy_or_torch
def is_valid_pose(T, atol: float = 1e-3):
    """Per matrix of ``T (..., 4, 4)``: finite, rotation part orthonormal with det +1 (within ``atol``) and last
    row 0 0 0 1. Returns a bool array/tensor of shape ``(...)`` (0-d for one pose; usable in ``if``).
    ScanNet marks frames without tracking with -inf poses; these are invalid."""
    T = as_float_tensor(T)
    check_matrix(T, 4, 'T')
    finite = torch.isfinite(T).flatten(-2).all(-1)  # (...)
    eye = torch.eye(4, dtype=T.dtype, device=T.device)  # its last row is the rigid one: 0 0 0 1
    T = torch.where(finite[..., None, None], T, eye)
    R = T[..., :3, :3]
    orthonormal = ((R.transpose(-1, -2) @ R - eye[:3, :3]).abs() <= atol).flatten(-2).all(-1)
    proper = torch.linalg.det(R) > 0  # a reflection is orthonormal but not a camera pose
    affine = ((T[..., 3, :] - eye[3]).abs() <= atol).all(-1)
    return finite & orthonormal & proper & affine


def require_valid_pose(T: torch.Tensor, name: str = 'pose'):
    """Raise a ValueError naming ``name`` (and the bad batch entries) unless every pose in ``T`` is valid."""
    valid = torch.as_tensor(is_valid_pose(T))
    if not bool(valid.all()):
        where = '' if valid.ndim == 0 else f' at batch index {torch.nonzero(~valid).tolist()}'
        raise ValueError(f'{name} is not a valid rigid camera-to-world pose{where} (inf/NaN entries or a '
                         'non-orthonormal rotation); filter frames with is_valid_pose')


@numpy_or_torch
def depth_to_world(depth, K, cam_to_world, max_depth: float = None):
    """World points ``(..., H, W, 3)`` of ``depth (..., H, W)``; pixels that fail
    ``valid_depth_mask(depth, max_depth)`` give exactly (0, 0, 0). Raises ValueError for an invalid pose."""
    check_depth(depth)
    cam_to_world = as_float_tensor(cam_to_world, like=depth)
    require_valid_pose(cam_to_world, 'cam_to_world')
    points_world = _apply_rigid(backproject_depth(depth, K), cam_to_world)  # (..., H, W, 3)
    valid = valid_depth_mask(depth, max_depth)
    return torch.where(valid[..., None], points_world, torch.zeros_like(points_world))


def load_matrix_txt(path) -> np.ndarray:
    """A 4x4 whitespace-separated text matrix (ScanNet ``pose/N.txt``, ``intrinsic/*.txt``) as float64 numpy.

    Non-finite entries are kept (ScanNet writes -inf for untracked frames); check poses with ``is_valid_pose``.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: no such file (expected a 4x4 text matrix)')
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    try:
        matrix = np.array([[float(x) for x in row] for row in rows], dtype=np.float64)
    except ValueError as err:  # non-numeric token, or rows of different lengths
        raise ValueError(f'{path}: not a 4x4 text matrix of numbers ({err})') from err
    if matrix.shape != (4, 4):
        raise ValueError(f'{path}: expected a 4x4 matrix, got {len(rows)} rows of lengths '
                         f'{sorted({len(r) for r in rows})}')
    return matrix


@numpy_or_torch
def scale_intrinsics(K, sx: float, sy: float):
    """K of an image resized by ``sx`` (width) and ``sy`` (height). With integer pixel centres a resize maps
    ``u -> (u + 0.5) * sx - 0.5``, so ``cx' = (cx + 0.5) * sx - 0.5`` (not ``cx * sx``)."""
    K = as_float_tensor(K).clone()
    _intrinsic_params(K, 0)  # shape check
    K[..., 0, 0] *= sx
    K[..., 1, 1] *= sy
    K[..., 0, 2] = (K[..., 0, 2] + 0.5) * sx - 0.5
    K[..., 1, 2] = (K[..., 1, 2] + 0.5) * sy - 0.5
    return K
