"""Streaming reader of ScanNet ``.sens`` files (the format of ScanNet's SensorData.h / SensReader).

Little-endian layout::

    uint32 version (4) | uint64 name length, name bytes
    float32 4x4 intrinsic_color, extrinsic_color, intrinsic_depth, extrinsic_depth   (row-major)
    int32 color compression (-1 unknown, 0 raw, 1 png, 2 jpeg)
    int32 depth compression (-1 unknown, 0 raw_ushort, 1 zlib_ushort, 2 occi_ushort)
    uint32 color width, color height, depth width, depth height | float32 depth_shift | uint64 frame count
    per frame: float32 4x4 camera_to_world | uint64 color timestamp, depth timestamp, color bytes, depth bytes
               | color bytes | depth bytes
    (IMU data may follow the frames; it is ignored.)

The reader never holds more than one frame: it reads the 96-byte frame header and either reads the payload or
seeks past it. Depth is uint16 in ``depth_shift`` units per metre (1000 = millimetres). Every format problem
raises ``SensFormatError`` naming the file and the byte offset.
"""
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Iterator, Optional

import cv2
import numpy as np

from mask3d_mm.utils.errors import DataError

SENS_VERSION = 4
COLOR_COMPRESSION = {-1: 'unknown', 0: 'raw', 1: 'png', 2: 'jpeg'}
DEPTH_COMPRESSION = {-1: 'unknown', 0: 'raw_ushort', 1: 'zlib_ushort', 2: 'occi_ushort'}
SUPPORTED_COLOR = ('raw', 'png', 'jpeg')
SUPPORTED_DEPTH = ('raw_ushort', 'zlib_ushort')
MAX_IMAGE_SIDE = 16384  # larger than any RGB-D sensor; guards against garbage headers
MAX_NAME_BYTES = 1 << 16

_VERSION = struct.Struct('<I')
_UINT64 = struct.Struct('<Q')
_CAMERA_BLOCK = struct.Struct('<64f2i4If')  # 4 matrices, 2 compressions, 4 sizes, depth_shift
_FRAME_COUNT = _UINT64
FRAME_HEADER = struct.Struct('<16f4Q')  # camera_to_world, color/depth timestamps, color/depth byte counts


class SensFormatError(DataError):
    """A ``.sens`` file that does not follow the format; the message names the file and byte offset."""

    def __init__(self, path, offset, problem):
        super().__init__(f'{path}: byte {offset}: {problem}')
        self.path, self.offset, self.problem = str(path), offset, problem


@dataclass
class SensHeader:
    version: int
    sensor_name: str
    intrinsic_color: np.ndarray  # (4, 4) float32
    extrinsic_color: np.ndarray
    intrinsic_depth: np.ndarray
    extrinsic_depth: np.ndarray
    color_compression: str
    depth_compression: str
    color_width: int
    color_height: int
    depth_width: int
    depth_height: int
    depth_shift: float  # depth units per metre
    num_frames: int
    frames_offset: int  # byte offset of the first frame


@dataclass
class SensFrame:
    index: int
    camera_to_world: np.ndarray  # (4, 4) float32; -inf entries when the frame was not tracked
    timestamp_color: int
    timestamp_depth: int
    offset: int  # byte offset of the frame header
    color_data: bytes
    depth_data: bytes

    @property
    def color_offset(self):
        return self.offset + FRAME_HEADER.size

    @property
    def depth_offset(self):
        return self.color_offset + len(self.color_data)


