"""Pixel correspondences between two depth frames (Pri3D's view-invariant pairs) and frame overlap measures.

A pixel p of frame i corresponds to pixel q of frame j when p's depth point, moved into camera j
(``inv(pose_j) @ pose_i``) and projected, lands in j's image at q = its nearest pixel (floor(uv + 0.5)) and
j's own depth there agrees: ``|z_in_j - depth_j[q]| < depth_tol`` (metres, absolute). That agreement is the
occlusion test: a nearer surface seen by j at q gives a smaller depth_j[q] and rejects the match. Both depths
must be valid (finite, > 0, <= ``max_depth`` when given). Each pixel of i has at most one match; several pixels
of i may match the same pixel of j (e.g. when i sees a surface at a higher resolution).

numpy arrays or torch tensors in, same type out (see ``_backend``).
"""
import torch

from ._backend import as_float_tensor, check_depth, numpy_or_torch
from .camera import (
    _apply_rigid,
    _invert_rigid,
    backproject_depth,
    is_valid_pose,
    project_points,
    require_valid_pose,
    valid_depth_mask,
)


def _correspondence_map(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth):
    """Core of every correspondence function: ``match_j (B, H_i*W_i)`` and ``valid (B, H_i*W_i)``."""
    for name, depth in (('depth_i', depth_i), ('depth_j', depth_j)):
        check_depth(depth, name)
        if depth.ndim != 3:
            raise ValueError(f'{name} must be (B, H, W), got {tuple(depth.shape)}')
    batch, height_j, width_j = depth_j.shape
    poses = [as_float_tensor(p).to(device=depth_i.device, dtype=torch.float64) for p in (pose_i, pose_j)]
    pose_ok = (is_valid_pose(poses[0]) & is_valid_pose(poses[1])).reshape(-1, 1)  # (B, 1) or (1, 1)
    eye = torch.eye(4, dtype=torch.float64, device=depth_i.device)
    pose_i, pose_j = (torch.where(pose_ok[..., None], p, eye) for p in poses)  # invalid -> identity, masked below
    i_to_j = (_invert_rigid(pose_j) @ pose_i).to(depth_i.dtype)  # composed in float64: world coords can be large

    points_j = _apply_rigid(backproject_depth(depth_i, K_i), i_to_j)  # (B, H_i, W_i, 3) in camera j
    uv, z = project_points(points_j, K_j)  # (B, H_i, W_i, 2), (B, H_i, W_i)
    u, v = torch.floor(uv + 0.5).unbind(-1)  # nearest pixel, still float: no int cast of far-off values
    inside = (z > 0) & (u >= 0) & (u < width_j) & (v >= 0) & (v < height_j)
    flat_j = torch.where(inside, v * width_j + u, torch.zeros_like(u)).long().reshape(batch, -1)  # (B, P)
    depth_at_j = torch.gather(depth_j.reshape(batch, -1), 1, flat_j)  # (B, P)
    valid = (valid_depth_mask(depth_i, max_depth).reshape(batch, -1) & inside.reshape(batch, -1)
             & valid_depth_mask(depth_at_j, max_depth) & ((z.reshape(batch, -1) - depth_at_j).abs() < depth_tol)
             & pose_ok)
    return torch.where(valid, flat_j, torch.full_like(flat_j, -1)), valid


@numpy_or_torch
def batched_frame_correspondences(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol: float = 0.05,
                                  max_depth: float = None):
    """Correspondences of B frame pairs at once, as a dense per-pixel map (no ragged lists).

    Args: ``depth_i (B, H_i, W_i)``, ``depth_j (B, H_j, W_j)`` metres; ``K_* (B, 3, 3)`` or ``(3, 3)``;
    ``pose_* (B, 4, 4)`` or ``(4, 4)`` camera-to-world.
    Returns ``match_j (B, H_i*W_i)`` int64: for each flat pixel of i its flat pixel in j, -1 where none; and
    ``valid (B, H_i*W_i)`` bool (= ``match_j >= 0``). A pair with an invalid pose (inf/NaN, non-rigid) does not
    raise: its row is all invalid, so one bad frame does not stop a training step.
    """
    return _correspondence_map(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth)


def _single_pair(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth):
    """Dense map of one (H, W) pair; raises ValueError for an invalid pose (the batched path masks instead)."""
    require_valid_pose(as_float_tensor(pose_i), 'pose_i')
    require_valid_pose(as_float_tensor(pose_j), 'pose_j')
    for name, depth in (('depth_i', depth_i), ('depth_j', depth_j)):
        if depth.ndim != 2:
            raise ValueError(f'{name} must be one (H, W) frame, got {tuple(depth.shape)}; '
                             'use batched_frame_correspondences for a batch')
    match_j, valid = _correspondence_map(depth_i[None], depth_j[None], K_i, K_j, pose_i, pose_j, depth_tol,
                                         max_depth)
    return match_j[0], valid[0]  # (H_i*W_i,) each


@numpy_or_torch
def frame_correspondences(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol: float = 0.05,
                          max_depth: float = None):
    """Flat pixel indices ``(idx_i (M,), idx_j (M,))`` int64 of corresponding pixels of two ``(H, W)`` frames
    (see module doc), idx_i ascending. Raises ValueError if either pose is invalid."""
    match_j, valid = _single_pair(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth)
    idx_i = torch.nonzero(valid).squeeze(1)  # (M,)
    return idx_i, match_j[idx_i]


@numpy_or_torch
def overlap_ratio(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol: float = 0.05, max_depth: float = None):
    """Fraction of i's valid pixels that have a correspondence in j (asymmetric; 0 when i has no valid pixel).

    ``(H, W)`` depths: a float, ValueError for an invalid pose. ``(B, H, W)``: ``(B,)`` ratios, 0 for pairs
    with an invalid pose.
    """
    check_depth(depth_i, 'depth_i')
    if depth_i.ndim == 2:
        _, valid = _single_pair(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth)
        return float(valid.sum()) / max(int(valid_depth_mask(depth_i, max_depth).sum()), 1)
    _, valid = _correspondence_map(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol, max_depth)
    num_valid_i = valid_depth_mask(depth_i, max_depth).flatten(1).sum(1)  # (B,)
    return valid.sum(1).to(depth_i.dtype) / num_valid_i.clamp(min=1).to(depth_i.dtype)
