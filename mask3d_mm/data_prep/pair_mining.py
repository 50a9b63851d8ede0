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

Camera and key maths come from ``mask3d_mm.geometry``, file formats from ``mask3d_mm.formats``; this module only
counts. Results are resumable and never stale: each scene's options and frames are recorded in
``pairs/<scene>.json`` next to its results (see ``process_scene``).
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

from ..formats import frame_layout, pri3d_pairs
from ..utils.atomic_io import write_text_atomic

CHUNK_VOXEL_SIZE = 0.02  # voxel size (m) of the scene chunks: Pri3D's 2 cm

NOTE_FEW_FRAMES = 'fewer than 2 frames after the frame skip'
NOTE_NO_PAIRS = 'no pair reaches the minimum overlap'


@dataclass
class SceneFrames:
    """World points (every ``pixel_stride``-th pixel) and colours of a scene's sampled frames."""
    scene_id: str
    frame_ids: List[int]
    points: List[np.ndarray]  # per frame (P_f, 3) float32 world
    colors: List[np.ndarray]  # per frame (P_f, 3) uint8 RGB


def list_scenes(frames_root, split=None):
    """Scene ids of ``splits/<split>.txt``, or every ``<scene>/depth`` folder under the root."""
    if not osp.isdir(frames_root):
        raise DataError(f'frames root {frames_root} does not exist')
    if split is not None:
        return frame_layout.read_scene_list(frame_layout.split_path(frames_root, split))
    found = frame_layout.scene_dirs(frames_root, 'depth')
    if not found:
        raise DataError(f'no <scene>/depth folders under {frames_root}')
    return found


def require_poses(frames_root, scene_ids):
    """Pri3D's pairs and chunks need camera poses; a scene without a ``pose`` folder (frames converted from a source
    without poses, e.g. a plain colour + depth folder) can feed Mask3D only: a DataError naming the first one."""
    for scene_id in scene_ids:
        pose_dir = osp.join(frames_root, scene_id, 'pose')
        if not osp.isdir(pose_dir):
            raise DataError(f'{pose_dir}: no such folder: scene {scene_id} has no camera poses (converted from a '
                            'source without them), so its frames feed Mask3D only; Pri3D pairs need poses '
                            '(leave the scene out with --split)')


def sampled_frame_ids(scene_dir, frame_skip):
    """Every ``frame_skip``-th frame by position in the numerically sorted colour list (as RGBDFrameDataset)."""
    color_dir = osp.join(scene_dir, 'color')
    if not osp.isdir(color_dir):
        raise DataError(f'{color_dir}: no such folder (scene without colour frames)')
    return [int(stem) for stem in frame_layout.frame_stems(color_dir, '.jpg')[::frame_skip]]


def load_frame_points(scene_dir, frame_id, K, pixel_stride=1, with_color=False):
    """World points ``(P, 3)`` of a frame's valid depth pixels (and their RGB); empty for an invalid pose."""
    depth = frame_layout.read_depth(frame_layout.frame_path(scene_dir, 'depth', frame_id))
    pose = frame_layout.read_matrix(frame_layout.frame_path(scene_dir, 'pose', frame_id))
    if not geometry.is_valid_pose(pose):
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8)
    world = geometry.depth_to_world(depth, K, pose)[::pixel_stride, ::pixel_stride]  # (h, w, 3)
    valid = depth[::pixel_stride, ::pixel_stride] > 0  # (h, w)
    colors = np.zeros((int(valid.sum()), 3), np.uint8)
    if with_color:
        bgr = frame_layout.read_color(frame_layout.frame_path(scene_dir, 'color', frame_id), depth.shape)
        colors = bgr[::pixel_stride, ::pixel_stride][valid][:, ::-1]  # (P, 3) RGB
    return world[valid].astype(np.float32), colors  # (P, 3), (P, 3)