class SensReader:
    """``with SensReader(path) as reader: for frame in reader.frames(frame_skip=25): ...``

    Opening parses and validates the header (and that the frame count fits the file); ``frames`` validates
    each frame header as it walks, so a truncated file fails at the first frame that does not fit.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = open(self.path, 'rb')
        try:
            self.file_size = os.fstat(self._file.fileno()).st_size
            self.header = self._read_header()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._file.close()

    def error(self, offset, problem):
        return SensFormatError(self.path, offset, problem)

    # ----------------------------------------------------------------------------------------------- header
    def _read_exact(self, num_bytes, what):
        offset = self._file.tell()
        data = self._file.read(num_bytes)
        if len(data) != num_bytes:
            raise self.error(offset, f'truncated file: {what} needs {num_bytes} bytes, only {len(data)} left '
                                     f'(file size {self.file_size})')
        return data

    def _read_header(self):
        version, = _VERSION.unpack(self._read_exact(_VERSION.size, 'version'))
        if version != SENS_VERSION:
            raise self.error(0, f'unsupported .sens version {version} (expected {SENS_VERSION}); not a ScanNet '
                                '.sens file?')
        name_offset = self._file.tell()
        name_len, = _UINT64.unpack(self._read_exact(_UINT64.size, 'sensor name length'))
        if name_len > MAX_NAME_BYTES or name_len > self.file_size - self._file.tell():
            raise self.error(name_offset, f'impossible sensor name length {name_len}')
        sensor_name = self._read_exact(name_len, 'sensor name').decode('utf-8', errors='replace')
        block_offset = self._file.tell()
        values = _CAMERA_BLOCK.unpack(self._read_exact(_CAMERA_BLOCK.size, 'camera block'))
        matrices = np.array(values[:64], dtype=np.float32).reshape(4, 4, 4)
        color_code, depth_code = values[64:66]
        color_w, color_h, depth_w, depth_h = values[66:70]
        depth_shift = values[70]
        compression_offset = block_offset + 64 * 4
        color_compression = self._compression(color_code, COLOR_COMPRESSION, SUPPORTED_COLOR, 'colour',
                                              compression_offset)
        depth_compression = self._compression(depth_code, DEPTH_COMPRESSION, SUPPORTED_DEPTH, 'depth',
                                              compression_offset + 4)
        sizes_offset = compression_offset + 8
        for what, size in (('colour width', color_w), ('colour height', color_h), ('depth width', depth_w),
                           ('depth height', depth_h)):
            if not 0 < size <= MAX_IMAGE_SIDE:
                raise self.error(sizes_offset, f'impossible {what} {size}')
        if not (np.isfinite(depth_shift) and depth_shift > 0):
            raise self.error(sizes_offset + 16, f'impossible depth_shift {depth_shift}')
        count_offset = self._file.tell()
        num_frames, = _FRAME_COUNT.unpack(self._read_exact(_FRAME_COUNT.size, 'frame count'))
        frames_offset = self._file.tell()
        if num_frames * FRAME_HEADER.size > self.file_size - frames_offset:
            raise self.error(count_offset, f'frame count {num_frames} cannot fit in the remaining '
                                           f'{self.file_size - frames_offset} bytes (truncated file?)')
        return SensHeader(version, sensor_name, *matrices, color_compression, depth_compression, color_w, color_h,
                          depth_w, depth_h, float(depth_shift), num_frames, frames_offset)

    def _compression(self, code, names, supported, what, offset):
        name = names.get(code)
        if name is None:
            raise self.error(offset, f'invalid {what} compression code {code} (known: {names})')
        if name not in supported:
            raise self.error(offset, f'{what} compression {name!r} ({code}) is not supported (supported: '
                                     f'{", ".join(supported)})')
        return name

    # ----------------------------------------------------------------------------------------------- frames
    def frames(self, frame_skip: int = 1, num_frames: Optional[int] = None) -> Iterator[SensFrame]:
        """Frames ``0, frame_skip, 2 * frame_skip, ...`` with their payloads; other frames are seeked past."""
        if frame_skip < 1:
            raise ValueError(f'frame_skip must be >= 1, got {frame_skip}')
        header = self.header
        offset = header.frames_offset
        for index in range(header.num_frames if num_frames is None else min(num_frames, header.num_frames)):
            self._file.seek(offset)
            values = FRAME_HEADER.unpack(self._read_exact(FRAME_HEADER.size, f'header of frame {index}'))
            color_bytes, depth_bytes = values[18:20]
            end = offset + FRAME_HEADER.size + color_bytes + depth_bytes
            if end > self.file_size:
                raise self.error(offset, f'truncated file: frame {index} declares {color_bytes} colour + '
                                         f'{depth_bytes} depth bytes, ending at byte {end} > file size '
                                         f'{self.file_size}')
            self._check_payload_sizes(index, offset, color_bytes, depth_bytes)
            if index % frame_skip == 0:
                color_data = self._file.read(color_bytes)
                depth_data = self._file.read(depth_bytes)
                pose = np.array(values[:16], dtype=np.float32).reshape(4, 4)
                yield SensFrame(index, pose, values[16], values[17], offset, color_data, depth_data)
            offset = end

    def _check_payload_sizes(self, index, offset, color_bytes, depth_bytes):
        header = self.header
        raw_color = header.color_width * header.color_height * 3
        raw_depth = header.depth_width * header.depth_height * 2
        if header.color_compression == 'raw' and color_bytes != raw_color:
            raise self.error(offset, f'frame {index}: raw colour of {color_bytes} bytes, expected {raw_color}')
        if header.depth_compression == 'raw_ushort' and depth_bytes != raw_depth:
            raise self.error(offset, f'frame {index}: raw depth of {depth_bytes} bytes, expected {raw_depth}')
        if color_bytes == 0 or depth_bytes == 0:
            raise self.error(offset, f'frame {index}: empty colour or depth payload')

    # ----------------------------------------------------------------------------------------------- decoding
    def decode_depth(self, frame: SensFrame) -> np.ndarray:
        """(depth_height, depth_width) uint16 in ``depth_shift`` units (0 = invalid)."""
        header = self.header
        data = frame.depth_data
        if header.depth_compression == 'zlib_ushort':
            try:
                data = zlib.decompress(data)
            except zlib.error as err:
                raise self.error(frame.depth_offset, f'frame {frame.index}: corrupted zlib depth block '
                                                     f'({err})') from None
        expected = header.depth_width * header.depth_height * 2
        if len(data) != expected:
            raise self.error(frame.depth_offset, f'frame {frame.index}: depth decodes to {len(data)} bytes, '
                                                 f'expected {expected} ({header.depth_width}x{header.depth_height} '
                                                 'uint16)')
        return np.frombuffer(data, dtype='<u2').reshape(header.depth_height, header.depth_width)

    def decode_color(self, frame: SensFrame, bgr: bool = False, reduce: int = 1) -> np.ndarray:
        """(H, W, 3) uint8, RGB (``bgr=False``) or cv2's BGR. ``reduce`` (1, 2, 4, 8) lets the JPEG decoder
        shrink in the DCT domain, which is much faster than decoding at full size and resizing."""
        header = self.header
        if header.color_compression == 'raw':
            rgb = np.frombuffer(frame.color_data, dtype=np.uint8).reshape(header.color_height, header.color_width, 3)
            return np.ascontiguousarray(rgb[..., ::-1]) if bgr else rgb
        flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 8: cv2.IMREAD_REDUCED_COLOR_8}[reduce if header.color_compression == 'jpeg' else 1]
        image = cv2.imdecode(np.frombuffer(frame.color_data, dtype=np.uint8), flags)
        if image is None:
            raise self.error(frame.color_offset, f'frame {frame.index}: cannot decode the '
                                                 f'{header.color_compression} colour image')
        full_size = (header.color_height, header.color_width)
        expected = tuple(-(-side // (reduce if flags != cv2.IMREAD_COLOR else 1)) for side in full_size)
        if image.shape[:2] != expected:
            raise self.error(frame.color_offset, f'frame {frame.index}: colour image is {image.shape[1]}x'
                                                 f'{image.shape[0]}, header says {header.color_width}x'
                                                 f'{header.color_height}')
        return image if bgr else image[..., ::-1]

    def check_jpeg(self, frame: SensFrame) -> None:
        """Cheap structural check of a JPEG that is copied without decoding: start and end markers."""
        data = frame.color_data
        if not (data[:2] == b'\xff\xd8' and data.rstrip(b'\x00').endswith(b'\xff\xd9')):
            raise self.error(frame.color_offset, f'frame {frame.index}: colour payload is not a complete JPEG '
                                                 '(missing start/end marker)')
