"""Extract ScanNet ``.sens`` files into the frame layout (CONTRIBUTING.md): every Nth frame's colour, depth, pose.

Per scene ``<out>/<scene>/``: ``color/<N>.jpg``, ``depth/<N>.png`` (uint16 mm), ``pose/<N>.txt`` and
``intrinsic/{intrinsic,extrinsic}_{color,depth}.txt``; N is the frame's index in the ``.sens``.

Speed: only the selected frames are read (the others are seeked past). When the colour is JPEG and no resize
is asked for, the JPEG bytes are written straight through (no decode, no re-encode: exact and fast); otherwise
JPEGs are decoded shrunk in the DCT domain where the size allows it (``IMREAD_REDUCED_COLOR_{2,4,8}``), resized
(area when shrinking, linear when enlarging) and re-encoded. Depth is resized nearest (``INTER_NEAREST_EXACT``:
the source pixel whose extent holds the target pixel centre), and the intrinsics are scaled with
``geometry.scale_intrinsics`` (pixel centres at integer coordinates), so backprojection stays consistent.

Scene lists: after every run ``splits/all.txt`` lists every scene extracted under the output root, and
``splits/train.txt`` / ``splits/val.txt`` are ScanNet's official ``scannetv2_{train,val}.txt`` restricted to those
scenes when ``--splits-dir`` holds them; without it ``splits/train.txt`` lists all extracted scenes (said in the
summary). So ``RGBDFrameDataset(scenes='splits/train.txt')`` reads the output as it is.

Robustness: files are written atomically; ``.extract_in_progress.json`` marks a scene not finished (being
extracted, interrupted, or failed: then it also holds the error and the counts) and ``.extract_done.json`` (with
the per-scene stats) a finished one, so a re-run skips finished scenes and redoes all others. Frames with a
non-finite or non-rigid pose are skipped and counted. A failing scene (a missing or broken ``.sens``: truncated,
corrupted) does not stop the others; it keeps the frames written before the error, stays marked in progress (not
in the splits), and ``report_failures`` gives one ``error:`` line for it (file and byte offset, frames written of
those the header declares).
"""
import os
import os.path as osp
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

from ...formats.frame_layout import encode_depth, read_scene_list, split_path, write_scene_list
from ...utils.atomic_io import write_bytes_atomic, write_image_atomic, write_matrix_atomic
from ..parallel import run_parallel
from .scene_output import (  # noqa: F401  (the markers: re-exported for the extractor's users)
    DONE_MARKER,
    PROGRESS_MARKER,
    done_scenes,
    finish_scene,
    leave_unfinished,
    prepare_scene_dir,
    resize_color,
    resize_depth,
    resized_intrinsics,
)
from .sens import SensFrame, SensReader

OUTPUT_DIRS = ('color', 'depth', 'pose', 'intrinsic')
SKIP_NON_FINITE_POSE = 'pose has inf/NaN'
SKIP_NON_RIGID_POSE = 'pose is not rigid'
JPEG_REDUCTIONS = (8, 4, 2)


@dataclass
class ExtractOptions:
    frame_skip: int = 1
    size: Optional[Tuple[int, int]] = None  # (width, height) of colour and depth output; None = as recorded
    jpeg_quality: int = 95  # only used when the colour has to be re-encoded
    overwrite: bool = False  # redo scenes already extracted (also needed to change frame_skip / size)

    def marker_params(self):
        return dict(frame_skip=self.frame_skip, size=list(self.size) if self.size else None)


@dataclass
class SceneResult:
    scene_id: str
    status: str  # 'extracted', 'already done' or 'failed'
    num_frames: int = 0  # frames in the .sens (as its header declares them)
    frames_written: int = 0
    skipped: Dict[str, List[int]] = field(default_factory=dict)  # reason -> frame indices
    error: str = ''
    bad_input: bool = False  # the failure is the input's (a missing or broken .sens), not the extractor's
    seconds: float = 0.0

    def fail(self, error: Exception, sens_path: str, start: float) -> 'SceneResult':
        """This result as failed by ``error`` (counts kept: what was written before it stays on disk)."""
        self.status, self.bad_input = 'failed', isinstance(error, DataError)
        self.error = str(error) if self.bad_input else f'{sens_path}: {type(error).__name__}: {error}'
        self.seconds = round(time.perf_counter() - start, 3)
        return self


