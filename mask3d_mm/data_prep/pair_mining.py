"""Pri3D frame-pair mining and per-scene voxel chunks from depth frames in the ScanNet frame layout.

Overlap of frames i, j -- the one definition used by mining, its test and the benchmark reference
(Pri3D sec. 3.1: "corresponding pixels in both frames divided by the total number of points in the two frames";
the correspondence test at 5 cm voxel resolution as in Pri3D's / PointContrast's pair preprocessing, which
voxel-downsamples every frame to 5 cm and matches within 1.5 voxels):

    every valid depth pixel (every ``pixel_stride``-th per axis) is put into the 5 cm voxel of its world point;
    pixel p of frame i has a counterpart in frame j when the centre of p's voxel lies within
    ``match_radius`` = 1.5 voxels of the centre of a voxel that frame j occupies (on the grid: the same voxel or
    one of its 6 face / 12 edge neighbours -- corners are sqrt(3) > 1.5 away);
    overlap(i, j) = (m_ij + m_ji) / (n_i + n_j), m_ij = pixels of i with a counterpart in j, n_i = pixels of i.

On exact synthetic depth this tracks the true co-visibility measured by ray casting (a pixel of i whose surface
point j sees unoccluded) to a few per cent (``tests/pri3d/test_pair_mining.py``); Pri3D keeps pairs with
overlap >= 0.3. All pairs of a scene come from sparse products instead of one KD-tree query per ordered pair:

    counts  C (F x V): pixels of frame f in voxel v          occupied  O = C > 0
    adjacency A (V x V): voxel centres within match_radius     near  N = (A @ O.T) > 0  (V x F)
    matched M = C @ N  (M[i, j] = m_ij)

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

from ..formats.frame_layout import frame_stems, read_matrix
from ..formats.pri3d_pairs import pair_line, parse_pair_line  # noqa: F401  (re-exported for the tools)
from ..utils.atomic_io import atomic_output, write_text_atomic


@dataclass
class SceneFrames:
    """World points (every ``pixel_stride``-th pixel) and colours of a scene's sampled frames."""
    scene_id: str
    frame_ids: List[int]
    points: List[np.ndarray]  # per frame (P_f, 3) float32 world
    colors: List[np.ndarray]  # per frame (P_f, 3) uint8 RGB


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


def list_scenes(frames_root, split=None):
    """Scene ids of ``splits/<split>.txt``, or every ``<scene>/depth`` folder under the root."""
    if not osp.isdir(frames_root):
        raise DataError(f'frames root {frames_root} does not exist')
    if split is not None:
        list_file = osp.join(frames_root, 'splits', f'{split}.txt')
        if not osp.isfile(list_file):
            raise DataError(f'scene list {list_file} does not exist')
        with open(list_file) as f:
            return [line.strip() for line in f if line.strip()]
    found = sorted(d for d in os.listdir(frames_root) if osp.isdir(osp.join(frames_root, d, 'depth')))
    if not found:
        raise DataError(f'no <scene>/depth folders under {frames_root}')
    return found


def sampled_frame_ids(scene_dir, frame_skip):
    """Every ``frame_skip``-th frame by position in the numerically sorted colour list (as RGBDFrameDataset)."""
    return [int(stem) for stem in frame_stems(osp.join(scene_dir, 'color'), '.jpg')[::frame_skip]]


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


def neighbour_offsets(match_radius):
    """Integer voxel offsets ``(K, 3)`` whose centre distance is <= ``match_radius`` voxels (1.5 -> 19)."""
    reach = int(np.floor(match_radius))
    steps = np.arange(-reach, reach + 1)
    offsets = np.stack(np.meshgrid(steps, steps, steps, indexing='ij'), -1).reshape(-1, 3)  # (K, 3)
    return offsets[(offsets ** 2).sum(1) <= match_radius ** 2]


def frame_voxel_counts(points_per_frame, voxel_size):
    """Sparse ``(F, V)`` pixel counts per frame and occupied voxel, and the voxels' keys ``(V,)`` (ascending
    ``geometry.voxel_hash``). Voxel of a point: ``floor(point / voxel_size)`` in the points' precision, the
    ``geometry.voxelize`` convention; hashed once for all points, then F small sorts (cheaper than one big one)."""
    sizes = [len(p) for p in points_per_frame]
    all_points = np.concatenate(points_per_frame) if sum(sizes) else np.zeros((0, 3), np.float32)
    cells = np.floor(all_points / np.asarray(voxel_size, all_points.dtype)).astype(np.int64)  # (P, 3)
    point_keys = geometry.voxel_hash(cells)  # (P,) range-checked
    per_frame = [np.unique(keys, return_counts=True) for keys in np.split(point_keys, np.cumsum(sizes)[:-1])]
    voxel_keys, columns = np.unique(np.concatenate([k for k, _ in per_frame]), return_inverse=True)  # (V,)
    rows = np.repeat(np.arange(len(sizes)), [len(k) for k, _ in per_frame])
    values = np.concatenate([c for _, c in per_frame]).astype(np.float64)
    counts = sparse.csr_matrix((values, (rows, columns)), shape=(len(sizes), len(voxel_keys)))
    return counts, voxel_keys


