"""Indexes of RGB-D captures in other layouts than ScanNet's: which colour / depth files make a frame, the camera,
the poses. ``rgbd_convert`` writes the frames; this module only reads the sources' text files and folder listings,
so every missing or malformed index file is reported before a single frame is written.

Frame number ``N`` in the output is the frame's position in the source's colour list (``rgb.txt`` order, sorted
file names), so a frame skip keeps positions 0, N, 2N, ... and dropped frames leave gaps, as ScanNet's do.

Formats (what each reader relies on):

- **TUM RGB-D** (Sturm et al., IROS'12; the dataset's "File Formats" page): ``rgb.txt`` / ``depth.txt`` lines
  ``timestamp filename`` with ``#`` comments; depth uint16 PNG, 5000 units per metre, registered to colour (one K);
  ``groundtruth.txt`` ``timestamp tx ty tz qx qy qz qw``, the colour camera's optical centre in the mocap world
  (camera-to-world, OpenCV axes: TUM's own point-cloud tools backproject with ``x = (u - cx) z / fx`` and apply
  this pose). Colour and depth are associated as TUM's ``associate.py`` does: greedy, closest timestamps first,
  each file used once, pairs within ``max_time_difference`` (default 0.02 s). Intrinsics: the published
  calibration of the Kinect named in the sequence (freiburg1/2/3), or ``--intrinsics``.
- **Redwood / Open3D reconstruction system**: ``color/*.jpg|png`` and ``depth/*.png`` (uint16 mm) paired by
  position in sorted name order (as Open3D's ``get_rgbd_file_lists``) or by an association file; a camera
  intrinsic JSON as ``o3d.io.write_pinhole_camera_intrinsic`` writes it (``width``, ``height``,
  ``intrinsic_matrix``: 9 values, column-major); a trajectory ``.log`` (redwood-data.org "File format": per item a
  metadata line whose third number is the 1-based depth-frame number, then a 4x4 camera-to-world matrix).
- **ARKitScenes raw** (apple/ARKitScenes ``DATA.md``, ``raw/README.md``, ``threedod/.../tenFpsDataLoader.py``):
  ``lowres_wide/<video>_<t>.png`` (RGB), ``lowres_depth/<video>_<t>.png`` (uint16 mm), both 256x192 at 60 FPS
  with "no guarantee that all assets exist per timestamp" (a colour frame without depth is skipped and counted),
  ``lowres_wide_intrinsics/<video>_<t>.pincam`` (``w h fx fy cx cy``; Apple's loader also tries ``t -/+ 0.001``),
  ``lowres_wide.traj`` (``t rx ry rz tx ty tz``: axis-angle in radians and translation of world-to-camera; Apple's
  loader inverts it into camera-to-world and backprojects with the pinhole K, i.e. OpenCV axes, so no ARKit
  y-up / z-back flip is needed).
- **Plain folder**: ``color/`` and ``depth/`` images paired by file name (stem), ``depth_scale`` units per metre,
  intrinsics given by the user, no poses.

Poses of timestamped sources (TUM, ARKitScenes) are interpolated at the colour frame's time between the two
trajectory samples around it (translation linear, rotation slerp), when those are at most ``max_pose_gap`` apart;
other frames of a posed sequence are skipped and counted. Why not the nearest sample: neither TUM's 100 Hz motion
capture nor ARKit's trajectory is synchronised with the camera, so the nearest sample is up to half a sample
period off (5 ms at 100 Hz: 5 mm at 1 m/s), whereas interpolation is exact for motion with constant velocity over
a period and the nearest-sample error shrinks to second order otherwise; the gap bound keeps it from bridging
tracking dropouts.
"""
import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

