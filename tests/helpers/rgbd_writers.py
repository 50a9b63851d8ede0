"""Test helper: write small captures in the layouts of TUM RGB-D, Redwood / Open3D, ARKitScenes raw and a plain
folder (the inverse of ``mask3d_mm.data_prep.converters.rgbd_sources``), written from the formats' published
descriptions, not from the reader.

A capture is a list of ``Frame``s (colour, depth in millimetres, time) and, for posed sources, a ``Motion``: the
camera moves with constant linear and angular velocity, so the pose at any time is known in closed form and an
interpolated pose can be checked exactly. Depth is kept on the millimetre grid, so every source's units convert to
the layout's millimetres without rounding.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import cv2
import numpy as np
from scipy.spatial.transform import Rotation


@dataclass
class Frame:
    color: np.ndarray  # (H, W, 3) uint8 BGR
    depth_mm: np.ndarray  # (h, w) uint16 millimetres, 0 = invalid
    time: float  # seconds


@dataclass
class Motion:
    """Camera-to-world at time t: rotation ``rotvec_per_s * (t - t0)``, position ``start + velocity * (t - t0)``
    (OpenCV camera axes); the frames' clock starts at ``t0``."""
    start: np.ndarray
    velocity: np.ndarray
    rotvec_per_s: np.ndarray
    t0: float = 1000.0

    def pose(self, t: float) -> np.ndarray:
        pose = np.eye(4)
        pose[:3, :3] = Rotation.from_rotvec(self.rotvec_per_s * (t - self.t0)).as_matrix()
        pose[:3, 3] = self.start + self.velocity * (t - self.t0)
        return pose


def textured_color(height, width, rng) -> np.ndarray:
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def random_frames(num, color_hw=(24, 32), depth_hw=None, rate=30.0, jitter=0.004, seed=0) -> List[Frame]:
    """Frames at ``rate`` Hz with timestamp jitter; depth 0.3-6 m on the mm grid with 20 % holes."""
    rng = np.random.default_rng(seed)
    depth_hw = depth_hw or color_hw
    frames = []
    for i in range(num):
        depth = rng.integers(300, 6000, depth_hw).astype(np.uint16)
        depth[rng.random(depth_hw) < 0.2] = 0
        frames.append(Frame(textured_color(*color_hw, rng), depth, 1000.0 + i / rate + rng.uniform(-jitter, jitter)))
    return frames


def plane_frames(num, width, height, depth_m, rate=30.0, seed=0) -> List[Frame]:
    """A fronto-parallel textured plane ``depth_m`` away in every frame (overlaps then depend on the motion only)."""
    rng = np.random.default_rng(seed)
    depth = np.full((height, width), int(round(depth_m * 1000)), np.uint16)
    return [Frame(textured_color(height, width, rng), depth.copy(), 1000.0 + i / rate) for i in range(num)]


def write_image(path: Path, image: np.ndarray, params=()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image, list(params)), path


# ------------------------------------------------------------------------------------------------- TUM RGB-D
def write_tum(root: Path, frames: Sequence[Frame], motion: Optional[Motion] = None, drop_depth=(),
              depth_time_offset=0.003, mocap_rate=100.0, name='rgbd_dataset_freiburg1_test') -> Path:
    """A TUM sequence: rgb/ + depth/ PNGs named by timestamp, rgb.txt / depth.txt (comment header as TUM's),
    depth in 1/5000 m; depth stamped ``depth_time_offset`` after colour; ``drop_depth``: frame positions without
    a depth image; groundtruth.txt sampled from ``motion`` at ``mocap_rate`` Hz over the frames' span."""
    seq = root / name
    rgb_lines, depth_lines = ['# color images', '# file: test', '# timestamp filename'], ['# depth maps']
    for i, frame in enumerate(frames):
        write_image(seq / 'rgb' / f'{frame.time:.6f}.png', frame.color)
        rgb_lines.append(f'{frame.time:.6f} rgb/{frame.time:.6f}.png')
        if i in drop_depth:
            continue
        t_depth = frame.time + depth_time_offset
        write_image(seq / 'depth' / f'{t_depth:.6f}.png', (frame.depth_mm.astype(np.uint32) * 5).astype(np.uint16))
        depth_lines.append(f'{t_depth:.6f} depth/{t_depth:.6f}.png')
    (seq / 'rgb.txt').write_text('\n'.join(rgb_lines) + '\n')
    (seq / 'depth.txt').write_text('\n'.join(depth_lines) + '\n')
    if motion is not None:
        times = np.arange(frames[0].time - 0.05, frames[-1].time + 0.05, 1 / mocap_rate)
        lines = ['# ground truth trajectory', '# timestamp tx ty tz qx qy qz qw']
        for t in np.round(times, 4):  # the pose of the time as written
            pose = motion.pose(t)
            qx, qy, qz, qw = Rotation.from_matrix(pose[:3, :3]).as_quat()
            lines.append(f'{t:.4f} ' + ' '.join(f'{v:.9f}' for v in (*pose[:3, 3], qx, qy, qz, qw)))
        (seq / 'groundtruth.txt').write_text('\n'.join(lines) + '\n')
    return seq


