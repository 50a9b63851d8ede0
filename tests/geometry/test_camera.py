import numpy as np
import pytest
import torch

from mask3d_mm import geometry

from .scenes import intrinsics, rigid, rotation


def random_depth(rng, shape, invalid_fraction=0.2):
    depth = rng.uniform(0.5, 4.0, shape)
    depth[rng.random(shape) < invalid_fraction] = 0.0
    return depth


def random_pose(rng):
    axis_rotations = [rotation(axis, rng.uniform(-180, 180)) for axis in 'xyz']
    return rigid(axis_rotations[0] @ axis_rotations[1] @ axis_rotations[2], rng.uniform(-5, 5, 3))


def test_known_pixel_to_known_world_point_under_90_degree_yaw():
    K = intrinsics(fx=500.0, fy=400.0, cx=2.0, cy=1.0)
    depth = np.zeros((3, 5))
    depth[0, 4] = 2.0  # pixel (u=4, v=0): x = (4 - 2) * 2 / 500 = 0.008, y = (0 - 1) * 2 / 400 = -0.005
    points_cam = geometry.backproject_depth(depth, K)
    np.testing.assert_allclose(points_cam[0, 4], [0.008, -0.005, 2.0], atol=1e-12)
    # cam -> world: 90 degrees about z maps (x, y, z) -> (-y, x, z), then translate by (1, 2, 3).
    pose = rigid(rotation('z', 90), (1.0, 2.0, 3.0))
    world = geometry.depth_to_world(depth, K, pose)
    np.testing.assert_allclose(world[0, 4], [1.005, 2.008, 5.0], atol=1e-12)
    assert np.count_nonzero(world.any(-1)) == 1  # the 14 invalid pixels stay exactly at the origin


def test_principal_point_backprojects_onto_the_optical_axis():
    K = intrinsics(fx=300.0, fy=250.0, cx=3.0, cy=2.0)
    points = geometry.backproject_depth(np.full((5, 7), 1.5), K)
    np.testing.assert_array_equal(points[2, 3], [0.0, 0.0, 1.5])
    uv, z = geometry.project_points(np.array([0.0, 0.0, 4.0]), K)
    np.testing.assert_array_equal(uv, [3.0, 2.0])
    assert z == 4.0


def test_project_inverts_backproject_on_valid_pixels_batched_intrinsics():
    rng = np.random.default_rng(0)
    depth = random_depth(rng, (2, 6, 8))  # (B, H, W)
    K = np.stack([intrinsics(120.0, 110.0, 3.5, 2.5), intrinsics(80.0, 90.0, 4.0, 3.0)])  # (B, 3, 3)
    uv, z = geometry.project_points(geometry.backproject_depth(depth, K), K)
    valid = depth > 0
    grid = np.broadcast_to(np.stack(np.meshgrid(np.arange(8), np.arange(6)), -1), uv.shape)  # (u, v)
    np.testing.assert_allclose(uv[valid], grid[valid], atol=1e-9)
    np.testing.assert_allclose(z[valid], depth[valid], atol=1e-12)


def test_points_behind_the_camera_get_a_finite_off_image_uv():
    uv, z = geometry.project_points(np.array([[0.1, 0.2, -1.0], [0.1, 0.2, 0.0]]), intrinsics())
    np.testing.assert_array_equal(uv, np.full((2, 2), geometry.BEHIND_CAMERA_UV))
    np.testing.assert_array_equal(z, [-1.0, 0.0])


def test_transform_then_inverse_is_identity_and_matches_general_inverse():
    rng = np.random.default_rng(1)
    poses = np.stack([random_pose(rng) for _ in range(4)])  # (B, 4, 4)
    inverse = geometry.invert_rigid(poses)
    np.testing.assert_allclose(inverse, np.linalg.inv(poses), atol=1e-12)
    points = rng.normal(size=(4, 10, 3))  # (B, N, 3)
    round_trip = geometry.transform_points(geometry.transform_points(points, poses), inverse)
    np.testing.assert_allclose(round_trip, points, atol=1e-12)


