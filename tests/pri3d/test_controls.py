"""Pri3D controls: each loss, trained a few SGD steps (Pri3D's lr 0.1, momentum 0.9) with the tiny synthetic
config's model (configs/pri3d/pri3d-view-geo_resnet18-unet_1xb2_synthetic.py: ResNet-18 UNet, tiny 3D UNet,
256 matches; 80x60 views), falls well below chance when its positives really see the same point and stays at chance
when they are shuffled. Chance for PointInfoNCE over ``num_samples`` matches is log(num_samples) = 5.55.

- view: two views of ONE frame of the synthetic world (identical colour, same depth and pose: every valid pixel
  matches itself exactly), one fixed batch, vs the same pair with each pixel's match replaced by another pixel's
  (a fresh permutation of the model's own matches at every step);
- geo: a fronto-parallel plane (every voxel has the same local geometry), coloured by random blocks of voxels, the
  2D branch seeing each pixel in the colour of the voxel its depth lands in; the 3D UNet's input colours are either
  those or shuffled across voxels. A fresh plane (new colours, camera shifted) at every step: on one fixed plane
  both arms fall alike (measured, one colour per voxel: 3.91 either way after 25 steps, 4.24 with constant voxel
  colours; blocks of 4: 3.91 vs 4.13 after 20), the networks learning where a pixel / voxel sits (presumably image
  borders and the strided convolutions' parity), not colour. On the real pair of the fixture the same: 4.29
  matched vs 4.43 shuffled after 15 steps.
"""
import copy
import math

import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mask3d_mm import geometry

from .test_pri3d_training import TINY, config_on_world

VIEW_STEPS = 10
GEO_STEPS = 30
COLOUR_BLOCK = 4  # voxels per side of one colour block (8 cm voxels of the fixture's chunks)
PLANE_DEPTH = 2.02  # metres (not a multiple of the voxel size: the plane stays in one voxel layer)


def model_and_raw_batch(pri3d_world, tmp_path, mode):
    """The tiny config's model in ``mode`` (seeded) and its first loader batch of one pair, before the
    data preprocessor."""
    cfg = config_on_world(TINY, pri3d_world, tmp_path, batch_size=1)
    cfg.model.mode = mode
    cfg.train_dataloader.dataset.with_chunks = mode == 'geo'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    init_default_scope(cfg.default_scope)  # the Runner does this; building by hand must too
    np.random.seed(0)  # the sampler's seed and the colour augmentation
    return model, next(iter(Runner.build_dataloader(cfg.train_dataloader)))