def load_scene(frames_root, scene_id, frame_skip=1, pixel_stride=1, with_color=False, frame_ids=None):
    scene_dir = osp.join(frames_root, scene_id)
    K = frame_layout.read_matrix(frame_layout.intrinsic_path(scene_dir))[:3, :3]
    frame_ids = sampled_frame_ids(scene_dir, frame_skip) if frame_ids is None else frame_ids
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
        neighbours = geometry.lookup_keys(voxel_keys, voxel_keys + step)  # (V,) -1 where absent
        found = neighbours >= 0
        rows.append(np.flatnonzero(found))
        cols.append(neighbours[found])
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


def fuse_scene_voxels(scene: SceneFrames, voxel_size=CHUNK_VOXEL_SIZE):
    """Scene point cloud fused from the depth frames as occupied voxels with mean RGB: ``coords (V, 3)`` int32
    voxel indices (world / voxel_size, floored) and ``colors (V, 3)`` uint8."""
    points = np.concatenate(scene.points) if scene.points else np.zeros((0, 3), np.float32)
    colors = np.concatenate(scene.colors) if scene.colors else np.zeros((0, 3), np.uint8)
    voxel_coords, point_to_voxel = geometry.voxelize(points, voxel_size)  # (V, 3), (P,)
    num = np.bincount(point_to_voxel, minlength=len(voxel_coords))[:, None]  # (V, 1)
    sums = np.stack([np.bincount(point_to_voxel, colors[:, c], len(voxel_coords)) for c in range(3)], 1)
    mean_colors = np.round(sums / np.maximum(num, 1)).astype(np.uint8)  # (V, 3)
    return np.asarray(voxel_coords, dtype=np.int32), mean_colors


# ------------------------------------------------------------------------------------------------- per scene
@dataclass
class MinedScene:
    """What ``process_scene`` did for one scene; ``note`` says why a scene gave no pairs."""
    scene_id: str
    status: str  # 'mined' or 'already done'
    num_frames: int = 0  # frames used after the frame skip
    num_pairs: int = 0
    note: str = ''


def mining_options(min_overlap=0.3, frame_skip=1, voxel_size=0.05, pixel_stride=2, chunk_voxel_size=CHUNK_VOXEL_SIZE,
                   match_radius=1.5):
    """The options a scene's results depend on, as recorded in its marker."""
    return dict(min_overlap=min_overlap, frame_skip=frame_skip, voxel_size=voxel_size, pixel_stride=pixel_stride,
                chunk_voxel_size=chunk_voxel_size, match_radius=match_radius)


def marker_path(work_dir, scene_id):
    return osp.join(work_dir, 'pairs', f'{scene_id}.json')