FORMATS = ('tum', 'redwood', 'arkitscenes', 'folder')
COLOR_SUFFIXES = ('.jpg', '.jpeg', '.png')
DEPTH_SUFFIXES = ('.png', '.tif', '.tiff')
DEPTH_SCALES = dict(tum=5000.0, redwood=1000.0, arkitscenes=1000.0)  # depth units per metre; folder: given
# TUM's published calibration of each Kinect (fx, fy, cx, cy at 640x480), and the ROS default it recommends when
# the camera is not known; the colour images are not undistorted (d0..d4 are dropped), as in TUM's own tools.
TUM_INTRINSICS = {'freiburg1': (517.3, 516.5, 318.6, 255.3), 'freiburg2': (520.9, 521.0, 325.1, 249.7),
                  'freiburg3': (535.4, 539.2, 320.1, 247.6)}
ROS_DEFAULT_INTRINSICS = (525.0, 525.0, 319.5, 239.5)
TUM_SIZE = (640, 480)
# s: TUM, 5 missing mocap samples at 100 Hz; ARKitScenes does not state its trajectory's rate (Apple's loader
# expects a sample within 5 ms of each frame), 0.2 s bridges a few dropped samples at most
MAX_POSE_GAP = dict(tum=0.05, arkitscenes=0.2)
REDWOOD_INTRINSIC_FILES = ('camera_intrinsic.json', 'intrinsic.json')
REDWOOD_TRAJECTORY_FILE = 'trajectory.log'

SKIP_NO_DEPTH = 'no depth image within the time tolerance or with the same name'
SKIP_NO_POSE = 'no pose (outside the trajectory or across a gap)'
SKIP_NO_INTRINSICS = 'no .pincam intrinsics'


@dataclass
class Camera:
    """A pinhole K ``(3, 3)`` and the image size ``(W, H)`` it describes (None: the colour image's own size)."""
    K: np.ndarray
    size_wh: Optional[Tuple[int, int]] = None


@dataclass
class SourceFrame:
    index: int  # position in the source's colour list: the output frame number N
    color_path: str
    depth_path: str
    timestamp: Optional[float] = None
    camera: Optional[Camera] = None  # per-frame intrinsics (ARKitScenes); None: the sequence's
    pose: Optional[np.ndarray] = None  # (4, 4) camera-to-world, OpenCV axes


@dataclass
class SourceSequence:
    """What to convert from one capture, and what its index already dropped (reason -> count)."""
    src: str
    scene_id: str
    format: str
    depth_scale: float  # depth units per metre in the source's images
    frames: List[SourceFrame]
    num_source_frames: int  # colour frames after the frame skip
    camera: Optional[Camera] = None
    posed: bool = False
    skipped: Dict[str, int] = field(default_factory=dict)


@dataclass
class IndexOptions:
    frame_skip: int = 1
    max_time_difference: float = 0.02  # s, TUM colour / depth association (associate.py's default)
    max_pose_gap: Optional[float] = None  # s; None: the format's default (MAX_POSE_GAP)
    intrinsics: Optional[Sequence[str]] = None  # 'fx fy cx cy' or one file (Open3D JSON, 4 numbers, 3x3 / 4x4)
    depth_scale: Optional[float] = None  # folder only
    association: Optional[str] = None  # redwood: file of 'color depth' or 'ts color ts depth' lines
    trajectory: Optional[str] = None  # redwood: .log (default <src>/trajectory.log when present)
    color_dir: str = 'color'  # folder
    depth_dir: str = 'depth'  # folder


# ------------------------------------------------------------------------------------------------- text files
def require_file(path: str, what: str) -> str:
    if not osp.isfile(path):
        raise DataError(f'{path}: no such file ({what})')
    return path


def require_dir(path: str, what: str) -> str:
    if not osp.isdir(path):
        raise DataError(f'{path}: no such folder ({what})')
    return path


def read_rows(path: str, what: str) -> List[Tuple[int, List[str]]]:
    """(line number, tokens) of the non-empty, non-``#`` lines of a text index."""
    with open(require_file(path, what)) as f:
        return [(number, line.split()) for number, line in enumerate(f, 1) if line.strip()
                and not line.lstrip().startswith('#')]


