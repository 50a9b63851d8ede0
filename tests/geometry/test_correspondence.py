import numpy as np
import pytest
import torch

from mask3d_mm import geometry

from .scenes import intrinsics, plane_depth, rigid, rotation

H, W = 12, 16
K = intrinsics(fx=100.0, fy=100.0, cx=7.0, cy=5.0)
K_WIDE = intrinsics(fx=20.0, fy=22.0, cx=7.5, cy=5.5)  # ~40 degree field of view, principal point between pixels
PLANE = np.full((H, W), 2.0)  # fronto-parallel plane 2 m in front of both cameras


def flat(v, u, width=W):
    return np.asarray(v) * width + np.asarray(u)


def shifted_pair_expectation(du, dv):
    """Pixels (u, v) of i land at (u + du, v + dv) in j: flat indices of the pairs inside j's image."""
    v, u = np.mgrid[:H, :W]
    inside = (u + du >= 0) & (u + du < W) & (v + dv >= 0) & (v + dv < H)
    return flat(v[inside], u[inside]), flat(v[inside] + dv, u[inside] + du)


@pytest.mark.parametrize('t, du, dv', [
    ((0.1, 0.0, 0.0), -5, 0),   # camera j 10 cm to the right: the plane moves 100 * 0.1 / 2 = 5 px left
    ((0.0, -0.04, 0.0), 0, 2),  # camera j 4 cm up (y is down): 2 px down
    ((-0.06, 0.08, 0.0), 3, -4),
])
def test_fronto_parallel_plane_with_known_shift(t, du, dv):
    idx_i, idx_j = geometry.frame_correspondences(PLANE, PLANE, K, K, rigid(), rigid(t=t))
    expected_i, expected_j = shifted_pair_expectation(du, dv)
    np.testing.assert_array_equal(idx_i, expected_i)
    np.testing.assert_array_equal(idx_j, expected_j)
    assert geometry.overlap_ratio(PLANE, PLANE, K, K, rigid(), rigid(t=t)) == len(expected_i) / (H * W)


def test_shift_is_independent_of_a_shared_world_pose():
    world_from_i = rigid(rotation('y', 90) @ rotation('x', 30), (3.0, -1.0, 2.0))  # both cameras moved together
    world_from_j = world_from_i @ rigid(t=(0.1, 0.0, 0.0))
    idx_i, idx_j = geometry.frame_correspondences(PLANE, PLANE, K, K, world_from_i, world_from_j)
    expected_i, expected_j = shifted_pair_expectation(-5, 0)
    np.testing.assert_array_equal(idx_i, expected_i)
    np.testing.assert_array_equal(idx_j, expected_j)