def voxel_adjacency(voxel_keys, offsets):
    """Sparse ``(V, V)`` 0/1 matrix: ``[a, b] = 1`` when voxel b is voxel a moved by one of ``offsets`` (a set
    closed under negation, e.g. ``neighbour_offsets``: only the half with a positive key step is looked up, the
    other half is its transpose).

    ``voxel_hash`` packs x, y, z into separate bit fields, so moving a voxel adds a constant to its key:
    ``hash(c + o) = hash(c) + hash(o) - hash(0)`` while every field stays in range (checked)."""
    coords = geometry.voxel_unhash(voxel_keys)  # (V, 3)
    if len(coords) and (coords.min() <= geometry.VOXEL_COORD_MIN or coords.max() >= geometry.VOXEL_COORD_MAX):
        raise ValueError('voxels at the edge of the hashable range; use a larger voxel_size')
    key_steps = geometry.voxel_hash(offsets) - geometry.voxel_hash(np.zeros(3, np.int64))  # (K,)
    rows, cols = [], []
    for step in key_steps[key_steps > 0]:
        pos = np.searchsorted(voxel_keys, voxel_keys + step).clip(max=max(len(voxel_keys) - 1, 0))
        found = voxel_keys[pos] == voxel_keys + step
        rows.append(np.flatnonzero(found))
        cols.append(pos[found])
    rows, cols = np.concatenate(rows + [np.zeros(0, np.int64)]), np.concatenate(cols + [np.zeros(0, np.int64)])
    num = len(voxel_keys)
    forward = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(num, num))
    adjacency = forward + forward.T
    if (key_steps == 0).any():
        adjacency = adjacency + sparse.identity(num, format='csr')
    return adjacency


def overlap_matrix(points_per_frame, voxel_size=0.05, match_radius=1.5):
    """Symmetric ``(F, F)`` overlap of every frame pair (module doc); diagonal = 1 for non-empty frames.

    ``points_per_frame``: world points ``(P_f, 3)`` of each frame's (strided) valid pixels.
    ``match_radius``: in voxels."""
    num_frames = len(points_per_frame)
    if sum(len(p) for p in points_per_frame) == 0:
        return np.zeros((num_frames, num_frames))
    counts, voxel_keys = frame_voxel_counts(points_per_frame, voxel_size)  # (F, V), (V,)
    occupied = (counts > 0).astype(np.float64)
    near = voxel_adjacency(voxel_keys, neighbour_offsets(match_radius)) @ occupied.T  # (V, F)
    near.data[:] = 1.0  # voxel v has a voxel of frame f within the radius
    matched = (counts @ near).toarray()  # (F, F) m_ij
    num_pixels = np.asarray(counts.sum(axis=1)).ravel()  # (F,)
    total = num_pixels[:, None] + num_pixels[None, :]
    return np.divide(matched + matched.T, total, out=np.zeros_like(matched), where=total > 0)


def mine_scene_pairs(scene: SceneFrames, min_overlap=0.3, voxel_size=0.05,
                     match_radius=1.5) -> List[Tuple[int, int, float]]:
    """``(frame_i, frame_j, overlap)`` for i < j with overlap >= ``min_overlap``."""
    overlaps = overlap_matrix(scene.points, voxel_size, match_radius)
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
    write_text_atomic(path, ''.join(line + '\n' for line in lines))


def atomic_save_npz(path, **arrays):
    with atomic_output(path) as tmp_path, open(tmp_path, 'wb') as f:  # a file object: savez appends no suffix
        np.savez_compressed(f, **arrays)


def process_scene(frames_root, scene_id, work_dir, min_overlap=0.3, frame_skip=25, voxel_size=0.05,
                  pixel_stride=2, chunk_voxel_size: Optional[float] = 0.02, match_radius=1.5):
    """Mine one scene into ``<work_dir>/pairs/<scene>.txt`` and ``<work_dir>/chunks/<scene>.npz`` (atomic).
    Returns the number of pairs; a scene whose result files exist is skipped (resumable)."""
    pair_file = osp.join(work_dir, 'pairs', f'{scene_id}.txt')
    chunk_file = osp.join(work_dir, 'chunks', f'{scene_id}.npz')
    if osp.isfile(pair_file) and (chunk_voxel_size is None or osp.isfile(chunk_file)):
        with open(pair_file) as f:
            return sum(1 for line in f if line.strip())
    for path in (pair_file, chunk_file):
        os.makedirs(osp.dirname(path), exist_ok=True)
    scene = load_scene(frames_root, scene_id, frame_skip, pixel_stride, with_color=chunk_voxel_size is not None)
    if chunk_voxel_size is not None:
        coords, colors = fuse_scene_voxels(scene, chunk_voxel_size)
        atomic_save_npz(chunk_file, coords=coords, colors=colors, voxel_size=np.float32(chunk_voxel_size))
    pairs = mine_scene_pairs(scene, min_overlap, voxel_size, match_radius)
    atomic_save_text(pair_file, [pair_line(scene_id, *pair) for pair in pairs])
    return len(pairs)


def merge_pair_files(work_dir, scene_ids: Sequence[str], out_file):
    lines = []
    for scene_id in scene_ids:
        with open(osp.join(work_dir, 'pairs', f'{scene_id}.txt')) as f:
            lines += [line.strip() for line in f if line.strip()]
    atomic_save_text(out_file, lines)
    return len(lines)
