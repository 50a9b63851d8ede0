"""Benchmark Mask3D pretraining against mmpretrain's own MAE, and the RGB-D data pipeline against bare decoding.

    python tools/benchmarks/bench_pretrain.py [--arch b] [--img-size 224] [--batch 8] [--iters 5] [--device auto]
        [--rgb-mask-ratio R]

1. Training step: one forward + backward + AdamW step of mmpretrain's ``MAE`` (``MAEViT`` + ``MAEPretrainDecoder``
   + ``MAEPretrainHead``, mask ratio 0.75) and of ``Mask3D`` (``configs/mask3d/vitb_scannet.py``'s model: RGB / depth
   masks drawn in the model, depth encoder, fusion decoder), on the same ViT arch, batch and input size, with the
   same 512-d / 8-block decoder. The two are alternated step by step in one process; the median of ``--iters``
   steps (after ``--warmup``) is reported. Goal: Mask3D <= 1.15 x MAE with as many visible RGB tokens as MAE
   (``--rgb-mask-ratio 0.75``: the ratio then measures the depth branch and the fusion). The default masking (50 %
   RGB hidden) encodes twice MAE's RGB tokens, so expect more there.
2. Data: img/s of the config's training pipeline in one process (= one dataloader worker) vs. reading + decoding
   the same colour JPEGs and depth PNGs with OpenCV and nothing else. Goal: pipeline >= 0.7 x bare decode.

``--arch`` takes mmpretrain's ViT arch names (``b``, ``l``, ``deit-small``, ``deit-tiny``, ...); ``deit-small``
with ``--batch 4`` finishes in well under a minute on 2 CPU cores. Uses CUDA when available (``--device``).
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

import mask3d_mm  # noqa: F401  (registers Mask3D)
from mask3d_mm.data_prep.synthetic import generate_dataset

MASK3D_CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'mask3d', 'vitb_scannet.py')
PATCH = 16
MAE_MASK_RATIO = 0.75  # mmpretrain's MAE recipe; the step-time goal compares Mask3D at the same RGB ratio


def mask3d_model_cfg(arch: str, img_size: int, rgb_mask_ratio: float = None) -> dict:
    """The config's model at ``arch`` / ``img_size`` (Mask3D derives every other size from its backbone) and, if
    given, ``rgb_mask_ratio``; the copy baseline is not timed (a logging diagnostic, every 50 iterations)."""
    model = copy.deepcopy(Config.fromfile(MASK3D_CONFIG).model)
    model.backbone.update(arch=arch, img_size=img_size)
    if rgb_mask_ratio is not None:
        model.rgb_mask_ratio = rgb_mask_ratio
    model.copy_baseline_interval = 0
    return model


def mae_model_cfg(arch: str, img_size: int, embed_dims: int) -> dict:
    """mmpretrain's ``mae_vit-base-p16_8xb512-amp-coslr-300e_in1k`` model at the given arch and size."""
    return dict(
        type='MAE',
        backbone=dict(type='MAEViT', arch=arch, img_size=img_size, patch_size=PATCH, mask_ratio=MAE_MASK_RATIO),
        neck=dict(type='MAEPretrainDecoder', num_patches=(img_size // PATCH) ** 2, patch_size=PATCH, in_chans=3,
                  embed_dim=embed_dims, decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16,
                  mlp_ratio=4.),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=PATCH,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        init_cfg=[dict(type='Xavier', layer='Linear', distribution='uniform'),
                  dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)])


def build(model_cfg: dict, device: str):
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device).train()


def mask3d_batch(batch: int, img_size: int, device: str):
    """Inputs (B, 4, H, W) as the preprocessor makes them (normalized RGB + metres, 10 % invalid) and DataSamples
    with the mask seeds; the model draws its RGB / depth masks inside the timed step."""
    gt_depth = torch.rand(batch, 1, img_size, img_size, device=device) * 4
    gt_depth[torch.rand_like(gt_depth) < 0.1] = 0
    inputs = torch.cat([torch.randn(batch, 3, img_size, img_size, device=device), gt_depth], dim=1)
    return inputs, [DataSample(mask_seed=i) for i in range(batch)]


def train_step(model, optimizer, inputs, samples, device: str) -> float:
    """One fwd + bwd + AdamW step; returns its wall time in ms."""
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    losses = model.loss(inputs, samples)
    optimizer.zero_grad(set_to_none=True)
    sum(losses.values()).backward()
    optimizer.step()
    if device == 'cuda':
        torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3