# ------------------------------------------------------------------------------------------------- one scene
def extract_scene(sens_path: str, scene_dir: str, options: ExtractOptions) -> SceneResult:
    """Extract one ``.sens`` into ``scene_dir``; a scene already done with the same options is not redone.
    A broken ``.sens`` ends the scene as 'failed', with the frames written before the error counted and the
    scene left marked in progress (a re-run redoes it)."""
    start = time.perf_counter()
    previous = _prepare_scene_dir(scene_dir, options)
    if previous is not None:
        return previous
    result = SceneResult(osp.basename(osp.normpath(scene_dir)), 'extracted')
    try:
        _extract_frames(sens_path, scene_dir, options, result)
    except Exception as error:  # noqa: BLE001  (reported per scene, the run goes on)
        result.fail(error, sens_path, start)
        written = (f'{result.frames_written} of {result.num_frames} frames written' if result.num_frames
                   else 'nothing written')  # the header itself is broken
        result.error += f' ({written}; the scene stays marked unfinished in {PROGRESS_MARKER}, a re-run redoes it)'
        leave_unfinished(scene_dir, options.marker_params(), asdict(result))
        return result
    result.seconds = round(time.perf_counter() - start, 3)
    finish_scene(scene_dir, options.marker_params(), asdict(result))
    return result


def _extract_frames(sens_path: str, scene_dir: str, options: ExtractOptions, result: SceneResult) -> None:
    """Write the scene's intrinsics and selected frames, counting into ``result`` as it goes."""
    with SensReader(sens_path) as reader:
        result.num_frames = reader.header.num_frames
        writer = _FrameWriter(reader, scene_dir, options)
        writer.write_intrinsics()
        for frame in reader.frames(options.frame_skip):
            reason = pose_problem(frame.camera_to_world)
            if reason:
                result.skipped.setdefault(reason, []).append(frame.index)
                continue
            writer.write_frame(frame)
            result.frames_written += 1


def pose_problem(camera_to_world: np.ndarray) -> str:
    """Why a pose cannot be used ('' if it can): ScanNet writes -inf for frames the tracker lost."""
    if not np.isfinite(camera_to_world).all():
        return SKIP_NON_FINITE_POSE
    if not geometry.is_valid_pose(camera_to_world.astype(np.float64)):
        return SKIP_NON_RIGID_POSE
    return ''


def _prepare_scene_dir(scene_dir, options) -> Optional[SceneResult]:
    """The previous result if the scene is done with these options; else get the folder ready to (re)extract."""
    done = prepare_scene_dir(scene_dir, options.marker_params(), options.overwrite, OUTPUT_DIRS)
    return None if done is None else SceneResult(**dict(done['result'], status='already done'))