# ------------------------------------------------------------------------------------------------- Redwood
def write_redwood(root: Path, frames: Sequence[Frame], K: np.ndarray, poses: Optional[Sequence] = None,
                  name='redwood_capture') -> Path:
    """color/%06d.jpg, depth/%06d.png (mm), camera_intrinsic.json as Open3D writes it (column-major), and
    trajectory.log items ``i i i+1`` + 4x4 camera-to-world (redwood-data.org)."""
    seq = root / name
    for i, frame in enumerate(frames):
        write_image(seq / 'color' / f'{i:06d}.jpg', frame.color, [cv2.IMWRITE_JPEG_QUALITY, 90])
        write_image(seq / 'depth' / f'{i:06d}.png', frame.depth_mm)
    height, width = frames[0].color.shape[:2]
    intrinsic = dict(width=width, height=height, intrinsic_matrix=np.asarray(K, float).T.reshape(-1).tolist())
    (seq / 'camera_intrinsic.json').write_text(json.dumps(intrinsic, indent=4))
    if poses is not None:
        lines = []
        for i, pose in enumerate(poses):
            lines.append(f'{i} {i} {i + 1}')
            lines += [' '.join(f'{v:.10f}' for v in row) for row in pose]
        (seq / 'trajectory.log').write_text('\n'.join(lines) + '\n')
    return seq


# ------------------------------------------------------------------------------------------------- ARKitScenes
def write_arkitscenes(root: Path, frames: Sequence[Frame], K: np.ndarray, motion: Optional[Motion] = None,
                      drop_depth=(), traj_rate=10.0, video_id='41069021') -> Path:
    """<video>/lowres_wide/<video>_<t>.png, lowres_depth/ (mm), lowres_wide_intrinsics/*.pincam (w h fx fy cx cy),
    lowres_wide.traj (t, axis-angle, translation of world-to-camera) at ``traj_rate`` Hz."""
    seq = root / video_id
    for i, frame in enumerate(frames):
        stem = f'{video_id}_{frame.time:.3f}'
        write_image(seq / 'lowres_wide' / f'{stem}.png', frame.color)
        if i not in drop_depth:
            write_image(seq / 'lowres_depth' / f'{stem}.png', frame.depth_mm)
        height, width = frame.color.shape[:2]
        pincam = seq / 'lowres_wide_intrinsics' / f'{stem}.pincam'
        pincam.parent.mkdir(parents=True, exist_ok=True)
        pincam.write_text(f'{width} {height} {K[0, 0]} {K[1, 1]} {K[0, 2]} {K[1, 2]}\n')
    if motion is not None:
        lines = []
        for t in np.round(np.arange(frames[0].time - 0.1, frames[-1].time + 0.2, 1 / traj_rate), 3):
            world_to_camera = np.linalg.inv(motion.pose(t))
            rotvec = Rotation.from_matrix(world_to_camera[:3, :3]).as_rotvec()
            lines.append(f'{t:.3f} ' + ' '.join(f'{v:.9f}' for v in (*rotvec, *world_to_camera[:3, 3])))
        (seq / 'lowres_wide.traj').write_text('\n'.join(lines) + '\n')
    return seq


# ------------------------------------------------------------------------------------------------- plain folder
def write_folder(root: Path, frames: Sequence[Frame], depth_scale=1000.0, name='my_capture') -> Path:
    """color/<name>.png + depth/<name>.png (uint16, ``depth_scale`` units per metre), paired by name."""
    seq = root / name
    for i, frame in enumerate(frames):
        write_image(seq / 'color' / f'frame_{i:04d}.png', frame.color)
        units = np.rint(frame.depth_mm.astype(np.float64) * depth_scale / 1000).astype(np.uint16)
        write_image(seq / 'depth' / f'frame_{i:04d}.png', units)
    return seq


def intrinsics(fx, fy, cx, cy) -> np.ndarray:
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)


def tree_files(root: Path) -> List[str]:
    """Every file under ``root`` (relative paths), to check that nothing was written."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob('*') if p.is_file()) \
        if os.path.isdir(root) else []