def test_batched_transform_equals_per_item_loop():
    rng = np.random.default_rng(2)
    poses = np.stack([random_pose(rng) for _ in range(3)])  # (B, 4, 4)
    points = rng.normal(size=(3, 2, 5, 3))  # (B, H, W, 3)
    batched = geometry.transform_points(points, poses)
    for b in range(3):
        homogeneous = np.concatenate([points[b], np.ones((2, 5, 1))], -1)  # (H, W, 4)
        np.testing.assert_allclose(batched[b], (homogeneous @ poses[b].T)[..., :3], atol=1e-12)
        np.testing.assert_allclose(batched[b], geometry.transform_points(points[b], poses[b]), atol=1e-12)


def test_numpy_and_torch_agree_and_keep_their_types():
    rng = np.random.default_rng(3)
    depth = random_depth(rng, (2, 5, 6)).astype(np.float32)
    K = intrinsics(90.0, 95.0, 2.5, 2.0)
    poses = np.stack([random_pose(rng) for _ in range(2)])
    world_np = geometry.depth_to_world(depth, K, poses)
    world_t = geometry.depth_to_world(torch.from_numpy(depth), torch.from_numpy(K), torch.from_numpy(poses))
    assert isinstance(world_np, np.ndarray) and isinstance(world_t, torch.Tensor)
    assert world_np.dtype == np.float32 and world_t.dtype == torch.float32  # computed in depth's precision
    np.testing.assert_allclose(world_t.numpy(), world_np, rtol=1e-6)
    # the float32 result agrees with a float64 computation to float32 precision
    np.testing.assert_allclose(world_np, geometry.depth_to_world(depth.astype(np.float64), K, poses), atol=1e-5)
    uv_np, z_np = geometry.project_points(world_np, K)
    uv_t, z_t = geometry.project_points(world_t, torch.from_numpy(K))
    np.testing.assert_allclose(uv_t.numpy(), uv_np, rtol=1e-6)
    np.testing.assert_allclose(z_t.numpy(), z_np, rtol=1e-6)


def test_invalid_depth_never_produces_a_point():
    depth = np.array([[0.0, np.nan, 1.0], [np.inf, -2.0, 3.0]])
    K = intrinsics(10.0, 10.0, 1.0, 0.5)
    points = geometry.backproject_depth(depth, K)
    assert np.isfinite(points).all()
    np.testing.assert_array_equal(points[0, :2], 0.0)
    np.testing.assert_array_equal(points[1, :2], 0.0)
    np.testing.assert_array_equal(geometry.valid_depth_mask(depth), [[False, False, True], [False, False, True]])
    np.testing.assert_array_equal(geometry.valid_depth_mask(depth, max_depth=2.0),
                                  [[False, False, True], [False, False, False]])
    cloud = geometry.depth_to_world(depth, K, rigid(t=(0.0, 0.0, 10.0)))[geometry.valid_depth_mask(depth)]
    np.testing.assert_allclose(cloud, [[0.1, -0.05, 11.0], [0.3, 0.15, 13.0]], atol=1e-12)


def test_uint16_millimetre_depth_is_rejected_with_a_hint():
    with pytest.raises(ValueError, match='metres'):
        geometry.backproject_depth(np.ones((2, 2), np.uint16), intrinsics())


def test_is_valid_pose_cases():
    good = rigid(rotation('y', 30), (1.0, -2.0, 0.5))
    assert geometry.is_valid_pose(good)
    scannet_invalid = np.full((4, 4), -np.inf)
    nan_entry = good.copy()
    nan_entry[0, 3] = np.nan
    scaled = good.copy()
    scaled[:3, :3] *= 1.01
    bad_last_row = good.copy()
    bad_last_row[3, 0] = 0.5
    reflection = rigid(np.diag([1.0, 1.0, -1.0]))
    batch = np.stack([good, scannet_invalid, nan_entry, scaled, bad_last_row, reflection])
    np.testing.assert_array_equal(geometry.is_valid_pose(batch), [True] + [False] * 5)
    assert geometry.is_valid_pose(torch.from_numpy(batch)).tolist() == [True] + [False] * 5
    slightly_off = good.copy()
    slightly_off[:3, :3] += 1e-6  # text files round to ~6 digits: still a pose
    assert geometry.is_valid_pose(slightly_off)


