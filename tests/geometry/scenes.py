"""Tiny analytic scenes for the geometry tests: rigid poses and exact depth maps of planes (ray casting)."""
import numpy as np


def intrinsics(fx=100.0, fy=100.0, cx=15.0, cy=11.0):
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])


def rotation(axis, degrees):
    """Right-handed rotation about 'x', 'y' or 'z' (camera y is down, so a rotation about y is a yaw)."""
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    i, j = [(1, 2), (2, 0), (0, 1)]['xyz'.index(axis)]
    R = np.eye(3)
    R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    return R


def rigid(R=None, t=(0.0, 0.0, 0.0)):
    T = np.eye(4)
    T[:3, :3] = np.eye(3) if R is None else R
    T[:3, 3] = t
    return T


def plane_depth(K, cam_to_world, height, width, normal=(0.0, 0.0, 1.0), offset=2.0):
    """Exact depth (H, W) of the world plane ``normal . X = offset`` (0 where the ray misses or hits behind)."""
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays_cam = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)  # z = 1
    rays_world = rays_cam @ cam_to_world[:3, :3].T  # (H, W, 3)
    normal = np.asarray(normal, dtype=np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        depth = (offset - normal @ cam_to_world[:3, 3]) / (rays_world @ normal)  # ray parameter = camera z
    return np.where(np.isfinite(depth) & (depth > 0), depth, 0.0)
