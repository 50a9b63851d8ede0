"""Pri3D frame-pair mining and per-scene voxel chunks from depth frames in the ScanNet frame layout.

Overlap of frames i, j (Pri3D sec. 3.1): pixels of either frame with a counterpart in the other, over all valid
pixels of both. A pixel's counterpart test is "its world point falls in a voxel the other frame also occupies"
(voxel hashing), so all pairs of a scene come from one sparse product instead of a KD-tree query per pair:

    counts  C (F x V): valid pixels of frame f in voxel v        occupied  O = C > 0
    matched M = C @ O.T  (M[i, j]: pixels of i whose voxel j also sees)
    overlap[i, j] = (M[i, j] + M[j, i]) / (n_i + n_j)

Camera maths comes from ``mask3d_mm.geometry``; this module only reads files and counts.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from scipy import sparse

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

from .rgbd_frames import _frame_ids


@dataclass
class SceneFrames:
    """World points (every ``pixel_stride``-th pixel) and colours of a scene's sampled frames."""
    scene_id: str
    frame_ids: List[int]
    points: List[np.ndarray]  # per frame (P_f, 3) float32 world
    colors: List[np.ndarray]  # per frame (P_f, 3) uint8 RGB


def read_matrix(path):
    """A 4x4 text matrix (ScanNet pose / intrinsic file)."""
    try:
        matrix = np.loadtxt(path, dtype=np.float64)
    except (OSError, ValueError) as err:
        raise DataError(f'{path}: cannot read a 4x4 text matrix ({err})') from err
    if matrix.shape != (4, 4):
        raise DataError(f'{path}: expected a 4x4 matrix, got shape {matrix.shape}')
    return matrix


def read_depth(path):
    depth = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if depth is None or depth.dtype != np.uint16 or depth.ndim != 2:
        raise DataError(f'{path}: expected a single-channel uint16 depth PNG (millimetres)')
    return depth.astype(np.float32) / 1000.0  # (H, W) metres, 0 = invalid


def read_color(path, size_hw):
    color = cv2.imread(path, cv2.IMREAD_COLOR)
    if color is None:
        raise DataError(f'{path}: cannot decode colour image')
    if color.shape[:2] != tuple(size_hw):
        color = cv2.resize(color, tuple(size_hw[::-1]), interpolation=cv2.INTER_AREA)
    return color[..., ::-1]  # (H, W, 3) RGB


def sampled_frame_ids(scene_dir, frame_skip):
    """Every ``frame_skip``-th frame by position in the numerically sorted colour list (as RGBDFrameDataset)."""
    return _frame_ids(osp.join(scene_dir, 'color'), '.jpg')[::frame_skip]


def load_frame_points(scene_dir, frame_id, K, pixel_stride=1, with_color=False):
    """World points ``(P, 3)`` of a frame's valid depth pixels (and their RGB); empty for an invalid pose."""
    depth = read_depth(osp.join(scene_dir, 'depth', f'{frame_id}.png'))
    pose = read_matrix(osp.join(scene_dir, 'pose', f'{frame_id}.txt'))
    if not geometry.is_valid_pose(pose):
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8)
    world = geometry.depth_to_world(depth, K, pose)[::pixel_stride, ::pixel_stride]  # (h, w, 3)
    valid = depth[::pixel_stride, ::pixel_stride] > 0  # (h, w)
    colors = np.zeros((int(valid.sum()), 3), np.uint8)
    if with_color:
        rgb = read_color(osp.join(scene_dir, 'color', f'{frame_id}.jpg'), depth.shape)
        colors = rgb[::pixel_stride, ::pixel_stride][valid]
    return world[valid].astype(np.float32), colors  # (P, 3), (P, 3)


def load_scene(frames_root, scene_id, frame_skip=25, pixel_stride=1, with_color=False):
    scene_dir = osp.join(frames_root, scene_id)
    K = read_matrix(osp.join(scene_dir, 'intrinsic', 'intrinsic_depth.txt'))[:3, :3]
    frame_ids = sampled_frame_ids(scene_dir, frame_skip)
    loaded = [load_frame_points(scene_dir, f, K, pixel_stride, with_color) for f in frame_ids]
    return SceneFrames(scene_id, frame_ids, [p for p, _ in loaded], [c for _, c in loaded])


def voxel_keys(voxel_coords, origin, extent):
    """Scene-unique int64 key per voxel coordinate (row-major index in the scene's voxel bounding box)."""
    return np.ravel_multi_index(tuple((voxel_coords - origin).T), tuple(extent))  # (M,)


def frame_voxel_incidence(points_per_frame, voxel_size):
    """Sparse ``(F, V)`` matrix of valid-pixel counts per frame and voxel."""
    all_points = np.concatenate(points_per_frame) if points_per_frame else np.zeros((0, 3), np.float32)
    if len(all_points) == 0:
        return sparse.csr_matrix((len(points_per_frame), 0))
    voxel_coords, point_to_voxel = geometry.voxelize(all_points, voxel_size)  # (V, 3), (P,)
    frame_of_point = np.repeat(np.arange(len(points_per_frame)), [len(p) for p in points_per_frame])  # (P,)
    counts = np.ones(len(all_points), dtype=np.float64)
    shape = (len(points_per_frame), len(voxel_coords))
    return sparse.csr_matrix((counts, (frame_of_point, point_to_voxel)), shape=shape)  # duplicates summed


