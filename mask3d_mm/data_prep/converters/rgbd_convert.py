"""Write indexed RGB-D captures (``rgbd_sources``) into the frame layout (data/README.md), one scene per capture.

Per scene ``<out>/<scene>/``: ``color/<N>.jpg``, ``depth/<N>.png`` (uint16 mm through ``frame_layout.encode_depth``,
the layout's one overflow rule), ``pose/<N>.txt`` when the source has poses (camera-to-world, OpenCV axes) and
``intrinsic/{intrinsic,extrinsic}_{color,depth}.txt``. Colour and depth are written at one size per scene: ``size``
when given, else the first frame's depth size (colour of another size is resized to it, as ``LoadRGBDFromFile``
does for ScanNet), with the intrinsics scaled by the shared rule (``scene_output``); depth is registered to colour
in all these sources, so both intrinsics files hold the same K and the extrinsics are the identity. A JPEG colour
image that needs no resize is copied byte for byte.

Kept: frames whose depth is valid (> 0 after the mm encoding) on at least ``min_valid_fraction`` of the pixels;
the others are skipped and counted, as are frames the index dropped (no depth partner, no pose). The scene's K
is the median of its frames' (ARKitScenes has one per frame, refocusing moves them slightly); the largest relative
deviation of a frame's K from it is recorded in the result.

Resumable and atomic like ``extract_sens.py`` (``scene_output``): files are written atomically, markers record the
options. A bad image (unreadable, 8-bit or float depth) stops with a DataError naming the file, and the scene's
partial output is removed, so nothing half-written remains; a capture with no usable frame is a DataError too.
"""
import os.path as osp
import shutil
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mask3d_mm.utils.errors import DataError

from ...formats.frame_layout import (
    decode_color,
    decode_depth,
    encode_depth,
    frame_path,
    intrinsic_path,
    read_file_bytes,
    split_path,
    write_scene_list,
)
from ...utils.atomic_io import write_bytes_atomic, write_image_atomic, write_matrix_atomic
from ..parallel import run_parallel
from .rgbd_sources import SourceFrame, SourceSequence
from .scene_output import (
    done_scenes,
    finish_scene,
    prepare_scene_dir,
    remove_scene_output,
    resize_color,
    resize_depth,
    resized_intrinsics,
)

SKIP_FEW_VALID = 'depth valid on too few pixels'
JPEG_SUFFIXES = ('.jpg', '.jpeg')


@dataclass
class ConvertOptions:
    size: Optional[Tuple[int, int]] = None  # (W, H) of colour and depth; None: the first frame's depth size
    min_valid_fraction: float = 0.1
    jpeg_quality: int = 95
    overwrite: bool = False
    index_params: dict = field(default_factory=dict)  # the indexing options, recorded with the scene

    def marker_params(self, sequence: SourceSequence) -> dict:
        return dict(format=sequence.format, src=osp.abspath(sequence.src), size=list(self.size) if self.size
                    else None, min_valid_fraction=self.min_valid_fraction, **self.index_params)


@dataclass
class ConvertResult:
    scene_id: str
    status: str  # 'converted' or 'already done'
    posed: bool = False
    num_source_frames: int = 0  # colour frames after the frame skip
    frames_written: int = 0
    skipped: Dict[str, int] = field(default_factory=dict)  # reason -> frames
    intrinsics_spread: float = 0.0  # largest relative deviation of a frame's K from the scene's
    frames: List[list] = field(default_factory=list)  # [N, colour file, depth file, timestamp] per written frame
    seconds: float = 0.0


OUTPUT_DIRS = ('color', 'depth', 'intrinsic', 'pose')  # pose/ only stays for a source with poses


class _SceneWriter:
    """Writes the frames of one sequence at one size."""

    def __init__(self, sequence: SourceSequence, scene_dir: str, options: ConvertOptions):
        self.sequence, self.scene_dir, self.options = sequence, scene_dir, options
        self.size = tuple(options.size) if options.size else None  # (W, H), set by the first frame otherwise
        self.intrinsics: List[np.ndarray] = []

    def write(self, frame: SourceFrame) -> bool:
        """Write one frame; False when its depth has too few valid pixels."""
        depth_m = decode_depth(read_file_bytes(frame.depth_path), frame.depth_path, self.sequence.depth_scale)
        color_bytes = read_file_bytes(frame.color_path)
        bgr = decode_color(color_bytes, frame.color_path)  # (h, w, 3)
        self.size = self.size or (depth_m.shape[1], depth_m.shape[0])
        depth_mm = resize_depth(encode_depth(depth_m), self.size)  # (H, W) uint16
        if np.count_nonzero(depth_mm) < self.options.min_valid_fraction * depth_mm.size:
            return False
        camera = frame.camera or self.sequence.camera
        camera_size = camera.size_wh or (bgr.shape[1], bgr.shape[0])
        self.intrinsics.append(resized_intrinsics(camera.K, camera_size, self.size))
        color_path = frame_path(self.scene_dir, 'color', frame.index)
        if (bgr.shape[1], bgr.shape[0]) == self.size and frame.color_path.lower().endswith(JPEG_SUFFIXES):
            write_bytes_atomic(color_path, color_bytes)
        else:
            write_image_atomic(color_path, resize_color(bgr, self.size),
                               [cv2.IMWRITE_JPEG_QUALITY, self.options.jpeg_quality])
        write_image_atomic(frame_path(self.scene_dir, 'depth', frame.index), depth_mm)
        if frame.pose is not None:
            write_matrix_atomic(frame_path(self.scene_dir, 'pose', frame.index), frame.pose)
        return True

    def write_intrinsics(self) -> float:
        """The scene's K (median of the frames') into both intrinsics files; returns the frames' largest
        relative deviation from it."""
        stacked = np.stack(self.intrinsics)  # (F, 3, 3)
        K = np.eye(4)
        K[:3, :3] = np.median(stacked, axis=0)
        for sensor in ('color', 'depth'):
            write_matrix_atomic(intrinsic_path(self.scene_dir, sensor), K)
            write_matrix_atomic(osp.join(self.scene_dir, 'intrinsic', f'extrinsic_{sensor}.txt'), np.eye(4))
        params = stacked[:, [0, 1, 0, 1], [0, 1, 2, 2]]  # (F, 4) fx fy cx cy
        reference = K[[0, 1, 0, 1], [0, 1, 2, 2]]
        return float(np.max(np.abs(params - reference) / np.abs(reference)))