def numbers(path: str, number: int, tokens: Sequence[str], count: int, what: str) -> np.ndarray:
    try:
        values = np.array([float(t) for t in tokens[:count]], np.float64)
    except ValueError:
        values = np.zeros(0)
    if len(tokens) < count or len(values) < count or not np.isfinite(values).all():
        raise DataError(f'{path}:{number}: expected {what}, got {" ".join(tokens)!r}')
    return values


def timed_files(path: str, src: str, what: str) -> Tuple[np.ndarray, List[str]]:
    """Timestamps ``(F,)`` and absolute paths of a ``timestamp filename`` list (TUM's rgb.txt / depth.txt)."""
    rows = read_rows(path, what)
    times = [numbers(path, n, tokens, 1, 'timestamp filename')[0] for n, tokens in rows]
    files = [osp.join(src, tokens[1]) if len(tokens) > 1 else '' for _, tokens in rows]
    missing_name = next((n for (n, _), f in zip(rows, files) if not f), None)
    if missing_name is not None:
        raise DataError(f'{path}:{missing_name}: expected "timestamp filename"')
    return np.asarray(times, np.float64), files


# ------------------------------------------------------------------------------------------------- cameras
def intrinsic_matrix(fx, fy, cx, cy) -> np.ndarray:
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)


def read_open3d_intrinsic(path: str) -> Camera:
    """``PinholeCameraIntrinsic`` JSON as Open3D writes it: width, height, intrinsic_matrix (column-major)."""
    try:
        with open(require_file(path, 'camera intrinsic JSON')) as f:
            data = json.load(f)
        matrix = np.asarray(data['intrinsic_matrix'], np.float64)
        size = (int(data['width']), int(data['height']))
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f'{path}: not an Open3D camera intrinsic JSON with width, height and a 9-value '
                        f'intrinsic_matrix ({type(err).__name__}: {err})') from err
    if matrix.shape != (9,):
        raise DataError(f'{path}: intrinsic_matrix has {matrix.size} values, expected 9 (column-major 3x3)')
    return Camera(matrix.reshape(3, 3).T, size)


def read_intrinsics_file(path: str) -> Camera:
    """An Open3D JSON, or text with ``fx fy cx cy``, a 3x3 or a 4x4 matrix (ScanNet's intrinsic_*.txt)."""
    if path.endswith('.json'):
        return read_open3d_intrinsic(path)
    with open(require_file(path, 'intrinsics file')) as f:
        tokens = f.read().split()
    try:
        values = np.array([float(t) for t in tokens], np.float64)
    except ValueError:
        values = np.zeros(0)
    if len(values) == 4:
        return Camera(intrinsic_matrix(*values))
    if len(values) in (9, 16):
        side = int(np.sqrt(len(values)))
        return Camera(values.reshape(side, side)[:3, :3].copy())
    raise DataError(f'{path}: expected intrinsics as "fx fy cx cy", a 3x3 or a 4x4 matrix '
                    f'({len(tokens)} tokens found)')


def camera_from_option(intrinsics: Optional[Sequence[str]]) -> Optional[Camera]:
    """``--intrinsics fx fy cx cy`` or ``--intrinsics FILE``; None when not given."""
    if not intrinsics:
        return None
    if len(intrinsics) == 1:
        return read_intrinsics_file(intrinsics[0])
    try:
        values = [float(v) for v in intrinsics]
    except ValueError:
        values = []
    if len(values) != 4:
        raise DataError(f'--intrinsics {" ".join(intrinsics)}: expected "fx fy cx cy" or one file')
    return Camera(intrinsic_matrix(*values))