def read_marker(work_dir, scene_id):
    """A scene's recorded ``{options, frame_ids, result}``, or None (never mined, or by an older version)."""
    try:
        with open(marker_path(work_dir, scene_id)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None  # markers are written atomically: unreadable means absent


def check_previous_options(work_dir, scene_ids: Sequence[str], options: dict):
    """Refuse to mix results of other options into one output (a DataError naming the first such scene)."""
    differing = [s for s in scene_ids if (m := read_marker(work_dir, s)) is not None and m['options'] != options]
    if differing:
        previous = read_marker(work_dir, differing[0])['options']
        changed = {k: (previous.get(k), v) for k, v in options.items() if previous.get(k) != v}
        raise DataError(f'{marker_path(work_dir, differing[0])}: {len(differing)} scene(s) under {work_dir} were '
                        f'mined with other options ({", ".join(f"{k}: {a} -> {b}" for k, (a, b) in changed.items())}); '
                        'pass --overwrite to re-mine them, or choose another --out')


def _previous_result(work_dir, scene_id, options, frame_ids, overwrite):
    """The recorded result when it is still valid for these options and frames, else None."""
    marker = read_marker(work_dir, scene_id)
    if marker is None or overwrite:
        return None
    if marker['options'] != options:
        check_previous_options(work_dir, [scene_id], options)
    chunk_file = pri3d_pairs.chunk_path(pri3d_pairs.chunks_dir(work_dir), scene_id)
    files_there = osp.isfile(pri3d_pairs.scene_pairs_path(work_dir, scene_id)) and (
        options['chunk_voxel_size'] is None or osp.isfile(chunk_file))
    if marker['frame_ids'] != frame_ids or not files_there:
        return None  # the frames changed (re-extracted) or a result file is gone: mine again
    return MinedScene(**dict(marker['result'], status='already done'))


def process_scene(frames_root, scene_id, work_dir, min_overlap=0.3, frame_skip=1, voxel_size=0.05,
                  pixel_stride=2, chunk_voxel_size: Optional[float] = CHUNK_VOXEL_SIZE, match_radius=1.5,
                  overwrite=False) -> MinedScene:
    """Mine one scene into ``<work_dir>/pairs/<scene>.txt`` and ``<work_dir>/chunks/<scene>.npz`` (atomic), then
    record options, frames and result in ``pairs/<scene>.json``. A scene recorded with the same options and
    frames is not redone; one recorded with other options is a DataError unless ``overwrite``."""
    options = mining_options(min_overlap, frame_skip, voxel_size, pixel_stride, chunk_voxel_size, match_radius)
    frame_ids = sampled_frame_ids(osp.join(frames_root, scene_id), frame_skip)
    previous = _previous_result(work_dir, scene_id, options, frame_ids, overwrite)
    if previous is not None:
        return previous
    os.makedirs(osp.join(work_dir, 'pairs'), exist_ok=True)
    scene = load_scene(frames_root, scene_id, pixel_stride=pixel_stride, with_color=chunk_voxel_size is not None,
                       frame_ids=frame_ids)
    if chunk_voxel_size is not None:
        os.makedirs(pri3d_pairs.chunks_dir(work_dir), exist_ok=True)
        coords, colors = fuse_scene_voxels(scene, chunk_voxel_size)
        pri3d_pairs.write_chunk(pri3d_pairs.chunk_path(pri3d_pairs.chunks_dir(work_dir), scene_id), coords, colors,
                                chunk_voxel_size)
    pairs = mine_scene_pairs(scene, min_overlap, voxel_size, match_radius)
    pri3d_pairs.write_pair_lines(pri3d_pairs.scene_pairs_path(work_dir, scene_id),
                                 [pri3d_pairs.pair_line(scene_id, *pair) for pair in pairs])
    note = NOTE_FEW_FRAMES if len(frame_ids) < 2 else (NOTE_NO_PAIRS if not pairs else '')
    result = MinedScene(scene_id, 'mined', num_frames=len(frame_ids), num_pairs=len(pairs), note=note)
    write_text_atomic(marker_path(work_dir, scene_id),
                      json.dumps(dict(options=options, frame_ids=frame_ids, result=asdict(result)), indent=1))
    return result


def merge_pair_files(work_dir, scene_ids: Sequence[str], out_file):
    lines = []
    for scene_id in scene_ids:
        lines += pri3d_pairs.read_pair_lines(pri3d_pairs.scene_pairs_path(work_dir, scene_id))
    pri3d_pairs.write_pair_lines(out_file, lines)
    return len(lines)


def format_summary(results: Sequence[MinedScene], num_pairs: int, out_file: str, frame_skip: int) -> str:
    """Scenes by status, the pair count, and every scene without pairs grouped by reason."""
    by_status = {status: sum(r.status == status for r in results) for status in ('mined', 'already done')}
    lines = [f'scenes: {len(results)} ({", ".join(f"{n} {k}" for k, n in by_status.items())})',
             f'{num_pairs} pairs from {len(results)} scenes -> {out_file}']
    for note in (NOTE_FEW_FRAMES, NOTE_NO_PAIRS):
        scenes = [r.scene_id for r in results if r.note == note]
        if scenes:
            detail = f' (frame skip {frame_skip})' if note == NOTE_FEW_FRAMES else ''
            lines.append(f'scenes without pairs, {note}{detail}: {len(scenes)} ({", ".join(scenes[:10])}'
                         f'{", ..." if len(scenes) > 10 else ""})')
    return '\n'.join(lines)
