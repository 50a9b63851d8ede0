import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mask3d_mm.data_prep.pair_mining import load_scene, overlap_matrix, process_scene, sampled_frame_ids
from mask3d_mm.data_prep.synthetic import SyntheticScene, scene_seed
from mask3d_mm.formats.frame_layout import read_depth, read_matrix
from mask3d_mm.formats.pri3d_pairs import parse_pair_line
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, load_tool, run_tool

from .conftest import CHUNK_VOXEL_SIZE, SEED
from .test_correspondences import pixel_world_points, project


def visible_from(scene, points, pose, K, height, width):
    """Which world points ``(N, 3)`` camera ``pose`` sees: in front, inside its image, and the first surface the
    ray from its centre hits is the point itself (renderer ray caster; 1 cm slack for mm-rounded depth)."""
    with np.errstate(divide='ignore', invalid='ignore'):  # points behind the camera are masked by z > 0
        uv, z = project(points, K, pose)
    u, v = uv.T
    inside = (z > 0) & (u >= -0.5) & (u < width - 0.5) & (v >= -0.5) & (v < height - 0.5)
    rays = points - pose[:3, 3]
    dist = np.linalg.norm(rays, axis=1)
    hit, _ = scene.raycast(np.broadcast_to(pose[:3, 3], rays.shape), rays / dist[:, None])
    return inside & (hit > dist - 0.01)


def gt_overlaps(scene_dir, frame_ids, scene, stride=2):
    """Co-visibility overlap by brute force from the renderer: (v_ij + v_ji) / (n_i + n_j), v_ij = valid pixels of
    i (every ``stride``-th) whose surface point camera j sees unoccluded -- what the mined overlap measures."""
    K = read_matrix(osp.join(scene_dir, 'intrinsic', 'intrinsic_depth.txt'))[:3, :3]
    poses = [read_matrix(osp.join(scene_dir, 'pose', f'{f}.txt')) for f in frame_ids]
    depths = [read_depth(osp.join(scene_dir, 'depth', f'{f}.png')) for f in frame_ids]
    height, width = depths[0].shape
    points = []
    for depth, pose in zip(depths, poses):
        strided = np.zeros(depth.shape, bool)
        strided[::stride, ::stride] = True
        points.append(pixel_world_points(depth.astype(np.float64), K, pose, np.flatnonzero(strided & (depth > 0))))
    num = len(frame_ids)
    seen = np.zeros((num, num))
    for i in range(num):
        for j in range(num):
            if i != j:
                seen[i, j] = visible_from(scene, points[i], poses[j], K, height, width).sum()
    sizes = np.array([len(p) for p in points], dtype=np.float64)
    return (seen + seen.T) / (sizes[:, None] + sizes[None, :])


def mined_pairs(pairs_file):
    with open(pairs_file) as f:
        return {(fi, fj): overlap for _, fi, fj, overlap in map(parse_pair_line, f)}


def test_mined_pairs_match_brute_force_from_renderer_geometry(pri3d_world):
    root, (scene_id,), pairs_file = pri3d_world
    scene_dir = osp.join(root, scene_id)
    frame_ids = sampled_frame_ids(scene_dir, 1)
    gt = gt_overlaps(scene_dir, frame_ids, SyntheticScene(scene_seed(SEED, 0)))
    upper = np.triu_indices(len(frame_ids), 1)
    assert (gt[upper] >= 0.5).any() and (gt[upper] < 0.2).any(), 'fixture must hold clear positives and negatives'
    # every pair's overlap, as the miner computes it, tracks the true co-visibility
    ours = overlap_matrix(load_scene(root, scene_id, frame_skip=1, pixel_stride=1).points)
    assert np.abs(ours - gt)[upper].max() < 0.05
    # the pairs file holds exactly the pairs >= 0.3 with those overlaps; clear cases agree with the GT
    mined = mined_pairs(pairs_file)
    expected = {(frame_ids[a], frame_ids[b]): ours[a, b] for a, b in zip(*upper) if ours[a, b] >= 0.3}
    assert mined.keys() == expected.keys()
    assert all(abs(mined[pair] - expected[pair]) < 1e-4 for pair in mined)
    for a, b in zip(*upper):
        pair = (frame_ids[a], frame_ids[b])
        assert (pair in mined) == (gt[a, b] >= 0.3) or abs(gt[a, b] - 0.3) < 0.05, (pair, gt[a, b])


def test_overlap_matrix_matches_within_one_and_a_half_voxels():
    # Frame 0: 3 pixels in voxel (0, 0, 0), 1 in (5, 0, 0); frame 1: 2 in (6, 1, 0) (edge neighbour of (5, 0, 0),
    # centres sqrt(2) voxels apart: a match) and 2 in (6, 1, 1) (corner neighbour, sqrt(3) > 1.5: no match).
    voxel = 0.05
    centre = lambda *cell: (np.array([cell]) + 0.5) * voxel  # noqa: E731
    frame0 = np.concatenate([centre(0, 0, 0)] * 3 + [centre(5, 0, 0)])
    frame1 = np.concatenate([centre(6, 1, 0)] * 2 + [centre(6, 1, 1)] * 2)
    overlaps = overlap_matrix([frame0, frame1], voxel)
    assert overlaps[0, 1] == pytest.approx((1 + 2) / 8) and overlaps[1, 0] == overlaps[0, 1]
    assert overlaps[0, 0] == 1.0
    assert overlap_matrix([frame0, frame1], voxel, match_radius=2.0)[0, 1] == pytest.approx((1 + 4) / 8)