def tum_camera(src: str, given: Optional[Camera]) -> Camera:
    if given is not None:
        return given
    match = re.search(r'freiburg[123]', osp.basename(osp.normpath(src)))
    if match is None:
        raise DataError(f'{src}: cannot tell the Kinect from the name (no freiburg1/2/3); pass --intrinsics '
                        f'fx fy cx cy (TUM recommends the ROS default {" ".join(map(str, ROS_DEFAULT_INTRINSICS))})')
    return Camera(intrinsic_matrix(*TUM_INTRINSICS[match.group(0)]), TUM_SIZE)


# ------------------------------------------------------------------------------------------------- poses
def associate(times_a: np.ndarray, times_b: np.ndarray, max_difference: float) -> Dict[int, int]:
    """{i: j} pairing ``times_a[i]`` with ``times_b[j]``: closest pairs first, each index used once, pairs with
    ``|a - b| < max_difference`` (TUM's ``associate.py``)."""
    order = np.argsort(times_b, kind='stable')
    sorted_b = times_b[order]
    candidates = []
    for i, t in enumerate(times_a):
        lo, hi = np.searchsorted(sorted_b, [t - max_difference, t + max_difference])
        candidates += [(abs(sorted_b[k] - t), i, int(order[k])) for k in range(lo, min(hi + 1, len(sorted_b)))
                       if abs(sorted_b[k] - t) < max_difference]
    pairs, used_b = {}, set()
    for _, i, j in sorted(candidates):
        if i not in pairs and j not in used_b:
            pairs[i] = j
            used_b.add(j)
    return pairs