class _FrameWriter:
    """Turns ``SensFrame``s into the layout's files at the requested size."""

    def __init__(self, reader: SensReader, scene_dir: str, options: ExtractOptions):
        header = reader.header
        self.reader, self.scene_dir, self.options = reader, scene_dir, options
        self.color_source = (header.color_width, header.color_height)
        self.depth_source = (header.depth_width, header.depth_height)
        self.color_size = tuple(options.size or self.color_source)  # (W, H)
        self.depth_size = tuple(options.size or self.depth_source)
        self.copy_jpeg = header.color_compression == 'jpeg' and self.color_size == self.color_source
        self.jpeg_reduction = _jpeg_reduction(self.color_source, self.color_size) \
            if header.color_compression == 'jpeg' else 1
        self.depth_to_mm = 1000.0 / header.depth_shift

    def write_intrinsics(self):
        header = self.reader.header
        folder = osp.join(self.scene_dir, 'intrinsic')
        for name, K, source, target in (('color', header.intrinsic_color, self.color_source, self.color_size),
                                        ('depth', header.intrinsic_depth, self.depth_source, self.depth_size)):
            write_matrix_atomic(osp.join(folder, f'intrinsic_{name}.txt'), resized_intrinsics(K, source, target))
        write_matrix_atomic(osp.join(folder, 'extrinsic_color.txt'), header.extrinsic_color)
        write_matrix_atomic(osp.join(folder, 'extrinsic_depth.txt'), header.extrinsic_depth)

    def write_frame(self, frame: SensFrame):
        self.write_color(frame, osp.join(self.scene_dir, 'color', f'{frame.index}.jpg'))
        write_image_atomic(osp.join(self.scene_dir, 'depth', f'{frame.index}.png'), self.depth_mm(frame))
        write_matrix_atomic(osp.join(self.scene_dir, 'pose', f'{frame.index}.txt'), frame.camera_to_world)

    def write_color(self, frame, path):
        if self.copy_jpeg:
            self.reader.check_jpeg(frame)
            write_bytes_atomic(path, frame.color_data)
            return
        bgr = resize_color(self.reader.decode_color(frame, bgr=True, reduce=self.jpeg_reduction), self.color_size)
        write_image_atomic(path, bgr, [cv2.IMWRITE_JPEG_QUALITY, self.options.jpeg_quality])

    def depth_mm(self, frame) -> np.ndarray:
        """(H, W) uint16 millimetres at the output size; depths beyond 65.535 m become 0 (invalid)."""
        depth = self.reader.decode_depth(frame)  # (h, w) uint16, depth_shift units
        if self.depth_to_mm != 1.0:  # the layout's one overflow rule (formats.frame_layout.encode_depth)
            depth = encode_depth(depth / self.reader.header.depth_shift)
        return resize_depth(depth, self.depth_size)


