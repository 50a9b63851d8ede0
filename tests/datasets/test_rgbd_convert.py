"""tools/data/rgbd/convert.py on captures written by tests/helpers/rgbd_writers.py in each source's layout: frame
counts, depth in metres bit-exact through the round trip, intrinsics (scaled when resized), poses, splits, resume."""
import json

import cv2
import numpy as np
import pytest

from mask3d_mm.data_prep.converters.rgbd_sources import TUM_INTRINSICS
from mask3d_mm.data_prep.converters.scene_output import DONE_MARKER, PROGRESS_MARKER
from mask3d_mm.formats import frame_layout
from tests.conftest import load_tool
from tests.helpers import rgbd_writers as writers

convert = load_tool('tools/data/rgbd/convert.py')


def run(*args):
    convert.main([*map(str, args), '--no-progress'])


def stems(scene_dir, kind, suffix):
    return [int(s) for s in frame_layout.frame_stems(str(scene_dir / kind), suffix)]


def depth_units(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def K_of(scene_dir, sensor='depth'):
    return frame_layout.read_matrix(frame_layout.intrinsic_path(str(scene_dir), sensor))[:3, :3]


def hand_scaled(K, sx, sy):
    """K after a resize by (sx, sy), written out by hand: pixel centres at integer coordinates."""
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    return writers.intrinsics(fx * sx, fy * sy, (cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5)


MOTION = writers.Motion(start=np.array([0.1, -0.2, 0.3]), velocity=np.array([0.4, 0.1, -0.2]),
                        rotvec_per_s=np.array([0.2, -0.5, 0.3]))


@pytest.fixture(scope='module')
def tum(tmp_path_factory):
    """A TUM sequence of 9 jittered frames, frame 4 without depth, a 100 Hz ground truth, converted."""
    root = tmp_path_factory.mktemp('tum')
    frames = writers.random_frames(9, color_hw=(24, 32), seed=1)
    seq = writers.write_tum(root / 'src', frames, MOTION, drop_depth={4})
    run('--format', 'tum', '--src', seq, '--out', root / 'out')
    return frames, seq, root / 'out' / seq.name


def test_tum_frames_depth_poses_and_intrinsics(tum):
    frames, seq, scene = tum
    kept = [i for i in range(9) if i != 4]
    assert stems(scene, 'color', '.jpg') == stems(scene, 'depth', '.png') == stems(scene, 'pose', '.txt') == kept
    for i in kept:
        out = frame_layout.frame_path(str(scene), 'depth', i)
        assert np.array_equal(depth_units(out), frames[i].depth_mm)  # 1/5000 m -> mm, no rounding on the mm grid
        source = seq / 'depth' / f'{frames[i].time + 0.003:.6f}.png'
        in_metres = frame_layout.decode_depth(source.read_bytes(), str(source), depth_scale=5000.0)
        assert np.array_equal(frame_layout.read_depth(out), in_metres)  # metres bit-exact
        pose = frame_layout.read_matrix(frame_layout.frame_path(str(scene), 'pose', i))
        np.testing.assert_allclose(pose, MOTION.pose(float(f'{frames[i].time:.6f}')), atol=2e-6)
    fx, fy, cx, cy = TUM_INTRINSICS['freiburg1']
    np.testing.assert_allclose(K_of(scene), hand_scaled(writers.intrinsics(fx, fy, cx, cy), 32 / 640, 24 / 480))
    np.testing.assert_array_equal(K_of(scene, 'color'), K_of(scene))


def test_tum_splits_summary_and_resume(tum, capsys):
    _, seq, scene = tum
    root = scene.parent
    assert frame_layout.read_scene_list(frame_layout.split_path(str(root), 'train')) == [seq.name]
    assert frame_layout.read_scene_list(frame_layout.split_path(str(root), 'all')) == [seq.name]
    marker = json.loads((scene / DONE_MARKER).read_text())
    assert marker['result']['frames_written'] == 8 and marker['result']['num_source_frames'] == 9
    assert sum(marker['result']['skipped'].values()) == 1
    before = (scene / 'color' / '0.jpg').stat().st_mtime_ns
    run('--format', 'tum', '--src', seq, '--out', root)
    assert '0 converted, 1 already done' in capsys.readouterr().out
    assert (scene / 'color' / '0.jpg').stat().st_mtime_ns == before


def test_tum_other_options_refused_then_overwritten(tum, capsys):
    from mask3d_mm.utils.cli import run_cli
    _, seq, scene = tum
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: run('--format', 'tum', '--src', seq, '--out', scene.parent, '--frame-skip', '2'))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count('\n') == 1 and 'pass --overwrite' in err
    run('--format', 'tum', '--src', seq, '--out', scene.parent, '--frame-skip', '2', '--overwrite')
    assert stems(scene, 'color', '.jpg') == [0, 2, 6, 8]  # positions 0, 2, 4 (no depth), 6, 8
    run('--format', 'tum', '--src', seq, '--out', scene.parent, '--overwrite')  # back to the module's state


def test_tum_resized(tmp_path):
    frames = writers.random_frames(3, color_hw=(24, 32), seed=2)
    seq = writers.write_tum(tmp_path / 'src', frames, name='rgbd_dataset_freiburg3_resized')
    run('--format', 'tum', '--src', seq, '--out', tmp_path / 'out', '--size', 16, 12)
    scene = tmp_path / 'out' / seq.name
    assert not (scene / 'pose').exists()  # no groundtruth.txt: an unposed scene
    for i in range(3):
        out = depth_units(frame_layout.frame_path(str(scene), 'depth', i))
        assert out.shape == (12, 16) and set(np.unique(out)) <= set(np.unique(frames[i].depth_mm))
        assert cv2.imread(frame_layout.frame_path(str(scene), 'color', i)).shape == (12, 16, 3)
    fx, fy, cx, cy = TUM_INTRINSICS['freiburg3']
    np.testing.assert_allclose(K_of(scene), hand_scaled(writers.intrinsics(fx, fy, cx, cy), 16 / 640, 12 / 480))


def test_redwood_jpeg_copied_poses_from_log(tmp_path):
    frames = writers.random_frames(5, color_hw=(24, 32), seed=3)
    K = writers.intrinsics(30.0, 31.0, 15.5, 11.5)
    poses = [MOTION.pose(i / 10) for i in range(4)]  # the last frame has no pose -> skipped
    seq = writers.write_redwood(tmp_path / 'src', frames, K, poses)
    run('--format', 'redwood', '--src', seq, '--out', tmp_path / 'out', '--scene-id', 'living_room')
    scene = tmp_path / 'out' / 'living_room'
    assert stems(scene, 'color', '.jpg') == stems(scene, 'pose', '.txt') == [0, 1, 2, 3]
    for i in range(4):
        assert (scene / 'color' / f'{i}.jpg').read_bytes() == (seq / 'color' / f'{i:06d}.jpg').read_bytes()
        assert np.array_equal(depth_units(scene / 'depth' / f'{i}.png'), frames[i].depth_mm)
        np.testing.assert_allclose(frame_layout.read_matrix(str(scene / 'pose' / f'{i}.txt')), poses[i], atol=1e-9)
    np.testing.assert_allclose(K_of(scene), K)
    (seq / 'trajectory.log').unlink()  # the same capture without poses: re-converted, its pose folder goes
    run('--format', 'redwood', '--src', seq, '--out', tmp_path / 'out', '--scene-id', 'living_room', '--overwrite')
    assert stems(scene, 'color', '.jpg') == [0, 1, 2, 3, 4] and not (scene / 'pose').exists()


def test_arkitscenes_per_frame_intrinsics_traj_and_missing_depth(tmp_path):
    frames = writers.random_frames(12, color_hw=(24, 32), rate=60.0, jitter=0.0, seed=4)
    K = writers.intrinsics(28.0, 28.5, 16.2, 11.8)
    seq = writers.write_arkitscenes(tmp_path / 'src', frames, K, MOTION, drop_depth={3})
    run('--format', 'arkitscenes', '--src', seq, '--out', tmp_path / 'out', '--frame-skip', 3)
    scene = tmp_path / 'out' / seq.name
    assert stems(scene, 'color', '.jpg') == stems(scene, 'pose', '.txt') == [0, 6, 9]  # 3: no depth image
    for i in (0, 6, 9):
        assert np.array_equal(depth_units(scene / 'depth' / f'{i}.png'), frames[i].depth_mm)
        pose = frame_layout.read_matrix(str(scene / 'pose' / f'{i}.txt'))
        np.testing.assert_allclose(pose, MOTION.pose(float(f'{frames[i].time:.3f}')), atol=1e-6)
    np.testing.assert_allclose(K_of(scene), K)


def test_folder_other_sizes_depth_scale_and_no_poses(tmp_path):
    """Colour 64x48, depth 32x24 in 1/10 mm: colour is brought to the depth size, K (given for the colour) halved."""
    frames = writers.random_frames(4, color_hw=(48, 64), depth_hw=(24, 32), seed=5)
    frames[2].depth_mm[:] = 0  # no valid depth: skipped
    seq = writers.write_folder(tmp_path / 'src', frames, depth_scale=10000.0)
    K = writers.intrinsics(60.0, 61.0, 31.5, 23.5)
    run('--format', 'folder', '--src', seq, '--out', tmp_path / 'out', '--depth-scale', 10000,
        '--intrinsics', *K[[0, 1, 0, 1], [0, 1, 2, 2]])
    scene = tmp_path / 'out' / seq.name
    assert stems(scene, 'color', '.jpg') == [0, 1, 3] and not (scene / 'pose').exists()
    for i in (0, 1, 3):
        assert np.array_equal(depth_units(scene / 'depth' / f'{i}.png'), frames[i].depth_mm)
        assert cv2.imread(str(scene / 'color' / f'{i}.jpg')).shape == (24, 32, 3)
    np.testing.assert_allclose(K_of(scene), hand_scaled(K, 0.5, 0.5))


def test_interrupted_scene_is_redone(tmp_path, capsys):
    """A killed run leaves the in-progress marker, a temporary and a missing frame: the re-run redoes the scene."""
    seq = writers.write_folder(tmp_path / 'src', writers.random_frames(3, seed=6))
    args = ('--format', 'folder', '--src', seq, '--out', tmp_path / 'out', '--depth-scale', 1000,
            '--intrinsics', 30, 30, 15.5, 11.5)
    run(*args)
    scene = tmp_path / 'out' / seq.name
    marker = json.loads((scene / DONE_MARKER).read_text())
    (scene / DONE_MARKER).unlink()
    (scene / PROGRESS_MARKER).write_text(json.dumps(dict(options=marker['options'])))
    (scene / 'depth' / '1.png').unlink()
    (scene / 'color' / '.2.jpg.999.tmp').write_bytes(b'half')
    capsys.readouterr()
    run(*args)
    assert '1 converted, 0 already done' in capsys.readouterr().out
    assert sorted(p.name for p in (scene / 'depth').iterdir()) == ['0.png', '1.png', '2.png']
    assert sorted(p.name for p in (scene / 'color').iterdir()) == ['0.jpg', '1.jpg', '2.jpg']
    assert (scene / DONE_MARKER).is_file() and not (scene / PROGRESS_MARKER).exists()