def overlap_matrix(points_per_frame, voxel_size=0.05):
    """Symmetric ``(F, F)`` Pri3D overlap of every frame pair (diagonal = 1 for non-empty frames)."""
    counts = frame_voxel_incidence(points_per_frame, voxel_size)  # (F, V)
    occupied = (counts > 0).astype(np.float64)
    matched = (counts @ occupied.T).toarray()  # (F, F) pixels of i in voxels j sees
    num_pixels = np.asarray(counts.sum(axis=1)).ravel()  # (F,)
    total = num_pixels[:, None] + num_pixels[None, :]
    return np.divide(matched + matched.T, total, out=np.zeros_like(matched), where=total > 0)


def mine_scene_pairs(scene: SceneFrames, min_overlap=0.3, voxel_size=0.05) -> List[Tuple[int, int, float]]:
    """``(frame_i, frame_j, overlap)`` for i < j with overlap >= ``min_overlap``."""
    overlaps = overlap_matrix(scene.points, voxel_size)
    rows, cols = np.nonzero(np.triu(overlaps >= min_overlap, k=1))
    return [(scene.frame_ids[i], scene.frame_ids[j], float(overlaps[i, j])) for i, j in zip(rows, cols)]


def fuse_scene_voxels(scene: SceneFrames, voxel_size=0.02):
    """Scene point cloud fused from the depth frames as occupied voxels with mean RGB: ``coords (V, 3)`` int32
    voxel indices (world / voxel_size, floored) and ``colors (V, 3)`` uint8."""
    points = np.concatenate(scene.points) if scene.points else np.zeros((0, 3), np.float32)
    colors = np.concatenate(scene.colors) if scene.colors else np.zeros((0, 3), np.uint8)
    voxel_coords, point_to_voxel = geometry.voxelize(points, voxel_size)  # (V, 3), (P,)
    num = np.bincount(point_to_voxel, minlength=len(voxel_coords))[:, None]  # (V, 1)
    sums = np.stack([np.bincount(point_to_voxel, colors[:, c], len(voxel_coords)) for c in range(3)], 1)
    mean_colors = np.round(sums / np.maximum(num, 1)).astype(np.uint8)  # (V, 3)
    return np.asarray(voxel_coords, dtype=np.int32), mean_colors


def atomic_save_text(path, lines):
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.writelines(line + '\n' for line in lines)
    os.replace(tmp, path)


def atomic_save_npz(path, **arrays):
    tmp = f'{path}.tmp.{os.getpid()}.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def pair_line(scene_id, frame_i, frame_j, overlap):
    """A pairs.txt line: colour paths relative to the frames root, then the overlap."""
    return f'{scene_id}/color/{frame_i}.jpg {scene_id}/color/{frame_j}.jpg {overlap:.4f}'


def parse_pair_line(line, source='pairs file'):
    """``(scene_id, frame_i, frame_j, overlap)`` from a pairs.txt line."""
    fields = line.split()
    try:
        path_i, path_j = fields[0], fields[1]
        scene_id = path_i.split('/')[0]
        frame_i = int(osp.splitext(osp.basename(path_i))[0])
        frame_j = int(osp.splitext(osp.basename(path_j))[0])
        overlap = float(fields[2]) if len(fields) > 2 else float('nan')
    except (IndexError, ValueError) as err:
        raise DataError(f'{source}: bad pair line {line!r} (want "<scene>/color/<i>.jpg <scene>/color/<j>.jpg '
                         f'<overlap>")') from err
    return scene_id, frame_i, frame_j, overlap


def process_scene(frames_root, scene_id, work_dir, min_overlap=0.3, frame_skip=25, voxel_size=0.05,
                  pixel_stride=2, chunk_voxel_size: Optional[float] = 0.02):
    """Mine one scene into ``<work_dir>/pairs/<scene>.txt`` and ``<work_dir>/chunks/<scene>.npz`` (atomic).
    Returns the number of pairs; a scene whose result files exist is skipped (resumable)."""
    pair_file = osp.join(work_dir, 'pairs', f'{scene_id}.txt')
    chunk_file = osp.join(work_dir, 'chunks', f'{scene_id}.npz')
    if osp.isfile(pair_file) and (chunk_voxel_size is None or osp.isfile(chunk_file)):
        with open(pair_file) as f:
            return sum(1 for line in f if line.strip())
    scene = load_scene(frames_root, scene_id, frame_skip, pixel_stride, with_color=chunk_voxel_size is not None)
    if chunk_voxel_size is not None:
        coords, colors = fuse_scene_voxels(scene, chunk_voxel_size)
        atomic_save_npz(chunk_file, coords=coords, colors=colors, voxel_size=np.float32(chunk_voxel_size))
    pairs = mine_scene_pairs(scene, min_overlap, voxel_size)
    atomic_save_text(pair_file, [pair_line(scene_id, *pair) for pair in pairs])
    return len(pairs)


def merge_pair_files(work_dir, scene_ids: Sequence[str], out_file):
    lines = []
    for scene_id in scene_ids:
        with open(osp.join(work_dir, 'pairs', f'{scene_id}.txt')) as f:
            lines += [line.strip() for line in f if line.strip()]
    atomic_save_text(out_file, lines)
    return len(lines)