def _jpeg_reduction(source, target):
    """Largest DCT-domain shrink factor that divides the source size and stays >= the target size."""
    for factor in JPEG_REDUCTIONS:
        if all(s % factor == 0 and s // factor >= t for s, t in zip(source, target)):
            return factor
    return 1


# ------------------------------------------------------------------------------------------------- many scenes
def find_sens_files(sens_root: str, scene_ids: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """(scene id, path) of ``<sens_root>/<scene>/<scene>.sens``, for the given scenes or all found ones.
    A listed scene without its file is kept (its extraction fails with a clear message)."""
    if not osp.isdir(sens_root):
        raise DataError(f'--sens-root {sens_root}: no such folder')
    if scene_ids is None:
        scene_ids = sorted(name for name in os.listdir(sens_root)
                           if osp.isfile(osp.join(sens_root, name, f'{name}.sens')))
        if not scene_ids:
            raise DataError(f'{sens_root}: no <scene>/<scene>.sens files found')
    return [(scene_id, osp.join(sens_root, scene_id, f'{scene_id}.sens')) for scene_id in scene_ids]


def extract_one(scene_id: str, sens_path: str, out_root: str, options: ExtractOptions) -> SceneResult:
    """``extract_scene`` that reports failures instead of raising (one bad scene must not stop the rest)."""
    start = time.perf_counter()
    try:
        if not osp.isfile(sens_path):
            raise DataError(f'{sens_path}: no such .sens file')
        return extract_scene(sens_path, osp.join(out_root, scene_id), options)
    except Exception as error:  # noqa: BLE001  (before any frame: reported per scene, the run goes on)
        return SceneResult(scene_id, 'failed').fail(error, sens_path, start)


def _init_worker():
    cv2.setNumThreads(1)  # the pool already uses the cores


def _extract_job(job: Tuple[str, str], out_root: str, options: ExtractOptions) -> SceneResult:
    return extract_one(*job, out_root, options)


def _worker_died(job: Tuple[str, str], error: Exception) -> SceneResult:
    return SceneResult(job[0], 'failed', error=f'worker process died: {error}')


def extract_scenes(jobs: Sequence[Tuple[str, str]], out_root: str, options: ExtractOptions, workers: int = 1,
                   progress: bool = True) -> List[SceneResult]:
    """Extract ``jobs`` ((scene id, .sens path)); scenes in parallel over ``workers`` processes."""
    os.makedirs(out_root, exist_ok=True)
    return run_parallel(partial(_extract_job, out_root=out_root, options=options), jobs, workers,
                        desc='extract_sens' if progress else None, initializer=_init_worker, lost=_worker_died)


OFFICIAL_LISTS = dict(train='scannetv2_train.txt', val='scannetv2_val.txt')


def official_lists(splits_dir: str) -> Dict[str, str]:
    """{split: path} of ScanNet's official scene lists in ``splits_dir``; a missing one is a DataError."""
    paths = {name: osp.join(splits_dir, file) for name, file in OFFICIAL_LISTS.items()}
    for path in paths.values():
        if not osp.isfile(path):
            raise DataError(f'--splits-dir {splits_dir}: no {osp.basename(path)} (ScanNet\'s official scene list)')
    return paths


def write_splits(out_root: str, splits_dir: Optional[str] = None) -> List[str]:
    """Write ``splits/all.txt`` and ``splits/{train,val}.txt`` for the extracted scenes (module doc); returns
    the summary lines."""
    scene_ids = done_scenes(out_root)
    if not scene_ids:
        return ['splits: not written (no scene extracted)']
    write_scene_list(split_path(out_root, 'all'), scene_ids)
    lines = [f'splits/all.txt: {len(scene_ids)} scenes']
    if splits_dir is None:
        write_scene_list(split_path(out_root, 'train'), scene_ids)
        note = (' (splits/val.txt of an earlier run left as it is)' if osp.isfile(split_path(out_root, 'val'))
                else '')
        return lines + [f'splits/train.txt: all {len(scene_ids)} scenes (no --splits-dir with ScanNet\'s '
                        f'scannetv2_train.txt / scannetv2_val.txt; no val split written){note}']
    present = set(scene_ids)
    for name, path in official_lists(splits_dir).items():
        listed = read_scene_list(path)
        kept = [s for s in listed if s in present]
        write_scene_list(split_path(out_root, name), kept)
        lines.append(f'splits/{name}.txt: {len(kept)} scenes of {osp.basename(path)} '
                     f'({len(listed) - len(kept)} listed but not extracted)')
    return lines


def format_summary(results: Sequence[SceneResult], options: ExtractOptions) -> str:
    """Scenes by status, frames written (of those the headers declare) / skipped by reason; the failures are
    ``report_failures``'s."""
    by_status = {status: [r for r in results if r.status == status]
                 for status in ('extracted', 'already done', 'failed')}
    skipped: Dict[str, int] = {}
    for result in results:
        for reason, indices in result.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + len(indices)
    lines = [f'scenes: {len(results)} ({", ".join(f"{len(v)} {k}" for k, v in by_status.items())})',
             f'frames written: {sum(r.frames_written for r in results)} of '
             f'{sum(r.num_frames for r in results)} in the .sens files (frame skip {options.frame_skip})',
             f'frames skipped: {sum(skipped.values())}'
             + (f' ({", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items()))})' if skipped else '')]
    return '\n'.join(lines)


def report_failures(results: Sequence[SceneResult], stream=None) -> int:
    """One ``error: ...`` line per failed scene (on stderr); the exit code: 0 if none failed, 2 if every failure
    is the input's (a missing or broken ``.sens``), 1 if the extractor itself failed."""
    failed = [r for r in results if r.status == 'failed']
    for result in failed:
        print(f'error: {result.error}', file=stream or sys.stderr)
    if not failed:
        return 0
    return 2 if all(r.bad_input for r in failed) else 1