def test_invalid_pose_raises_instead_of_producing_nan():
    depth, K = np.ones((2, 3)), intrinsics()
    bad = np.full((4, 4), -np.inf)
    with pytest.raises(ValueError, match='cam_to_world'):
        geometry.depth_to_world(depth, K, bad)
    with pytest.raises(ValueError, match=r'batch index \[\[1\]\]'):
        geometry.depth_to_world(np.ones((2, 2, 3)), K, np.stack([np.eye(4), bad]))
    with pytest.raises(ValueError, match='inf/NaN'):
        geometry.transform_points(np.zeros((5, 3)), bad)
    with pytest.raises(ValueError, match='inf/NaN'):
        geometry.invert_rigid(torch.full((4, 4), float('nan')))


def test_load_matrix_txt(tmp_path):
    pose_file = tmp_path / 'pose.txt'
    pose = rigid(rotation('x', 10), (0.25, -1.5, 2.0))
    pose_file.write_text('\n'.join(' '.join(f'{x:.17g}' for x in row) for row in pose) + '\n')
    np.testing.assert_array_equal(geometry.load_matrix_txt(pose_file), pose)

    untracked = tmp_path / 'untracked.txt'
    untracked.write_text('-inf -inf -inf -inf\n' * 4)  # what ScanNet writes for lost tracking
    loaded = geometry.load_matrix_txt(untracked)
    assert np.isneginf(loaded).all() and not geometry.is_valid_pose(loaded)

    with pytest.raises(FileNotFoundError, match='missing.txt'):
        geometry.load_matrix_txt(tmp_path / 'missing.txt')
    three_rows = tmp_path / 'three_rows.txt'
    three_rows.write_text('1 0 0 0\n0 1 0 0\n0 0 1 0\n')
    with pytest.raises(ValueError, match='three_rows.txt: expected a 4x4'):
        geometry.load_matrix_txt(three_rows)
    garbage = tmp_path / 'garbage.txt'
    garbage.write_text('1 0 0 0\n0 one 0 0\n0 0 1 0\n0 0 0 1\n')
    with pytest.raises(ValueError, match='garbage.txt'):
        geometry.load_matrix_txt(garbage)


def test_scale_intrinsics_follows_pixel_centres():
    K = intrinsics(fx=200.0, fy=160.0, cx=3.5, cy=1.5)  # 8x4 image: principal point at the image centre
    K_half = geometry.scale_intrinsics(K, 0.5, 0.5)  # 4x2 image: centre at (1.5, 0.5)
    np.testing.assert_allclose(K_half, intrinsics(fx=100.0, fy=80.0, cx=1.5, cy=0.5))
    # Any 3D point lands at u' = (u + 0.5) * s - 0.5 in the resized image.
    points = np.random.default_rng(4).uniform([-1, -1, 1], [1, 1, 3], (20, 3))
    uv, _ = geometry.project_points(points, K)
    uv_scaled, _ = geometry.project_points(points, geometry.scale_intrinsics(K, 0.5, 0.25))
    np.testing.assert_allclose(uv_scaled, (uv + 0.5) * [0.5, 0.25] - 0.5, atol=1e-12)
    # Batched 4x4 ScanNet-style K keeps its shape.
    K4 = np.stack([np.eye(4), np.eye(4)])
    K4[:, :3, :3] = K
    np.testing.assert_allclose(geometry.scale_intrinsics(K4, 2.0, 2.0)[1, :3, :3],
                               geometry.scale_intrinsics(K, 2.0, 2.0))