def convert_sequence(sequence: SourceSequence, out_root: str, options: ConvertOptions) -> ConvertResult:
    """Convert one indexed capture into ``<out_root>/<scene_id>``; a scene done with the same options is kept."""
    start = time.perf_counter()
    scene_dir = osp.join(out_root, sequence.scene_id)
    params = options.marker_params(sequence)
    done = prepare_scene_dir(scene_dir, params, options.overwrite, OUTPUT_DIRS)
    if done is not None:
        return ConvertResult(**dict(done['result'], status='already done'))
    if not sequence.posed:  # no pose folder at all: what tells mine_pairs.py the scene is Mask3D-only
        shutil.rmtree(osp.join(scene_dir, 'pose'))
    try:
        result = _write_scene(sequence, scene_dir, options)
    except BaseException:
        remove_scene_output(scene_dir, OUTPUT_DIRS)  # nothing half-written survives an error
        raise
    result.seconds = round(time.perf_counter() - start, 3)
    finish_scene(scene_dir, params, asdict(result))
    return result


def _write_scene(sequence: SourceSequence, scene_dir: str, options: ConvertOptions) -> ConvertResult:
    writer = _SceneWriter(sequence, scene_dir, options)
    result = ConvertResult(sequence.scene_id, 'converted', posed=sequence.posed,
                           num_source_frames=sequence.num_source_frames, skipped=dict(sequence.skipped))
    for frame in sequence.frames:
        if not writer.write(frame):
            result.skipped[SKIP_FEW_VALID] = result.skipped.get(SKIP_FEW_VALID, 0) + 1
            continue
        result.frames.append([frame.index, osp.relpath(frame.color_path, sequence.src),
                              osp.relpath(frame.depth_path, sequence.src), frame.timestamp])
    if not result.frames:
        reasons = ', '.join(f'{reason}: {n}' for reason, n in sorted(result.skipped.items())) or 'no frames listed'
        raise DataError(f'{sequence.src}: no usable frame ({sequence.num_source_frames} colour frames; {reasons})')
    result.frames_written = len(result.frames)
    result.intrinsics_spread = writer.write_intrinsics()
    return result


def _init_worker():
    cv2.setNumThreads(1)  # the pool already uses the cores


def convert_sequences(sequences: Sequence[SourceSequence], out_root: str, options: ConvertOptions,
                      workers: int = 1, progress: bool = True) -> List[ConvertResult]:
    """Convert every sequence, ``workers`` in parallel; the first DataError stops the run (``run_parallel``)."""
    return run_parallel(partial(convert_sequence, out_root=out_root, options=options), sequences, workers,
                        desc='convert' if progress else None, initializer=_init_worker)


def write_splits(out_root: str) -> List[str]:
    """``splits/all.txt`` and ``splits/train.txt``: every finished scene under ``out_root`` (these captures have
    no labels, so there is nothing to validate on); returns the summary lines."""
    scene_ids = done_scenes(out_root)
    for name in ('all', 'train'):
        write_scene_list(split_path(out_root, name), scene_ids)
    return [f'splits/all.txt, splits/train.txt: {len(scene_ids)} scenes under {out_root}']


def format_summary(results: Sequence[ConvertResult]) -> str:
    """Scenes by status (posed or not), frames written / skipped by reason."""
    skipped: Dict[str, int] = {}
    for result in results:
        for reason, n in result.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
    converted = sum(r.status == 'converted' for r in results)
    unposed = [r.scene_id for r in results if not r.posed]
    lines = [f'scenes: {len(results)} ({converted} converted, {len(results) - converted} already done; '
             f'{len(results) - len(unposed)} with poses)',
             f'frames written: {sum(r.frames_written for r in results)} of '
             f'{sum(r.num_source_frames for r in results)} colour frames after the frame skip',
             f'frames skipped: {sum(skipped.values())}'
             + (f' ({", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items()))})' if skipped else '')]
    if unposed:
        lines.append(f'without poses (Mask3D only; mine_pairs.py refuses them): {", ".join(unposed[:10])}'
                     f'{", ..." if len(unposed) > 10 else ""}')
    spread = max((r.intrinsics_spread for r in results), default=0.0)
    if spread > 0:
        lines.append(f'intrinsics: frames deviate from their scene\'s K by up to {100 * spread:.2f} %')
    return '\n'.join(lines)
