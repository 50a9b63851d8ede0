"""Pri3D controls: each loss, trained a few SGD steps (Pri3D's lr 0.1, momentum 0.9) on one fixed batch with the
tiny synthetic config's model (configs/pri3d/pri3d-view-geo_resnet18-unet_1xb2_synthetic.py, 80x60 views), falls
far below chance when its positives really are the same point and stays at chance when they are shuffled.

- view: two views of ONE frame of the synthetic world (identical colour, same pose and depth: every valid pixel
  matches itself exactly) vs the same pair with each pixel's match replaced by another matched pixel;
- geo: a fronto-parallel plane (every voxel has the same local geometry, so only colour tells voxels apart) with a
  random colour per voxel, seen by the 2D branch as pixel colours; the 3D UNet's input colours either are those of
  the pixels that land in the voxel or are shuffled across voxels.

Chance for PointInfoNCE over ``num_samples`` matches is log(num_samples)."""
import copy
import math

import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mask3d_mm import geometry

from .test_pri3d_training import TINY, config_on_world, one_batch

import os
STEPS = int(os.environ.get('STEPS', 10))
COLOUR_BLOCK = int(os.environ.get('BLOCK', 3))
PLANE_DEPTH = 2.02  # metres


def raw_batch(cfg):
    """The first loader batch of ``cfg`` before the data preprocessor."""
    init_default_scope(cfg.default_scope)
    return next(iter(Runner.build_dataloader(cfg.train_dataloader)))


def model_and_batch(pri3d_world, tmp_path, mode):
    cfg = config_on_world(TINY, pri3d_world, tmp_path, batch_size=1)
    cfg.model.mode = mode
    cfg.train_dataloader.dataset.with_chunks = mode == 'geo'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    return model, one_batch(cfg, model)


def train(model, data, steps=STEPS):
    """Loss of each SGD step on the fixed batch ``data`` (or ``data(step)``), before that step's update."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = []
    for step in range(steps):
        batch = data(step) if callable(data) else copy.copy(data)
        loss = sum(model(**batch, mode='loss').values())
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
    permutation of the model's own exact matches)."""
    exact = model.view_correspondences
    generator = torch.Generator().manual_seed(seed)

    def shuffled(*args):
        idx_i, idx_j, valid = exact(*args)
        perm = torch.stack([torch.randperm(idx_j.shape[1], generator=generator) for _ in range(len(idx_j))])
        return idx_i, torch.gather(idx_j, 1, perm), valid

    model.view_correspondences = shuffled


def test_view_loss_learns_exact_matches_not_shuffled_ones(pri3d_world, tmp_path):
    """Mutation check: <filled in below>"""
    runs = {}
    for matches in ('exact', 'shuffled'):
        model, data = model_and_batch(pri3d_world, tmp_path, 'view')
        if matches == 'shuffled':
            shuffle_view_matches(model)
        runs[matches] = train(model, one_frame_twice(data))
    print(runs)
    chance = math.log(model.num_samples)
    exact, shuffled = runs['exact'], runs['shuffled']
    assert shuffled[-1] > 0.97 * chance, runs  # nothing to learn: stays at chance
    assert exact[-1] < exact[0] - 0.5 and exact[-1] < 0.7 * shuffled[-1], runs


