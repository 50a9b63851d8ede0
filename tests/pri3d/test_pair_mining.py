import os
import os.path as osp

import numpy as np
import pytest

from mask3d_mm import geometry
from mask3d_mm.datasets.pair_mining import (
    overlap_matrix,
    parse_pair_line,
    process_scene,
    read_depth,
    read_matrix,
    sampled_frame_ids,
)
from mask3d_mm.utils.errors import DataError
from tests.conftest import run_tool


def gt_overlaps(scene_dir, frame_ids):
    """Brute force from the renderer's depth: pixels of i that land on a pixel of j with the same depth, both
    directions, over all valid pixels of both (Pri3D's definition)."""
    K = read_matrix(osp.join(scene_dir, 'intrinsic', 'intrinsic_depth.txt'))[:3, :3]
    depths = [read_depth(osp.join(scene_dir, 'depth', f'{f}.png')) for f in frame_ids]
    poses = [read_matrix(osp.join(scene_dir, 'pose', f'{f}.txt')) for f in frame_ids]
    num = len(frame_ids)
    matched = np.zeros((num, num))
    for i in range(num):
        for j in range(num):
            if i != j:
                idx_i, _ = geometry.frame_correspondences(depths[i], depths[j], K, K, poses[i], poses[j],
                                                          depth_tol=0.02)
                matched[i, j] = len(idx_i)
    valid = np.array([(d > 0).sum() for d in depths], dtype=np.float64)
    return (matched + matched.T) / (valid[:, None] + valid[None, :])


def mined_pairs(pairs_file):
    with open(pairs_file) as f:
        return {(fi, fj): overlap for _, fi, fj, overlap in map(parse_pair_line, f)}


def test_mined_pairs_match_brute_force_from_renderer_depth(pri3d_world):
    root, (scene_id,), pairs_file = pri3d_world
    frame_ids = sampled_frame_ids(osp.join(root, scene_id), 1)
    gt = gt_overlaps(osp.join(root, scene_id), frame_ids)
    upper = gt[np.triu_indices(len(frame_ids), 1)]
    assert (upper >= 0.4).any() and (upper < 0.2).any(), 'fixture must hold clear positives and negatives'
    mined = mined_pairs(pairs_file)
    for a in range(len(frame_ids)):
        for b in range(a + 1, len(frame_ids)):
            pair = (frame_ids[a], frame_ids[b])
            if gt[a, b] >= 0.4:
                assert pair in mined, f'pair {pair} with GT overlap {gt[a, b]:.2f} was not mined'
            if gt[a, b] < 0.2:
                assert pair not in mined, f'pair {pair} with GT overlap {gt[a, b]:.2f} was mined'
            if pair in mined:
                assert abs(mined[pair] - gt[a, b]) < 0.1


def test_overlap_matrix_counts_shared_voxels():
    # Frame 0: 3 points in voxel A, 1 in B; frame 1: 2 points in B, 2 in C -> matched 1 + 2 of 8 pixels.
    voxel = 0.05
    centre = lambda x: np.array([[x + 0.5, 0.5, 0.5]]) * voxel  # noqa: E731
    frame0 = np.concatenate([centre(0)] * 3 + [centre(1)])
    frame1 = np.concatenate([centre(1)] * 2 + [centre(2)] * 2)
    overlaps = overlap_matrix([frame0, frame1], voxel)
    assert overlaps[0, 1] == pytest.approx(3 / 8) and overlaps[1, 0] == overlaps[0, 1]
    assert overlaps[0, 0] == 1.0


def test_results_are_relative_resumable_and_cli_agrees(pri3d_world, tmp_path, repo):
    root, (scene_id,), pairs_file = pri3d_world
    with open(pairs_file) as f:
        first = f.readline().split()
    assert not osp.isabs(first[0]) and osp.isfile(osp.join(root, first[0]))
    scene_file = osp.join(osp.dirname(pairs_file), 'pairs', f'{scene_id}.txt')
    stamp = os.stat(scene_file).st_mtime_ns
    count = process_scene(root, scene_id, osp.dirname(pairs_file), frame_skip=1, pixel_stride=1)
    assert os.stat(scene_file).st_mtime_ns == stamp and count == len(mined_pairs(pairs_file))
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
