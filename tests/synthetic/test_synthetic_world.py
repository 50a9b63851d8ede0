"""The embedded synthetic RGB-D world: exact geometry, ScanNet's extracted layout, determinism, clear errors."""
import filecmp
import json
import os

import cv2
import numpy as np
import pytest

from mask3d_mm.data_prep.synthetic import SyntheticScene, generate_dataset
from mask3d_mm.formats.scannet_labels import nyu40_to_scannet20_lut, raw_to_nyu40_lut, read_label_tsv
from mask3d_mm.geometry import backproject_depth, depth_to_world, is_valid_pose, load_matrix_txt, project_points
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, run_tool

SIZE = dict(height=60, width=80)
FRAME_FOLDERS = ('color', 'depth', 'pose', 'label', 'label_nyu40', 'label_scannet20', 'instance')


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    scene_ids = generate_dataset(str(root), num_scenes=2, frames_per_scene=3, seed=0, sensor_noise=False, **SIZE)
    return root, scene_ids


def all_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def test_writes_the_documented_scannet_layout(dataset):
    root, scene_ids = dataset
    assert scene_ids == ['scene0000_00', 'scene0001_00']
    train = (root / 'splits/train.txt').read_text().split()
    val = (root / 'splits/val.txt').read_text().split()
    assert sorted(train + val) == scene_ids and not set(train) & set(val)
    label_map = read_label_tsv(str(root / 'scannetv2-labels.combined.tsv'))
    for scene_id in scene_ids:
        scene = root / scene_id
        for folder in FRAME_FOLDERS:
            ext = {'color': '.jpg', 'pose': '.txt'}.get(folder, '.png')
            assert sorted(os.listdir(scene / folder)) == [f'{i}{ext}' for i in range(3)]
        intrinsic = load_matrix_txt(str(scene / 'intrinsic/intrinsic_depth.txt'))
        assert intrinsic.shape == (4, 4) and intrinsic[0, 0] > 0 and intrinsic[3, 3] == 1
        for frame in range(3):
            assert is_valid_pose(load_matrix_txt(str(scene / f'pose/{frame}.txt')))
            color = cv2.imread(str(scene / f'color/{frame}.jpg'), cv2.IMREAD_UNCHANGED)
            depth = cv2.imread(str(scene / f'depth/{frame}.png'), cv2.IMREAD_UNCHANGED)
            raw = cv2.imread(str(scene / f'label/{frame}.png'), cv2.IMREAD_UNCHANGED)
            nyu40 = cv2.imread(str(scene / f'label_nyu40/{frame}.png'), cv2.IMREAD_UNCHANGED)
            scannet20 = cv2.imread(str(scene / f'label_scannet20/{frame}.png'), cv2.IMREAD_UNCHANGED)
            instance = cv2.imread(str(scene / f'instance/{frame}.png'), cv2.IMREAD_UNCHANGED)
            assert color.shape == (60, 80, 3) and color.dtype == np.uint8 and color.std() > 5  # textured
            assert depth.dtype == raw.dtype == instance.dtype == np.uint16
            assert nyu40.dtype == scannet20.dtype == np.uint8
            assert (depth > 0).mean() > 0.95  # exact rendering: a closed room, every ray hits
            # the written label spaces agree with the written tsv (raw -> nyu40) and the benchmark's 20 classes
            assert set(np.unique(raw)) <= set(label_map) | {0}
            np.testing.assert_array_equal(nyu40, raw_to_nyu40_lut(label_map)[raw])
            np.testing.assert_array_equal(scannet20, nyu40_to_scannet20_lut()[nyu40])
            assert len(set(np.unique(scannet20)) - {255}) >= 3
            assert len(np.unique(instance)) >= 3


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(dataset, tmp_path):
    root, _ = dataset
    again = tmp_path / 'again'
    generate_dataset(str(again), num_scenes=2, frames_per_scene=3, seed=0, sensor_noise=False, **SIZE)
    files = all_files(root)
    assert files == all_files(again)
    match, mismatch, errors = filecmp.cmpfiles(root, again, files, shallow=False)
    assert not mismatch and not errors and len(match) == len(files)

    other = tmp_path / 'other'
    generate_dataset(str(other), num_scenes=1, frames_per_scene=3, seed=1, sensor_noise=False, **SIZE)
    assert not filecmp.cmp(root / 'scene0000_00/depth/0.png', other / 'scene0000_00/depth/0.png', shallow=False)