def plane_views(raw, voxel_size, shuffle_voxel_colours, seed=0):
    """``raw`` (a loader batch of one pair) with both views replaced by the same fronto-parallel plane at
    ``PLANE_DEPTH``. The chunk is that plane's voxels over three times the visible extent each way (so no border of
    the 3D input lines up with the image border: only colour tells where a voxel is seen), coloured by blocks of
    ``COLOUR_BLOCK`` x ``COLOUR_BLOCK`` voxels; each pixel has the colour of the voxel its depth lands in (found by
    ``geometry.depth_to_world`` / ``voxelize``, as the model does). The chunk's colours are those, or shuffled
    across voxels."""
    sample = raw['data_samples'][0]
    height, width = raw['inputs'][0].shape[-2:]
    K, pose = sample.intrinsic[0], torch.eye(4)
    if os.environ.get('FRESH'):
        pose[:2, 3] = torch.rand(2, generator=torch.Generator().manual_seed(seed + 1000)) * voxel_size * 5
    depth = torch.full((height, width), PLANE_DEPTH)
    seen, pixel_voxel = geometry.voxelize(geometry.depth_to_world(depth, K, pose).reshape(-1, 3), voxel_size)
    low, high = seen.min(0).values, seen.max(0).values
    margin = high - low
    xs, ys = (torch.arange(low[d] - margin[d], high[d] + margin[d] + 1) for d in (0, 1))
    grid = torch.stack(torch.meshgrid(xs, ys, indexing='ij'), -1).reshape(-1, 2)  # (V, 2)
    coords = torch.cat([grid, grid.new_full((len(grid), 1), int(low[2]))], 1)  # (V, 3), one z: the plane
    generator = torch.Generator().manual_seed(seed)
    if os.environ.get('RAMP'):
        ramp = (grid - grid.min(0).values) * 255 // (grid.max(0).values - grid.min(0).values)  # (V, 2) 0..255
        noise = torch.randint(0, 256, (len(grid), 1), generator=generator)
        rgb = torch.cat([ramp, noise], 1).to(torch.uint8)  # (V, 3): red / green ramps across the plane, random blue
    else:
        _, block = torch.unique(torch.div(grid, COLOUR_BLOCK, rounding_mode='floor'), dim=0, return_inverse=True)
        palette = torch.randint(0, 256, (int(block.max()) + 1, 3), generator=generator, dtype=torch.uint8)
        rgb = palette[block]  # (V, 3)
    if os.environ.get('CONST'):
        rgb_chunk = torch.full_like(rgb, 128)
    seen_rows = (seen[:, 0] - xs[0]) * len(ys) + (seen[:, 1] - ys[0])  # row of each seen voxel in ``coords``
    image = rgb[seen_rows[pixel_voxel]].flip(-1).T.reshape(1, 3, height, width)  # BGR, as the loader gives
    chunk_colors = rgb[torch.randperm(len(rgb), generator=generator)] if shuffle_voxel_colours else rgb
    if os.environ.get('CONST') and shuffle_voxel_colours:
        chunk_colors = torch.full_like(rgb, 128)
    raw['inputs'] = [image, image.clone()]
    sample.depth, sample.pose, sample.intrinsic = depth.expand(2, -1, -1), pose.expand(2, -1, -1), K.expand(2, -1, -1)
    views = torch.arange(2).repeat_interleave(len(coords))[:, None]
    sample.chunk_coords = torch.cat([views, coords.repeat(2, 1)], 1)
    sample.chunk_colors = chunk_colors.repeat(2, 1)
    return raw


def test_geo_loss_learns_from_voxel_colours_not_shuffled_ones(pri3d_world, tmp_path):
    """Mutation check: <filled in below>"""
    runs = {}
    for colours in ('matched', 'shuffled'):
        cfg = config_on_world(TINY, pri3d_world, tmp_path, batch_size=1)
        cfg.model.mode = 'geo'
        cfg.train_dataloader.dataset.with_chunks = True
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        raw = raw_batch(cfg)
        voxel_size = raw['data_samples'][0].metainfo['voxel_size']
        if os.environ.get('FRESH'):
            def data(step):
                return model.data_preprocessor(plane_views(copy.deepcopy(raw), voxel_size, colours == 'shuffled', step), True)
        else:
            data = model.data_preprocessor(plane_views(raw, voxel_size, colours == 'shuffled'), True)
        runs[colours] = train(model, data)
    print(runs)
    chance = math.log(model.num_samples)
    matched, shuffled = runs['matched'], runs['shuffled']
    assert shuffled[-1] > 0.95 * chance, runs
    assert matched[-1] < 0.7 * shuffled[-1], runs
