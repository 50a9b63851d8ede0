"""Test helper: write ScanNet ``.sens`` files (the inverse of ``mask3d_mm.data_prep.converters.sens``).

Streams frames to disk (a benchmark file of hundreds of frames never sits in memory) and returns where each
frame's payloads landed, so tests can corrupt exact bytes. Colour arrays are RGB; depth is uint16 in
``depth_shift`` units.
"""
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional

import cv2
import numpy as np

COLOR_CODES = {'unknown': -1, 'raw': 0, 'png': 1, 'jpeg': 2}
DEPTH_CODES = {'unknown': -1, 'raw_ushort': 0, 'zlib_ushort': 1, 'occi_ushort': 2}
FRAME_HEADER = struct.Struct('<16f4Q')


@dataclass
class SensFrameData:
    """One frame to write: arrays, or already-encoded payloads (``color_bytes`` / ``depth_bytes``)."""
    camera_to_world: np.ndarray
    color: Optional[np.ndarray] = None  # (H, W, 3) uint8 RGB
    depth: Optional[np.ndarray] = None  # (H, W) uint16
    color_bytes: Optional[bytes] = None
    depth_bytes: Optional[bytes] = None
    timestamp_color: int = 0
    timestamp_depth: int = 0


@dataclass
class SensLayout:
    """Byte offsets of what was written (frame headers, colour and depth payloads)."""
    frame_offsets: List[int] = field(default_factory=list)
    color_offsets: List[int] = field(default_factory=list)
    depth_offsets: List[int] = field(default_factory=list)
    end_of_frames: int = 0


def encode_color(rgb, compression='jpeg', jpeg_quality=95):
    if compression == 'raw':
        return np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()
    ext, params = {'jpeg': ('.jpg', [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]), 'png': ('.png', [])}[compression]
    ok, data = cv2.imencode(ext, np.ascontiguousarray(rgb[..., ::-1]), params)
    assert ok
    return data.tobytes()


def encode_depth(depth, compression='zlib_ushort', level=1):
    raw = np.ascontiguousarray(depth, dtype='<u2').tobytes()
    return zlib.compress(raw, level) if compression == 'zlib_ushort' else raw


def write_sens(path, frames: Iterable[SensFrameData], *, color_size, depth_size, intrinsic_color,
               intrinsic_depth, extrinsic_color=None, extrinsic_depth=None, depth_shift=1000.0,
               color_compression='jpeg', depth_compression='zlib_ushort', sensor_name='StructureSensor',
               version=4, num_frames=None, trailing_bytes=b'', jpeg_quality=95) -> SensLayout:
    """Write a ``.sens``. ``color_size`` / ``depth_size`` are (width, height); K's may be 3x3 or 4x4.
    ``num_frames`` overrides the frame count in the header (to fake inconsistent files); ``trailing_bytes``
    stands in for the IMU block."""
    frames = list(frames) if num_frames is None else frames
    count = len(frames) if num_frames is None else num_frames
    matrices = [_as_4x4(m) for m in (intrinsic_color, extrinsic_color, intrinsic_depth, extrinsic_depth)]
    name = sensor_name.encode()
    layout = SensLayout()
    with open(path, 'wb') as f:
        f.write(struct.pack('<IQ', version, len(name)) + name)
        f.write(np.stack(matrices).astype('<f4').tobytes())
        f.write(struct.pack('<2i4IfQ', COLOR_CODES[color_compression], DEPTH_CODES[depth_compression],
                            *color_size, *depth_size, depth_shift, count))
        for frame in frames:
            color = frame.color_bytes if frame.color_bytes is not None else encode_color(
                frame.color, color_compression, jpeg_quality)
            depth = frame.depth_bytes if frame.depth_bytes is not None else encode_depth(
                frame.depth, depth_compression)
            layout.frame_offsets.append(f.tell())
            pose = np.asarray(frame.camera_to_world, dtype='<f4').reshape(16)
            f.write(FRAME_HEADER.pack(*pose, frame.timestamp_color, frame.timestamp_depth, len(color), len(depth)))
            layout.color_offsets.append(f.tell())
            f.write(color)
            layout.depth_offsets.append(f.tell())
            f.write(depth)
        layout.end_of_frames = f.tell()
        f.write(trailing_bytes)
    return layout


def _as_4x4(matrix):
    out = np.eye(4, dtype=np.float32)
    if matrix is not None:
        matrix = np.asarray(matrix, dtype=np.float32)
        out[:matrix.shape[0], :matrix.shape[1]] = matrix
    return out


# ------------------------------------------------------------------------------------------------ from a scene
@dataclass
class SceneRecording:
    """A frame-layout scene as a ``.sens`` would record it: JPEG bytes as they are on disk, depth in mm."""
    frames: List[SensFrameData]
    intrinsic_color: np.ndarray  # (4, 4)
    intrinsic_depth: np.ndarray
    color_size: tuple  # (width, height)
    depth_size: tuple

    def write(self, path, **overrides) -> SensLayout:
        kwargs = dict(color_size=self.color_size, depth_size=self.depth_size, intrinsic_color=self.intrinsic_color,
                      intrinsic_depth=self.intrinsic_depth)
        return write_sens(path, self.frames, **dict(kwargs, **overrides))


def record_scene(scene_dir, num_frames=None) -> SceneRecording:
    """Read ``color/``, ``depth/``, ``pose/`` and ``intrinsic/`` of a frame-layout scene into a ``SceneRecording``;
    ``num_frames`` > the scene's frames repeats them cyclically (a long recording from a short render)."""
    scene_dir = Path(scene_dir)
    stems = sorted((p.stem for p in (scene_dir / 'depth').glob('*.png')), key=int)
    frames = []
    for i in range(num_frames or len(stems)):
        stem = stems[i % len(stems)]
        frames.append(SensFrameData(
            camera_to_world=np.loadtxt(scene_dir / 'pose' / f'{stem}.txt'),
            color_bytes=(scene_dir / 'color' / f'{stem}.jpg').read_bytes(),
            depth=cv2.imread(str(scene_dir / 'depth' / f'{stem}.png'), cv2.IMREAD_UNCHANGED)))
    height, width = frames[0].depth.shape
    color_height, color_width = cv2.imdecode(np.frombuffer(frames[0].color_bytes, np.uint8), cv2.IMREAD_COLOR).shape[:2]
    intrinsics = [np.loadtxt(scene_dir / 'intrinsic' / f'intrinsic_{name}.txt') for name in ('color', 'depth')]
    return SceneRecording(frames, *intrinsics, (color_width, color_height), (width, height))