def test_rendered_depth_lies_on_the_geometry_within_a_millimetre():
    scene = SyntheticScene(seed=3)
    height, width = 48, 64
    K = scene.intrinsics(height, width)
    for pose in scene.trajectory(4):
        depth = scene.render(pose, K, height, width)['depth']
        valid = depth > 0
        points = depth_to_world(depth.astype(np.float64), K, pose)[valid]  # (M, 3)
        assert scene.distance_to_surface(points).max() < 1e-3
        # ... and what a pixel sees is the nearest surface along its ray (raycast agrees with the depth map)
        rays = points - pose[:3, 3]
        t, _ = scene.raycast(np.broadcast_to(pose[:3, 3], rays.shape), rays)
        np.testing.assert_allclose(t, 1.0, atol=1e-4)


def test_millimetre_png_round_trip_and_reprojection_are_exact(dataset):
    root, (scene_id, _) = dataset
    scene_dir = root / scene_id
    depth = cv2.imread(str(scene_dir / 'depth/0.png'), cv2.IMREAD_UNCHANGED).astype(np.float64) / 1000.0
    K = load_matrix_txt(str(scene_dir / 'intrinsic/intrinsic_depth.txt'))[:3, :3]
    uv, z = project_points(backproject_depth(depth, K), K)
    rows, cols = np.mgrid[0:depth.shape[0], 0:depth.shape[1]]
    valid = depth > 0
    np.testing.assert_allclose(uv[valid], np.stack([cols, rows], -1)[valid], atol=1e-6)
    np.testing.assert_allclose(z[valid], depth[valid])


def test_sensor_noise_punches_holes_but_keeps_valid_depth_close():
    scene = SyntheticScene(seed=0)
    K = scene.intrinsics(60, 80)
    pose = scene.trajectory(1)[0]
    exact = scene.render(pose, K, 60, 80)['depth']
    noisy = scene.render(pose, K, 60, 80, sensor_noise=True, frame_index=0)['depth']
    both = (noisy > 0) & (exact > 0)
    assert (noisy == 0).sum() > (exact == 0).sum()
    assert np.median(np.abs(noisy[both] - exact[both])) < 0.02


def test_cli_writes_then_skips_complete_scenes(tmp_path):
    args = (REPO / 'tools/data/make_synthetic.py', '--out', tmp_path, '--scenes', 1, '--frames', 2,
            '--size', 48, 32)
    first = run_tool(*args, timeout=120)
    assert first.returncode == 0, first.stderr
    assert '1 written, 0 skipped' in first.stdout
    assert (tmp_path / 'scene0000_00/depth/1.png').is_file()
    second = run_tool(*args, timeout=120)
    assert second.returncode == 0 and '0 written, 1 skipped' in second.stdout


def test_cli_builds_the_study_world(tmp_path):
    """``--objects`` / ``--palette-mode`` reach the generator: denser rooms, colour drawn from every palette."""
    common = ('--scenes', 2, '--frames', 1, '--size', 32, 24)
    result = run_tool(REPO / 'tools/data/make_synthetic.py', '--out', tmp_path / 'study', *common,
                      '--objects', 20, 32, '--palette-mode', 'shared', timeout=120)
    assert result.returncode == 0, result.stderr
    default = run_tool(REPO / 'tools/data/make_synthetic.py', '--out', tmp_path / 'default', *common, timeout=120)
    assert default.returncode == 0, default.stderr
    counts = {}
    for world in ('study', 'default'):
        scenes = [json.loads((tmp_path / world / f'scene000{i}_00' / 'scene.json').read_text()) for i in (0, 1)]
        assert {s['appearance']['palette_mode'] for s in scenes} == {'shared' if world == 'study' else 'class'}
        counts[world] = sum(len(s['objects']) for s in scenes)
    assert counts['study'] > counts['default'] >= 2 * 6 * 0.5
    bad = run_tool(REPO / 'tools/data/make_synthetic.py', '--out', tmp_path / 'bad', *common, '--objects', 9, 3)
    assert bad.returncode == 2 and 'MIN must not exceed MAX' in bad.stderr


def test_bad_output_folder_is_a_clear_error(tmp_path):
    not_a_dir = tmp_path / 'file'
    not_a_dir.write_text('x')
    with pytest.raises(DataError, match=str(not_a_dir)):
        generate_dataset(str(not_a_dir), num_scenes=1, frames_per_scene=1, **SIZE)
    result = run_tool(REPO / 'tools/data/make_synthetic.py', '--out', not_a_dir, '--scenes', 1, '--frames', 1)
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.startswith(f'error: {not_a_dir}')
