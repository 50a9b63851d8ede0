"""Geometry inside a mixed-precision training step: ``torch.autocast`` does not reach it (a bfloat16 ``R^T R``
rejects rigid poses, a bfloat16 projection misplaces pixels), and the per-point voxel keys of the Pri3D geo loss
equal what ``voxelize`` gives."""
import numpy as np
import pytest
import torch

from mask3d_mm import geometry

from .scenes import intrinsics, plane_depth, rigid, rotation

H, W = 24, 32


@pytest.fixture
def pair():
    K = intrinsics()
    pose_i = rigid(rotation('y', 7) @ rotation('x', -4), t=(1.3, 2.1, 0.4))
    pose_j = rigid(rotation('y', 11) @ rotation('x', -2), t=(1.4, 2.0, 0.4))
    normal, offset = (0.1, 0.0, 1.0), 3.1
    depth = [plane_depth(K, pose, H, W, normal=normal, offset=offset) for pose in (pose_i, pose_j)]
    tensors = [torch.as_tensor(np.stack(a), dtype=torch.float32) for a in (depth, [K, K], [pose_i, pose_j])]
    assert (tensors[0] > 0).float().mean() > 0.5  # the plane fills most of both views
    return tensors  # depth (2, H, W), K (2, 3, 3), pose (2, 4, 4)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16], ids=['bf16', 'fp16'])
def test_geometry_ignores_autocast(pair, dtype):
    depth, K, pose = pair
    args = (depth[:1], depth[1:], K[:1], K[1:], pose[:1], pose[1:])
    reference = [geometry.is_valid_pose(pose), geometry.depth_to_world(depth, K, pose),
                 *geometry.batched_frame_correspondences(*args)]
    assert reference[0].all() and reference[3].sum() > 100
    with torch.autocast('cpu', dtype=dtype):
        mixed = [geometry.is_valid_pose(pose), geometry.depth_to_world(depth, K, pose),
                 *geometry.batched_frame_correspondences(*args)]
    for expected, value in zip(reference, mixed):
        assert value.dtype == expected.dtype and torch.equal(value, expected)


def test_voxel_keys_are_voxelize_per_point():
    points = torch.randn(500, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.3
    voxel_coords, point_to_voxel = geometry.voxelize(points, 0.05)
    expected = geometry.voxel_hash(voxel_coords)[point_to_voxel]
    assert len(voxel_coords) < len(points)  # several points share voxels
    assert torch.equal(geometry.voxel_keys(points, 0.05), expected)
    np.testing.assert_array_equal(geometry.voxel_keys(points.numpy(), 0.05), expected.numpy())