def rigid(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = rotation, translation
    return pose


def interpolate_poses(sample_times: np.ndarray, rotations: Rotation, translations: np.ndarray,
                      query_times: np.ndarray, max_gap: float) -> List[Optional[np.ndarray]]:
    """Camera-to-world ``(4, 4)`` at each query time (module doc: slerp + linear between the samples around it,
    at most ``max_gap`` apart), None where there is none."""
    order = np.argsort(sample_times, kind='stable')
    times, rotations, translations = sample_times[order], rotations[order], translations[order]
    keep = np.concatenate([[True], np.diff(times) > 0])  # Slerp needs strictly increasing times
    times, rotations, translations = times[keep], rotations[keep], translations[keep]
    if len(times) < 2:
        return [rigid(rotations[0].as_matrix(), translations[0]) if len(times) and t == times[0] else None
                for t in query_times]
    after = np.clip(np.searchsorted(times, query_times, side='right'), 1, len(times) - 1)  # (Q,)
    inside = (query_times >= times[0]) & (query_times <= times[-1])
    usable = inside & (times[after] - times[after - 1] <= max_gap)
    clipped = np.clip(query_times, times[0], times[-1])
    matrices = Slerp(times, rotations)(clipped).as_matrix()  # (Q, 3, 3)
    weight = (clipped - times[after - 1]) / (times[after] - times[after - 1])  # (Q,)
    positions = translations[after - 1] + weight[:, None] * (translations[after] - translations[after - 1])
    return [rigid(matrices[q], positions[q]) if usable[q] else None for q in range(len(query_times))]


def read_tum_trajectory(path: str) -> Tuple[np.ndarray, Rotation, np.ndarray]:
    rows = read_rows(path, 'TUM ground truth')
    values = np.array([numbers(path, n, t, 8, 'timestamp tx ty tz qx qy qz qw') for n, t in rows]).reshape(-1, 8)
    if not len(values):
        raise DataError(f'{path}: no poses')
    norms = np.linalg.norm(values[:, 4:8], axis=1)
    if (abs(norms - 1) > 1e-3).any():
        bad = rows[int(np.argmax(abs(norms - 1)))][0]
        raise DataError(f'{path}:{bad}: quaternion qx qy qz qw is not of unit length')
    return values[:, 0], Rotation.from_quat(values[:, 4:8]), values[:, 1:4]  # scipy: scalar-last, like TUM


def read_arkit_trajectory(path: str) -> Tuple[np.ndarray, Rotation, np.ndarray]:
    """``lowres_wide.traj`` -> times, camera-to-world rotations and positions (world-to-camera inverted)."""
    rows = read_rows(path, 'ARKitScenes trajectory')
    values = np.array([numbers(path, n, t, 7, 'timestamp rx ry rz tx ty tz') for n, t in rows]).reshape(-1, 7)
    if not len(values):
        raise DataError(f'{path}: no poses')
    world_to_camera = Rotation.from_rotvec(values[:, 1:4])
    camera_to_world = world_to_camera.inv()
    positions = -camera_to_world.apply(values[:, 4:7])  # -R^T t
    return values[:, 0], camera_to_world, positions


def read_log_trajectory(path: str) -> Dict[int, np.ndarray]:
    """{0-based frame position: camera-to-world} of a Redwood / Open3D ``.log``."""
    rows = read_rows(path, 'trajectory .log')
    if len(rows) % 5:
        raise DataError(f'{path}: {len(rows)} lines, expected items of 5 (a metadata line + 4 matrix rows)')
    poses = {}
    for start in range(0, len(rows), 5):
        number, meta = rows[start]
        frame = numbers(path, number, meta, 3, 'a metadata line "id id frame"')[2]
        matrix = np.stack([numbers(path, n, t, 4, '4 matrix values') for n, t in rows[start + 1:start + 5]])
        if frame < 1 or frame != int(frame):
            raise DataError(f'{path}:{number}: frame number {meta[2]} is not a positive integer (1-based)')
        if not geometry.is_valid_pose(matrix):
            raise DataError(f'{path}:{number}: the matrix of frame {int(frame)} is not a rigid transform')
        poses[int(frame) - 1] = matrix
    return poses


def pose_gap(options: IndexOptions, fmt: str) -> float:
    return MAX_POSE_GAP[fmt] if options.max_pose_gap is None else options.max_pose_gap


def attach_poses(sequence: SourceSequence, poses: List[Optional[np.ndarray]]) -> None:
    """Give each frame its pose; frames without one are dropped (a posed scene has a pose for every frame)."""
    kept = []
    for frame, pose in zip(sequence.frames, poses):
        if pose is None:
            count(sequence.skipped, SKIP_NO_POSE)
        else:
            frame.pose = pose
            kept.append(frame)
    sequence.frames, sequence.posed = kept, True


def count(skipped: Dict[str, int], reason: str, n: int = 1) -> None:
    if n:
        skipped[reason] = skipped.get(reason, 0) + n


# ------------------------------------------------------------------------------------------------- formats
def index_tum(src: str, scene_id: str, options: IndexOptions) -> SourceSequence:
    camera = tum_camera(src, camera_from_option(options.intrinsics))
    color_times, color_files = timed_files(osp.join(src, 'rgb.txt'), src, 'TUM colour list')
    depth_times, depth_files = timed_files(osp.join(src, 'depth.txt'), src, 'TUM depth list')
    selected = np.arange(0, len(color_files), options.frame_skip)
    pairs = associate(color_times[selected], depth_times, options.max_time_difference)
    frames = [SourceFrame(int(selected[i]), color_files[selected[i]], depth_files[j], float(color_times[selected[i]]))
              for i, j in sorted(pairs.items())]
    sequence = SourceSequence(src, scene_id, 'tum', DEPTH_SCALES['tum'], frames, len(selected), camera)
    count(sequence.skipped, SKIP_NO_DEPTH, len(selected) - len(frames))
    trajectory = osp.join(src, 'groundtruth.txt')
    if osp.isfile(trajectory):
        times, rotations, positions = read_tum_trajectory(trajectory)
        query = np.array([f.timestamp for f in frames])
        attach_poses(sequence, interpolate_poses(times, rotations, positions, query, pose_gap(options, 'tum')))
    return sequence


def listed_images(folder: str, suffixes: Sequence[str], what: str) -> List[str]:
    """Image file names in ``folder`` with one of ``suffixes``, sorted by name (numbers by value)."""
    require_dir(folder, what)
    names = [n for n in os.listdir(folder) if n.lower().endswith(suffixes) and not n.startswith('.')]
    return sorted(names, key=lambda n: (len(osp.splitext(n)[0]), n) if osp.splitext(n)[0].isdigit() else (0, n))


def redwood_camera(src: str, options: IndexOptions) -> Camera:
    given = camera_from_option(options.intrinsics)
    if given is not None:
        return given
    for name in REDWOOD_INTRINSIC_FILES:
        if osp.isfile(osp.join(src, name)):
            return read_open3d_intrinsic(osp.join(src, name))
    raise DataError(f'{osp.join(src, REDWOOD_INTRINSIC_FILES[0])}: no such file (the camera intrinsic JSON that '
                    'Open3D writes); pass --intrinsics FILE or --intrinsics fx fy cx cy')


def redwood_pairs(src: str, association: Optional[str]) -> List[Tuple[str, str]]:
    """(colour, depth) paths: from the association file, or by position in the sorted folders."""
    if association is not None:
        rows = read_rows(association, 'association file')
        bad = next((n for n, tokens in rows if len(tokens) not in (2, 4)), None)
        if bad is not None:
            raise DataError(f'{association}:{bad}: expected "color depth" or "ts color ts depth"')
        return [(osp.join(src, t[0]), osp.join(src, t[1])) if len(t) == 2 else (osp.join(src, t[1]),
                osp.join(src, t[3])) for _, t in rows]
    color_dir, depth_dir = osp.join(src, 'color'), osp.join(src, 'depth')
    colors = listed_images(color_dir, COLOR_SUFFIXES, 'colour images')
    depths = listed_images(depth_dir, ('.png',), 'depth images')
    if len(colors) != len(depths):
        raise DataError(f'{color_dir}: {len(colors)} colour images but {len(depths)} depth images in {depth_dir}: '
                        'they do not pair (pass --association FILE to pair them explicitly)')
    return [(osp.join(color_dir, c), osp.join(depth_dir, d)) for c, d in zip(colors, depths)]


def index_redwood(src: str, scene_id: str, options: IndexOptions) -> SourceSequence:
    camera = redwood_camera(src, options)
    pairs = redwood_pairs(src, options.association)
    selected = range(0, len(pairs), options.frame_skip)
    frames = [SourceFrame(i, *pairs[i]) for i in selected]
    sequence = SourceSequence(src, scene_id, 'redwood', DEPTH_SCALES['redwood'], frames, len(frames), camera)
    trajectory = options.trajectory or osp.join(src, REDWOOD_TRAJECTORY_FILE)
    if options.trajectory is not None or osp.isfile(trajectory):
        poses = read_log_trajectory(require_file(trajectory, 'trajectory .log'))
        beyond = sorted(p for p in poses if p >= len(pairs))
        if beyond:
            raise DataError(f'{trajectory}: pose of frame {beyond[0] + 1} but the capture has {len(pairs)} frames')
        attach_poses(sequence, [poses.get(f.index) for f in frames])
    return sequence


def arkit_frames_dir(src: str) -> str:
    """The raw layout's ``<video>/`` or the 3DOD layout's ``<video>/<video>_frames/``."""
    nested = osp.join(src, f'{osp.basename(osp.normpath(src))}_frames')
    return nested if osp.isdir(nested) else src


def arkit_pincam(folder: str, stem: str, timestamp: float, video_id: str) -> Optional[Camera]:
    for name in (stem, f'{video_id}_{timestamp - 0.001:.3f}', f'{video_id}_{timestamp + 0.001:.3f}'):
        path = osp.join(folder, f'{name}.pincam')
        if osp.isfile(path):
            with open(path) as f:
                tokens = f.read().split()
            values = numbers(path, 1, tokens, 6, 'w h fx fy cx cy')
            return Camera(intrinsic_matrix(*values[2:]), (int(values[0]), int(values[1])))
    return None


def index_arkitscenes(src: str, scene_id: str, options: IndexOptions) -> SourceSequence:
    root = arkit_frames_dir(src)
    video_id = osp.basename(osp.normpath(src))
    color_dir, depth_dir = osp.join(root, 'lowres_wide'), osp.join(root, 'lowres_depth')
    intrinsics_dir = require_dir(osp.join(root, 'lowres_wide_intrinsics'), 'per-frame .pincam intrinsics')
    colors = listed_images(color_dir, ('.png',), 'lowres_wide colour images')
    depths = set(listed_images(depth_dir, ('.png',), 'lowres_depth depth images'))
    stems = [osp.splitext(n)[0] for n in colors]
    times = [numbers(osp.join(color_dir, n), 1, [s.rpartition('_')[2]], 1, '<video>_<timestamp>.png')[0]
             for n, s in zip(colors, stems)]
    order = np.argsort(times, kind='stable')[::options.frame_skip]
    sequence = SourceSequence(src, scene_id, 'arkitscenes', DEPTH_SCALES['arkitscenes'], [], len(order))
    for position, k in enumerate(order):
        if colors[k] not in depths:
            count(sequence.skipped, SKIP_NO_DEPTH)
            continue
        camera = arkit_pincam(intrinsics_dir, stems[k], times[k], video_id)
        if camera is None:
            count(sequence.skipped, SKIP_NO_INTRINSICS)
            continue
        sequence.frames.append(SourceFrame(int(position * options.frame_skip), osp.join(color_dir, colors[k]),
                                           osp.join(depth_dir, colors[k]), float(times[k]), camera))
    trajectory = osp.join(root, 'lowres_wide.traj')
    if osp.isfile(trajectory):
        traj_times, rotations, positions = read_arkit_trajectory(trajectory)
        query = np.array([f.timestamp for f in sequence.frames])
        attach_poses(sequence, interpolate_poses(traj_times, rotations, positions, query,
                                                 pose_gap(options, 'arkitscenes')))
    return sequence


def index_folder(src: str, scene_id: str, options: IndexOptions) -> SourceSequence:
    camera = camera_from_option(options.intrinsics)
    if camera is None:
        raise DataError(f'{src}: a plain folder has no camera file; pass --intrinsics fx fy cx cy or FILE')
    if options.depth_scale is None or not options.depth_scale > 0:
        raise DataError(f'{src}: pass --depth-scale (depth units per metre, e.g. 1000 for millimetres)')
    color_dir, depth_dir = osp.join(src, options.color_dir), osp.join(src, options.depth_dir)
    colors = listed_images(color_dir, COLOR_SUFFIXES, 'colour images')
    depths = {osp.splitext(n)[0]: n for n in listed_images(depth_dir, DEPTH_SUFFIXES, 'depth images')}
    color_stems = [osp.splitext(n)[0] for n in colors]
    unpaired = sorted(set(color_stems) ^ set(depths))
    if unpaired:
        raise DataError(f'{color_dir}: {len(colors)} colour and {len(depths)} depth images in {depth_dir} do not '
                        f'pair by name ({len(unpaired)} without a partner, first: {unpaired[0]})')
    frames = [SourceFrame(i, osp.join(color_dir, colors[i]), osp.join(depth_dir, depths[color_stems[i]]))
              for i in range(0, len(colors), options.frame_skip)]
    return SourceSequence(src, scene_id, 'folder', float(options.depth_scale), frames, len(frames), camera)


INDEXERS = dict(tum=index_tum, redwood=index_redwood, arkitscenes=index_arkitscenes, folder=index_folder)


def index_sequence(fmt: str, src: str, scene_id: Optional[str], options: IndexOptions) -> SourceSequence:
    """The frames to convert from the capture ``src`` (a DataError names any missing or malformed file)."""
    require_dir(src, f'{fmt} capture')
    scene_id = scene_id or osp.basename(osp.normpath(src))
    return INDEXERS[fmt](src, scene_id, options)