def test_half_resolution_target_maps_pixel_blocks():
    K_half = geometry.scale_intrinsics(K, 0.5, 0.5)  # (u + 0.5) / 2 - 0.5 rounds to u // 2
    idx_i, idx_j = geometry.frame_correspondences(PLANE, np.full((H // 2, W // 2), 2.0), K, K_half, rigid(),
                                                  rigid())
    v, u = np.divmod(idx_i, W)
    np.testing.assert_array_equal(idx_i, np.arange(H * W))
    np.testing.assert_array_equal(idx_j, flat(v // 2, u // 2, width=W // 2))


def test_nearer_object_in_j_occludes():
    depth_j = PLANE.copy()
    depth_j[3:7, 2:6] = 1.0  # something 1 m in front of camera j covers these pixels
    idx_i, idx_j = geometry.frame_correspondences(PLANE, depth_j, K, K, rigid(), rigid(t=(0.1, 0.0, 0.0)))
    expected_i, expected_j = shifted_pair_expectation(-5, 0)
    v_j, u_j = np.divmod(expected_j, W)
    seen = ~((v_j >= 3) & (v_j < 7) & (u_j >= 2) & (u_j < 6))
    assert (~seen).sum() == 16
    np.testing.assert_array_equal(idx_i, expected_i[seen])
    np.testing.assert_array_equal(idx_j, expected_j[seen])


def test_depth_tolerance_and_max_depth():
    near_miss = np.full((H, W), 2.04)
    assert len(geometry.frame_correspondences(PLANE, near_miss, K, K, rigid(), rigid())[0]) == H * W
    too_far = np.full((H, W), 2.06)
    assert len(geometry.frame_correspondences(PLANE, too_far, K, K, rigid(), rigid())[0]) == 0
    assert len(geometry.frame_correspondences(PLANE, too_far, K, K, rigid(), rigid(), depth_tol=0.1)[0]) == H * W
    assert len(geometry.frame_correspondences(PLANE, PLANE, K, K, rigid(), rigid(), max_depth=1.9)[0]) == 0


def test_invalid_depth_never_corresponds():
    depth_i, depth_j = PLANE.copy(), PLANE.copy()
    depth_i[0, :] = 0.0  # no measurement in i's first row
    depth_i[1, 1] = np.nan
    depth_j[:, 0] = 0.0  # nor in j's first column
    idx_i, idx_j = geometry.frame_correspondences(depth_i, depth_j, K, K, rigid(), rigid())
    v, u = np.divmod(idx_i, W)
    assert not ((v == 0) | (u == 0) | (idx_i == flat(1, 1))).any()
    np.testing.assert_array_equal(idx_i, idx_j)
    assert len(idx_i) == (H - 1) * (W - 1) - 1
    # i has 11 * 16 - 1 valid pixels, of which those in column 0 have no partner in j.
    ratio = geometry.overlap_ratio(depth_i, depth_j, K, K, rigid(), rigid())
    assert ratio == pytest.approx(len(idx_i) / ((H - 1) * W - 1))
    empty = np.zeros((H, W))
    assert geometry.overlap_ratio(empty, PLANE, K, K, rigid(), rigid()) == 0.0


def test_invalid_pose_raises_for_a_single_pair():
    untracked = np.full((4, 4), -np.inf)
    with pytest.raises(ValueError, match='pose_j'):
        geometry.frame_correspondences(PLANE, PLANE, K, K, rigid(), untracked)
    with pytest.raises(ValueError, match='pose_i'):
        geometry.overlap_ratio(PLANE, PLANE, K, K, torch.from_numpy(untracked), rigid())


def test_overlap_of_identical_and_disjoint_views():
    pose = rigid(rotation('z', 30), (1.0, 2.0, 0.5))
    assert geometry.overlap_ratio(PLANE, PLANE, K, K, pose, pose) == 1.0
    facing_away = pose @ rigid(rotation('y', 180))  # same centre, looking the other way
    assert geometry.overlap_ratio(PLANE, PLANE, K, K, pose, facing_away) == 0.0


def tilted_plane_pairs(batch, rng):
    """B camera pairs looking at the tilted world plane 0.1x + 0.2y + z = 3 with exact depth maps."""
    normal = (0.1, 0.2, 1.0)
    poses = []
    for _ in range(batch):
        pose_i = rigid(rotation('x', rng.uniform(-10, 10)) @ rotation('y', rng.uniform(-10, 10)),
                       rng.uniform(-0.3, 0.3, 3))
        pose_j = pose_i @ rigid(rotation('y', rng.uniform(-8, 8)), rng.uniform(-0.3, 0.3, 3))
        poses.append((pose_i, pose_j))
    pose_i, pose_j = (np.stack(p) for p in zip(*poses))  # (B, 4, 4) each
    depth_i = np.stack([plane_depth(K_WIDE, p, H, W, normal, 3.0) for p in pose_i])  # (B, H, W)
    depth_j = np.stack([plane_depth(K_WIDE, p, H, W, normal, 3.0) for p in pose_j])
    depth_i[:, ::5, ::3] = 0.0  # a few holes
    return depth_i, depth_j, pose_i, pose_j


def reference_correspondences(depth_i, depth_j, K_i, K_j, pose_i, pose_j, depth_tol):
    """Per-pixel scalar implementation of the definition, for cross-checking."""
    j_from_i = np.linalg.inv(pose_j) @ pose_i
    pairs = []
    for v in range(depth_i.shape[0]):
        for u in range(depth_i.shape[1]):
            z = depth_i[v, u]
            if not z > 0:
                continue
            p = j_from_i @ [(u - K_i[0, 2]) * z / K_i[0, 0], (v - K_i[1, 2]) * z / K_i[1, 1], z, 1.0]
            if p[2] <= 0:
                continue
            uj = int(np.floor(K_j[0, 0] * p[0] / p[2] + K_j[0, 2] + 0.5))
            vj = int(np.floor(K_j[1, 1] * p[1] / p[2] + K_j[1, 2] + 0.5))
            inside = 0 <= uj < depth_j.shape[1] and 0 <= vj < depth_j.shape[0]
            if inside and depth_j[vj, uj] > 0 and abs(p[2] - depth_j[vj, uj]) < depth_tol:
                pairs.append((v * depth_i.shape[1] + u, vj * depth_j.shape[1] + uj))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def test_matches_per_pixel_reference_on_tilted_plane():
    depth_i, depth_j, pose_i, pose_j = tilted_plane_pairs(2, np.random.default_rng(0))
    for b in range(2):
        idx_i, idx_j = geometry.frame_correspondences(depth_i[b], depth_j[b], K_WIDE, K_WIDE, pose_i[b], pose_j[b])
        expected = reference_correspondences(depth_i[b], depth_j[b], K_WIDE, K_WIDE, pose_i[b], pose_j[b], 0.05)
        assert len(expected) > H * W // 2  # the scene really overlaps
        np.testing.assert_array_equal(np.stack([idx_i, idx_j], 1), expected)


def test_batched_equals_per_item_loop_and_masks_invalid_poses():
    depth_i, depth_j, pose_i, pose_j = tilted_plane_pairs(3, np.random.default_rng(1))
    pose_j[1] = np.full((4, 4), -np.inf)  # pair 1 has an untracked frame
    args = [torch.from_numpy(x).float() for x in (depth_i, depth_j)] + [torch.from_numpy(K_WIDE)] * 2
    match_j, valid = geometry.batched_frame_correspondences(*args, torch.from_numpy(pose_i),
                                                            torch.from_numpy(pose_j))
    assert match_j.shape == valid.shape == (3, H * W)
    np.testing.assert_array_equal((match_j >= 0).numpy(), valid.numpy())
    assert not valid[1].any()
    for b in (0, 2):
        idx_i, idx_j = geometry.frame_correspondences(args[0][b], args[1][b], K_WIDE, K_WIDE, pose_i[b], pose_j[b])
        assert isinstance(idx_i, torch.Tensor) and len(idx_i) > 0
        torch.testing.assert_close(torch.nonzero(valid[b]).squeeze(1), idx_i)
        torch.testing.assert_close(match_j[b, idx_i], idx_j)
    ratios = geometry.overlap_ratio(*args, torch.from_numpy(pose_i), torch.from_numpy(pose_j))
    for b in (0, 2):
        single = geometry.overlap_ratio(depth_i[b], depth_j[b], K_WIDE, K_WIDE, pose_i[b], pose_j[b])
        assert ratios[b].item() == pytest.approx(single)
    assert ratios[1].item() == 0.0


def test_numpy_and_torch_correspondences_agree():
    depth_i, depth_j, pose_i, pose_j = tilted_plane_pairs(1, np.random.default_rng(2))
    idx_np = geometry.frame_correspondences(depth_i[0], depth_j[0], K_WIDE, K_WIDE, pose_i[0], pose_j[0])
    idx_t = geometry.frame_correspondences(*(torch.from_numpy(x) for x in (depth_i[0], depth_j[0], K_WIDE, K_WIDE,
                                                                          pose_i[0], pose_j[0])))
    assert isinstance(idx_np[0], np.ndarray) and isinstance(idx_t[0], torch.Tensor)
    np.testing.assert_array_equal(idx_t[0].numpy(), idx_np[0])
    np.testing.assert_array_equal(idx_t[1].numpy(), idx_np[1])