def bench_models(args, device: str) -> dict:
    torch.manual_seed(0)
    embed_dims = MODELS.build(dict(type='MAEViT', arch=args.arch, img_size=32)).embed_dims
    models = dict(MAE=build(mae_model_cfg(args.arch, args.img_size, embed_dims), device),
                  Mask3D=build(mask3d_model_cfg(args.arch, args.img_size, args.rgb_mask_ratio), device))
    optimizers = {name: torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
                  for name, m in models.items()}
    rgbd, samples = mask3d_batch(args.batch, args.img_size, device)
    inputs = dict(MAE=(rgbd[:, :3].contiguous(), [DataSample() for _ in samples]), Mask3D=(rgbd, samples))
    times = {name: [] for name in models}
    for step in range(args.warmup + args.iters):
        for name, model in models.items():  # alternate, so both see the same machine load
            elapsed = train_step(model, optimizers[name], *inputs[name], device)
            if step >= args.warmup:
                times[name].append(elapsed)
    params = {name: sum(p.numel() for p in m.parameters()) / 1e6 for name, m in models.items()}
    return {name: (statistics.median(t), params[name]) for name, t in times.items()}


def frame_paths(data_root: str) -> list:
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(dict(type='RGBDFrameDataset', data_root=data_root, scenes=['scene0000_00',
                                                                                       'scene0001_00']))
    return [(dataset.get_data_info(i)['img_path'], dataset.get_data_info(i)['depth_path'])
            for i in range(len(dataset))]


def bare_decode(paths) -> None:
    for img_path, depth_path in paths:
        with open(img_path, 'rb') as f:
            cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
        with open(depth_path, 'rb') as f:
            cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_UNCHANGED)


def run_pipeline(pipeline, paths) -> None:
    for img_path, depth_path in paths:
        pipeline(dict(img_path=img_path, depth_path=depth_path))


def bench_pipeline(args) -> dict:
    from mmengine.dataset import Compose
    with tempfile.TemporaryDirectory() as root:
        generate_dataset(root, num_scenes=2, frames_per_scene=args.frames // 2, seed=0, height=args.frame_hw[0],
                         width=args.frame_hw[1])
        paths = frame_paths(root)
        cfg = Config.fromfile(MASK3D_CONFIG)
        pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_pipeline])
        times = dict(bare=[], pipeline=[])
        for _ in range(args.rounds):
            for name, fn in (('bare', lambda: bare_decode(paths)), ('pipeline', lambda: run_pipeline(pipeline, paths))):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: len(paths) / statistics.median(t) for name, t in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', default='b', help="mmpretrain ViT arch: b, l, deit-small, deit-tiny, ...")
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=5, help='timed steps per model (median reported)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'])
    parser.add_argument('--frames', type=int, default=16, help='synthetic frames for the data benchmark')
    parser.add_argument('--frame-hw', type=int, nargs=2, default=(480, 640), help='their size (ScanNet depth: 480 640)')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--skip-data', action='store_true')
    parser.add_argument('--rgb-mask-ratio', type=float, default=None,
                        help=f"Mask3D's RGB mask ratio (default: the config's); {MAE_MASK_RATIO}: MAE's tokens")
    args = parser.parse_args(argv)
    MMLogger.get_instance('bench_pretrain', log_level='WARNING')  # no per-parameter init report from init_weights
    device = ('cuda' if torch.cuda.is_available() else 'cpu') if args.device == 'auto' else args.device
    where = torch.cuda.get_device_name() if device == 'cuda' else f'{torch.get_num_threads()} threads'
    print(f'device: {device} ({where}), arch {args.arch}, {args.img_size}x{args.img_size}, batch {args.batch}, '
          f'median of {args.iters} steps')

    results = bench_models(args, device)
    mae_ms = results['MAE'][0]
    print('\n| training step (fwd+bwd+AdamW) | params (M) | ms/step | img/s | ratio vs MAE |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for name, (ms, params) in results.items():
        print(f'| {name} | {params:.1f} | {ms:.0f} | {args.batch * 1e3 / ms:.1f} | {ms / mae_ms:.2f}x |')
    ratio = results['Mask3D'][0] / mae_ms
    if args.rgb_mask_ratio == MAE_MASK_RATIO:
        print(f'Mask3D / MAE step time: {ratio:.2f}x (goal <= 1.15x: {"met" if ratio <= 1.15 else "NOT met"})')
    else:
        setting = 'the config' if args.rgb_mask_ratio is None else args.rgb_mask_ratio
        print(f'Mask3D / MAE step time: {ratio:.2f}x at RGB mask ratio {setting} (the goal is set at '
              f'--rgb-mask-ratio {MAE_MASK_RATIO}, as many visible RGB tokens as MAE)')

    if not args.skip_data:
        rates = bench_pipeline(args)
        height, width = args.frame_hw
        print(f'\n| data, 1 worker, {height}x{width} frames -> 224 crop, flip, pack | img/s | ratio vs bare decode |')
        print('| --- | ---: | ---: |')
        print(f'| bare JPEG + PNG decode (cv2) | {rates["bare"]:.1f} | 1.00x |')
        print(f'| RGB-D training pipeline | {rates["pipeline"]:.1f} | {rates["pipeline"] / rates["bare"]:.2f}x |')
        data_ratio = rates['pipeline'] / rates['bare']
        print(f'pipeline / bare decode: {data_ratio:.2f}x (goal >= 0.7x: {"met" if data_ratio >= 0.7 else "NOT met"})')


if __name__ == '__main__':
    main()
