"""CPU step time of Pri3D's 3D network and of a whole Pri3D step: this project's first 3D UNet vs the paper's depth.

    python tools/benchmarks/bench_pri3d.py [--iters 2] [--size 160 120] [--voxel-size 0.04] [--threads 2]

Renders one synthetic scene, mines its pairs with voxel chunks (default 4 cm so the run stays near 2 minutes on 2
cores; ``--voxel-size 0.02`` is ScanNet's / the configs' setting, ~4x the voxels), then times, alternated step by
step in one process (median of ``--iters``; kernel maps are rebuilt at every step, so there is nothing to warm up):

1. the 3D UNet alone, forward + backward + SGD on one view's voxel chunk: ``first`` =
   ``SparseUNet3D(channels=(32, 64, 128, 256))`` (one residual block per level, the configs' 3D network before)
   vs ``res-unet34`` = ``RES_UNET34`` (Pri3D's MinkUNet34C depth, the configs' 3D network now);
2. a whole Pri3D view+geo step (one pair: two chunks) of the real ResNet-18 config (official UNet, 240x320 ->
   ``--size``) with each 3D UNet.

Ratios are res-unet34 / first from the same run. Pure-PyTorch sparse convolution (spconv's backward needs CUDA).
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mask3d_mm  # noqa: F401  (registers Pri3D)
from mask3d_mm.data_prep.pair_mining import merge_pair_files, process_scene
from mask3d_mm.data_prep.synthetic import generate_dataset
from mask3d_mm.models.backbones.sparse_unet import RES_UNET34

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'pri3d', 'pri3d-view-geo_resnet18-unet_8xb8_scannet.py')
UNETS = {
    'first': dict(type='SparseUNet3D', channels=(32, 64, 128, 256), out_channels=96, backend='torch'),
    'res-unet34': dict(type='SparseUNet3D', **RES_UNET34, backend='torch'),
}


def make_world(root, width, height, voxel_size):
    scene_ids = generate_dataset(root, num_scenes=1, frames_per_scene=8, seed=0, height=height, width=width)
    work_dir = osp.join(root, 'pri3d')
    process_scene(root, scene_ids[0], work_dir, min_overlap=0.3, frame_skip=1, chunk_voxel_size=voxel_size)
    merge_pair_files(work_dir, scene_ids, osp.join(work_dir, 'pairs.txt'))
    return osp.join(work_dir, 'pairs.txt')


def pri3d_cfg(root, pairs_file, size, batch, config=CONFIG):
    cfg = Config.fromfile(config)
    cfg.model.backbone.encoder_cfg.init_cfg = None  # timing only: no ImageNet download
    loader = cfg.train_dataloader
    loader.dataset.update(data_root=root, ann_file=pairs_file)
    loader.dataset.pipeline[0].scale = tuple(size)
    loader.update(num_workers=0, persistent_workers=False, batch_size=batch)
    return cfg


def timed(step):
    start = time.perf_counter()
    step()
    return (time.perf_counter() - start) * 1000


def unet_step(net, optimizer, coords, feats):
    def step():
        optimizer.zero_grad()
        net(coords, feats).square().mean().backward()
        optimizer.step()
    return step


def pri3d_step(model, optimizer, data):
    def step():
        optimizer.zero_grad()
        sum(model(**copy.copy(data), mode='loss').values()).backward()
        optimizer.step()
    return step


def median_ms(steps, iters, label):
    """``{name: median ms}``, the steps alternated."""
    times = {name: [] for name in steps}
    for i in range(iters):
        for name, step in steps.items():
            times[name].append(timed(step))
            print(f'{label} {name} step {i + 1}/{iters}: {times[name][-1]:.0f} ms', flush=True)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--size', type=int, nargs=2, default=(160, 120), metavar=('W', 'H'))
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--voxel-size', type=float, default=0.04, help='chunk voxel size in metres')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as root:
        cfg = pri3d_cfg(root, make_world(root, *args.size, args.voxel_size), args.size, args.batch)
        init_default_scope(cfg.default_scope)
        models = {}
        for name, unet in UNETS.items():
            models[name] = MODELS.build(dict(cfg.model, backbone3d=unet))
        data = models['first'].data_preprocessor(next(iter(Runner.build_dataloader(cfg.train_dataloader))), True)

    chunk = data['data_samples'][0].chunk_coords.long()
    xyz = chunk[chunk[:, 0] == 0, 1:]  # (M, 3): the first view's chunk
    coords = torch.cat([torch.zeros(len(xyz), 1, dtype=torch.long), xyz - xyz.min(0).values], 1)  # (M, 4)
    feats = torch.rand(len(coords), 3) - 0.5
    unet_steps, pri3d_steps = {}, {}
    for name, m in models.items():
        unet_steps[name] = unet_step(m.backbone3d, torch.optim.SGD(m.backbone3d.parameters(), lr=0.01), coords, feats)
        pri3d_steps[name] = pri3d_step(m, torch.optim.SGD(m.parameters(), lr=0.01), data)
    unet_ms = median_ms(unet_steps, args.iters, '3D UNet')
    pri3d_ms = median_ms(pri3d_steps, args.iters, 'Pri3D')

    params = {name: sum(p.numel() for p in m.backbone3d.parameters()) / 1e6 for name, m in models.items()}
    print(f'3D UNet: one chunk of {len(coords)} voxels ({args.voxel_size * 100:g} cm); Pri3D: {args.batch} pair(s) at '
          f'{args.size[0]}x{args.size[1]}; {args.threads} threads; median of {args.iters}')
    print('| 3D network | params (M) | 3D UNet ms/step | Pri3D view+geo R18 ms/step |')
    print('|---|---:|---:|---:|')
    for name in UNETS:
        print(f'| {name} | {params[name]:.2f} | {unet_ms[name]:.0f} | {pri3d_ms[name]:.0f} |')
    print(f'| ratio res-unet34 / first | {params["res-unet34"] / params["first"]:.2f}x | '
          f'{unet_ms["res-unet34"] / unet_ms["first"]:.2f}x | {pri3d_ms["res-unet34"] / pri3d_ms["first"]:.2f}x |')


if __name__ == '__main__':
    main()