def test_results_are_relative_resumable_and_cli_agrees(pri3d_world, tmp_path, repo):
    root, (scene_id,), pairs_file = pri3d_world
    with open(pairs_file) as f:
        first = f.readline().split()
    assert not osp.isabs(first[0]) and osp.isfile(osp.join(root, first[0]))
    scene_file = osp.join(osp.dirname(pairs_file), 'pairs', f'{scene_id}.txt')
    stamp = os.stat(scene_file).st_mtime_ns
    result = process_scene(root, scene_id, osp.dirname(pairs_file), frame_skip=1, pixel_stride=1,
                           chunk_voxel_size=CHUNK_VOXEL_SIZE)
    assert os.stat(scene_file).st_mtime_ns == stamp
    assert result.status == 'already done' and result.num_pairs == len(mined_pairs(pairs_file))
    out = tmp_path / 'cli' / 'pairs.txt'
    result = run_tool('tools/data/scannet/mine_pairs.py', '--frames-root', root, '--out', out, '--min-overlap',
                      '0.3', '--frame-skip', '1', '--pixel-stride', '1', '--no-chunks', '--workers', '2', cwd=repo)
    assert result.returncode == 0, result.stderr
    assert set(mined_pairs(out)) == set(mined_pairs(pairs_file))


def test_bad_inputs_name_the_file(tmp_path):
    bad = tmp_path / 'pose.txt'
    bad.write_text('1 0 0\n0 1 0\n')
    with pytest.raises(DataError, match='pose.txt'):
        read_matrix(str(bad))
    with pytest.raises(DataError, match='pairs.txt'):
        parse_pair_line('scene0000_00/color/x.jpg', 'pairs.txt')


def mine_cli(capsys, root, out, *flags):
    """``mine_pairs.py`` in this process, as ``run_cli`` runs it: (exit code, stdout, stderr)."""
    main = load_tool(REPO / 'tools/data/scannet/mine_pairs.py').main
    argv = ['--frames-root', str(root), '--out', str(out), '--pixel-stride', '4', '--no-chunks', *flags]
    try:
        code = run_cli(lambda: main(argv)) or 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rerun_with_other_options_is_refused_then_overwritten_and_empty_scenes_are_reported(pri3d_world, tmp_path,
                                                                                            capsys):
    root, (scene_id,), _ = pri3d_world
    out, fresh = tmp_path / 'pairs.txt', tmp_path / 'fresh' / 'pairs.txt'
    code, stdout, _ = mine_cli(capsys, root, out, '--frame-skip', '25')  # 10 frames -> 1 left: no pair possible
    assert code == 0 and out.read_text() == ''
    assert f'scenes without pairs, fewer than 2 frames after the frame skip (frame skip 25): 1 ({scene_id})' in stdout
    # the same output with another frame skip: one error line naming the option; nothing reused or written
    code, _, stderr = mine_cli(capsys, root, out, '--frame-skip', '1')
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert stderr.startswith(f'error: {tmp_path / "pairs" / scene_id}.json: 1 scene(s)')
    assert 'frame_skip: 25 -> 1' in stderr and '--overwrite' in stderr
    assert out.read_text() == ''
    # --overwrite gives the new result: the pairs of a fresh run at frame skip 1
    code, stdout, _ = mine_cli(capsys, root, out, '--frame-skip', '1', '--overwrite')
    assert code == 0 and 'scenes: 1 (1 mined, 0 already done)' in stdout
    assert mine_cli(capsys, root, fresh, '--frame-skip', '1')[0] == 0
    assert len(mined_pairs(out)) > 0 and mined_pairs(out) == mined_pairs(fresh)
    # unchanged options: resumed, same result
    code, stdout, _ = mine_cli(capsys, root, out, '--frame-skip', '1')
    assert code == 0 and 'scenes: 1 (0 mined, 1 already done)' in stdout and mined_pairs(out) == mined_pairs(fresh)


def test_changed_frames_are_mined_again(pri3d_world, tmp_path):
    root, (scene_id,), _ = pri3d_world
    frames = tmp_path / 'frames'
    shutil.copytree(osp.join(root, scene_id), frames / scene_id)
    work_dir = str(tmp_path / 'work')
    before = process_scene(str(frames), scene_id, work_dir, pixel_stride=4, chunk_voxel_size=None)
    for kind, suffix in (('color', '.jpg'), ('depth', '.png'), ('pose', '.txt')):
        (frames / scene_id / kind / f'{before.num_frames - 1}{suffix}').unlink()  # the scene lost its last frame
    after = process_scene(str(frames), scene_id, work_dir, pixel_stride=4, chunk_voxel_size=None)
    assert after.status == 'mined' and after.num_frames == before.num_frames - 1