def train(model, data, steps):
    """Loss of each SGD step on ``data(step)`` (a preprocessed batch), before that step's update."""
    torch.manual_seed(0)  # the sampled matches
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = []
    for step in range(steps):
        loss = sum(model(**data(step), mode='loss').values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def one_frame_twice(data):
    """The pair's first view as both views: same image, depth, pose and intrinsics."""
    data['inputs'][1] = data['inputs'][0].clone()
    for sample in data['data_samples']:
        for key in ('depth', 'pose', 'intrinsic'):
            value = getattr(sample, key)
            setattr(sample, key, torch.stack([value[0], value[0]]))
    return data


def shuffle_view_matches(model, seed=0):
    """Each sampled pixel of view i is paired with the match of another sampled pixel (per pair, a random
    permutation of the model's own exact matches, drawn afresh at every call)."""
    exact = model.view_correspondences
    generator = torch.Generator().manual_seed(seed)

    def shuffled(*args):
        idx_i, idx_j, valid = exact(*args)
        perm = torch.stack([torch.randperm(idx_j.shape[1], generator=generator) for _ in range(len(idx_j))])
        return idx_i, torch.gather(idx_j, 1, perm), valid

    model.view_correspondences = shuffled


def view_run(pri3d_world, tmp_path, shuffle_matches):
    model, raw = model_and_raw_batch(pri3d_world, tmp_path, 'view')
    data = one_frame_twice(model.data_preprocessor(raw, True))
    if shuffle_matches:
        shuffle_view_matches(model)
    assert model.num_samples == 256
    return train(model, lambda step: copy.copy(data), VIEW_STEPS)


def test_view_loss_learns_exact_matches_not_shuffled_ones(pri3d_world, tmp_path):
    """Measured (10 steps): exact matches 4.25 -> 3.40, shuffled 5.68 -> 5.56 (chance 5.55).
    Mutation check: the model's matches rolled by one sample (``view_correspondences`` returning
    ``idx_j.roll(1, 1)``: every pixel paired with a wrong one) -> exact 5.65 -> 5.55, the test fails."""
    runs = {matches: view_run(pri3d_world, tmp_path, matches == 'shuffled') for matches in ('exact', 'shuffled')}
    chance = math.log(256)
    exact, shuffled = runs['exact'], runs['shuffled']
    assert min(shuffled[-3:]) > 0.97 * chance, runs  # nothing to learn: stays at chance
    assert exact[-1] < exact[0] - 0.5 and exact[-1] < 0.7 * shuffled[-1], runs


def plane_views(raw, voxel_size, shuffle_voxel_colours, seed):
    """``raw`` (a loader batch of one pair) with both views replaced by the same fronto-parallel plane at
    ``PLANE_DEPTH``, the camera shifted by a random fraction of five voxels. The chunk is the plane's voxels over
    twice the visible extent each way (its borders do not line up with the image's), with one random colour per
    ``COLOUR_BLOCK`` x ``COLOUR_BLOCK`` voxels; each pixel has the colour of the voxel its depth lands in (found by
    ``geometry.depth_to_world`` / ``voxelize``, as the model does). The chunk's colours are those, or shuffled
    across voxels."""
    generator = torch.Generator().manual_seed(seed)
    raw = copy.deepcopy(raw)
    sample = raw['data_samples'][0]
    height, width = raw['inputs'][0].shape[-2:]
    K, pose = sample.intrinsic[0], torch.eye(4)
    pose[:2, 3] = torch.rand(2, generator=generator) * 5 * voxel_size
    depth = torch.full((height, width), PLANE_DEPTH)
    seen, pixel_voxel = geometry.voxelize(geometry.depth_to_world(depth, K, pose).reshape(-1, 3), voxel_size)
    low, high = seen.min(0).values, seen.max(0).values
    margin = (high - low) // 2
    xs, ys = (torch.arange(low[d] - margin[d], high[d] + margin[d] + 1) for d in (0, 1))
    grid = torch.stack(torch.meshgrid(xs, ys, indexing='ij'), -1).reshape(-1, 2)  # (V, 2)
    coords = torch.cat([grid, grid.new_full((len(grid), 1), int(low[2]))], 1)  # (V, 3): one layer, the plane
    _, block = torch.unique(torch.div(grid, COLOUR_BLOCK, rounding_mode='floor'), dim=0, return_inverse=True)
    palette = torch.randint(0, 256, (int(block.max()) + 1, 3), generator=generator, dtype=torch.uint8)
    rgb = palette[block]  # (V, 3) RGB
    seen_rows = (seen[:, 0] - xs[0]) * len(ys) + (seen[:, 1] - ys[0])  # row of each seen voxel in ``coords``
    image = rgb[seen_rows[pixel_voxel]].flip(-1).T.reshape(1, 3, height, width)  # BGR, as the loader gives
    chunk_colors = rgb[torch.randperm(len(rgb), generator=generator)] if shuffle_voxel_colours else rgb
    raw['inputs'] = [image, image.clone()]
    sample.depth, sample.pose, sample.intrinsic = depth.expand(2, -1, -1), pose.expand(2, -1, -1), K.expand(2, -1, -1)
    views = torch.arange(2).repeat_interleave(len(coords))[:, None]
    sample.chunk_coords = torch.cat([views, coords.repeat(2, 1)], 1)
    sample.chunk_colors = chunk_colors.repeat(2, 1)
    return raw


def geo_run(pri3d_world, tmp_path, shuffle_voxel_colours):
    model, raw = model_and_raw_batch(pri3d_world, tmp_path, 'geo')
    voxel_size = raw['data_samples'][0].metainfo['voxel_size']
    assert model.num_samples == 256

    def data(step):
        return model.data_preprocessor(plane_views(raw, voxel_size, shuffle_voxel_colours, step), True)

    return train(model, data, GEO_STEPS)


def test_geo_loss_learns_from_voxel_colours_not_shuffled_ones(pri3d_world, tmp_path):
    """Measured (30 steps): matched colours 5.63 -> 4.33 (4.48 over the last 5 steps, the bound 4.99), shuffled
    5.63 -> 5.55 (never below 5.54 over the last 5; the bound 5.38).
    Mutation check: the 3D UNet given zeros for its input colours (``SparseUNet3D.forward``) -> matched stays at
    5.55, the test fails."""
    runs = {colours: geo_run(pri3d_world, tmp_path, colours == 'shuffled') for colours in ('matched', 'shuffled')}
    chance = math.log(256)
    matched, shuffled = runs['matched'], runs['shuffled']
    assert min(shuffled[-5:]) > 0.97 * chance, runs
    assert np.mean(matched[-5:]) < 0.9 * chance, runs
