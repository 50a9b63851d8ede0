"""Pri3D's matches against the synthetic renderer's exact geometry (independent pinhole maths in the test)."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mask3d_mm.data_prep.synthetic import SyntheticScene
from mask3d_mm.models.algorithms.pri3d import half_res_camera

from .test_pri3d_pairs import pair_dataset

HEIGHT, WIDTH = 120, 160


def tiny_pri3d(**kwargs):
    backbone = dict(type='ResNetUNet', depth=18, out_channels=16)
    return MODELS.build(dict(type='Pri3D', backbone=backbone, feat_channels=16, **kwargs))


def pixel_world_points(depth, K, pose, flat_idx):
    """World points of flat pixel indices of a (h, w) depth map, straight from the pinhole model."""
    v, u = np.divmod(flat_idx, depth.shape[1])
    z = depth[v, u]
    cam = np.stack([(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z], 1)  # (N, 3)
    return cam @ pose[:3, :3].T + pose[:3, 3]


def project(points, K, pose):
    cam = (points - pose[:3, 3]) @ pose[:3, :3]  # (N, 3) world -> camera
    uv = np.stack([K[0, 0] * cam[:, 0] / cam[:, 2] + K[0, 2], K[1, 1] * cam[:, 1] / cam[:, 2] + K[1, 2]], 1)
    return uv, cam[:, 2]  # (N, 2), (N,)


@pytest.fixture(scope='module')
def rendered_pair():
    """Two frames of a synthetic room with exact depth, far enough apart that furniture occludes (room seed 2:
    a few hundred of frame 0's pixels are hidden from frame 2)."""
    scene = SyntheticScene(2)
    poses = scene.trajectory(3)
    K = scene.intrinsics(HEIGHT, WIDTH)
    depths = [scene.render(poses[f], K, HEIGHT, WIDTH)['depth'] for f in (0, 2)]
    return scene, np.stack(depths), np.stack([K, K]), poses[[0, 2]]


def test_view_matches_reproject_within_one_pixel_and_skip_occluded_pixels(rendered_pair):
    scene, depth, K, pose = rendered_pair
    half_depth, half_K = half_res_camera(torch.from_numpy(depth), torch.from_numpy(K).float())
    # 4 draws per input pixel, with replacement (fewer matches than samples): every match is drawn but ~1e-7 of them
    model = tiny_pri3d(mode='view', num_samples=4 * HEIGHT * WIDTH)
    idx_i, idx_j, valid = (x[0].numpy() for x in model.view_correspondences(
        half_depth[None], half_K[None], torch.from_numpy(pose).float()[None]))
    idx_i, idx_j = idx_i[valid], idx_j[valid]
    d_i, K_i, K_j = half_depth[0].numpy(), half_K[0].numpy(), half_K[1].numpy()
    width = d_i.shape[1]
    assert len(idx_i) > 0.2 * (d_i > 0).sum()
    uv_j, _ = project(pixel_world_points(d_i, K_i, pose[0], idx_i), K_j, pose[1])
    matched_uv = np.stack([idx_j % width, idx_j // width], 1)
    assert np.abs(uv_j - matched_uv).max() < 1.0

    # Ground-truth visibility from the renderer's ray caster: a pixel of i is hidden in j when the rays of j
    # through its projection and the 4 corners of the pixel square around it (which bracket the nearest pixel the
    # match looks at) all hit a surface more than the model's depth tolerance in front of it.
    all_i = np.flatnonzero(d_i > 0)
    points = pixel_world_points(d_i, K_i, pose[0], all_i)
    uv, z = project(points, K_j, pose[1])
    in_view = (z > 0) & np.all((uv > 0.5) & (uv < np.array([width, d_i.shape[0]]) - 1.5), axis=1)
    hidden = in_view.copy()
    for du, dv in ((0, 0), (0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5)):
        rays_cam = np.stack([(uv[:, 0] + du - K_j[0, 2]) / K_j[0, 0], (uv[:, 1] + dv - K_j[1, 2]) / K_j[1, 1],
                             np.ones(len(uv))], 1)  # (N, 3), z = 1: hit t is the depth seen by j
        hit_depth, _ = scene.raycast(np.broadcast_to(pose[1, :3, 3], rays_cam.shape), rays_cam @ pose[1, :3, :3].T)
        hidden &= hit_depth < z - model.depth_tol
    assert hidden.sum() > 20, 'the pair must contain occluded pixels for this test to mean something'
    assert not np.isin(all_i[hidden], idx_i).any()
    visible = in_view & ~hidden
    assert np.isin(all_i[visible], idx_i).mean() > 0.8


def test_pixel_voxel_matches_land_in_the_right_voxel(pri3d_world):
    sample = pair_dataset(pri3d_world)[0]['data_samples']
    voxel_size = sample.metainfo['voxel_size']
    half_depth, half_K = half_res_camera(sample.depth[0], sample.intrinsic[0])
    chunk = sample.chunk_coords[sample.chunk_coords[:, 0] == 0, 1:].long()  # (M, 3)
    model = tiny_pri3d(mode='view')
    pixels, rows = model.pixel_voxel_matches(half_depth, half_K, sample.pose[0], chunk, voxel_size)
    assert len(pixels) > 0.95 * (half_depth > 0).sum()  # the chunk was fused from these very frames
    points = pixel_world_points(half_depth.numpy(), half_K.numpy(), sample.pose[0].numpy(), pixels.numpy())
    lower = chunk[rows].numpy() * voxel_size
    assert np.all(points >= lower - 1e-4) and np.all(points <= lower + voxel_size + 1e-4)
