"""The first thing to run on a GPU machine: does every real model train under AMP, does NCCL work, how fast is it?

    python tools/benchmarks/gpu_check.py [--out FILE.json] [--steps 3] [--device cuda|cpu] [--tiny]
        [--skip-torchrun] [--update-docs]

On one GPU, in a few minutes, from the real configs (mmengine ``Config`` + the upstream registries):

1. one AMP training step (``AmpOptimWrapper``, the config's optimizer and constructor, after one warm-up step) of
   each real model family at its per-GPU batch and input size: Mask3D ViT-B/16 (64 x 224), UperNet ViT-B (2 x
   512), Mask R-CNN ViT-B + simple FPN (2 x 480x640), Pri3D R50 view+geo (8 pairs at 320x240, 2 cm chunks) with
   spconv and with the pure-PyTorch sparse convolution (``mask3d_mm.models.sparse``);
2. a 1-process NCCL ``torchrun`` run (``tools/dist_train.sh CONFIG 1``) of the demo config for a few iterations on
   a small synthetic world rendered by ``tools/data/make_synthetic.py``;
3. img/s of mmpretrain's MAE vs Mask3D (ViT-B/16, batch 64 at 224, AMP) at equal visible RGB tokens (Mask3D's
   RGB mask ratio set to MAE's 0.75) and at Mask3D's default masking, alternated step by step;

with the peak GPU memory of each. Writes one JSON (``--out``, atomically) and prints a table; exit code 1 if any
check failed (the JSON says which and why), 2 without a CUDA device.

``--device cpu --tiny`` runs the same code on CPU at toy sizes, as the default test suite does: the synthetic
twin configs at their own sizes and batch 2, CPU autocast in bfloat16 instead of CUDA AMP, gloo instead of NCCL,
and the spconv step skipped (spconv has no CPU backward). Its numbers say nothing about a GPU.
``--update-docs`` (a full CUDA run only) rewrites the GPU table of docs/benchmarks.md from the JSON.
"""
import argparse
import contextlib
import copy
import gc
import json
import math
import os
import os.path as osp
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, HERE)  # the sibling benchmarks, whose model / batch / world helpers are reused
sys.path.insert(0, REPO)

import bench_pretrain  # noqa: E402
import bench_pri3d  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.model import revert_sync_batchnorm  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mask3d_mm  # noqa: E402,F401  (registers the plugin)
from mask3d_mm.utils.atomic_io import write_text_atomic  # noqa: E402
from mask3d_mm.utils.cli import run_cli  # noqa: E402
from mask3d_mm.utils.errors import ConfigError  # noqa: E402

SCHEMA = 'mask3d_mm.gpu_check/1'
DOCS_PAGE = osp.join(REPO, 'docs', 'benchmarks.md')
DOCS_JSON = osp.join(REPO, 'docs', 'benchmarks', 'gpu_check.json')
DOCS_BEGIN, DOCS_END = '<!-- gpu-check:begin -->', '<!-- gpu-check:end -->'
NOT_MEASURED = 'Not yet measured: no run of `make gpu-check` on a GPU has been committed.'
DEMO_CONFIG = 'configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py'
TINY_BATCH = 2
AMP_ONLY_KEYS = ('loss_scale', 'dtype', 'use_fsdp')
TINY_VIT = dict(embed_dims=96, num_layers=2, num_heads=3, feedforward_channels=384)  # MAE vs Mask3D at --tiny


@dataclass
class Family:
    """One real model family: its real config, the synthetic twin ``--tiny`` runs, and how a batch is made."""
    name: str
    config: str
    twin: str
    batch: str  # the name of the batch maker below
    backend: str = None  # Pri3D's 3D UNet backend


FAMILIES = [
    Family('mask3d-vitb', 'configs/mask3d/mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py', DEMO_CONFIG,
           'mask3d'),
    Family('upernet-vitb', 'configs/finetune/upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py',
           'configs/finetune/synthetic/upernet_vit-tiny_synthetic-scannet.py', 'seg'),
    Family('mask-rcnn-vitb', 'configs/finetune/mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py',
           'configs/finetune/synthetic/mask-rcnn_vit-tiny_synthetic-scannet.py', 'det'),
    Family('pri3d-r50-spconv', 'configs/pri3d/pri3d-view-geo_resnet50-unet_8xb8_scannet.py',
           'configs/pri3d/pri3d-view-geo_resnet18-unet_1xb2_synthetic.py', 'pri3d', backend='spconv'),
    Family('pri3d-r50-torch', 'configs/pri3d/pri3d-view-geo_resnet50-unet_8xb8_scannet.py',
           'configs/pri3d/pri3d-view-geo_resnet18-unet_1xb2_synthetic.py', 'pri3d', backend='torch'),
]
THROUGHPUT = [  # (name, RGB mask ratio; None: MAE)
    ('mae-vitb', None),
    ('mask3d-vitb-equal-tokens', bench_pretrain.MAE_MASK_RATIO),
    ('mask3d-vitb-default-masking', 'config'),
]
ENTRY_NAMES = [f.name for f in FAMILIES] + ['torchrun-nccl-demo'] + [name for name, _ in THROUGHPUT]


# ---------------------------------------------------------------------------------------------------- device


class Device:
    """Where the check runs and what "AMP" means there: CUDA -> the config's ``AmpOptimWrapper`` (its own
    autocast and loss scaler); CPU -> ``OptimWrapper`` inside ``torch.autocast('cpu', bfloat16)``."""

    def __init__(self, kind):
        self.kind = kind
        self.cuda = kind == 'cuda'

    def optim_wrapper_cfg(self, optim_wrapper):
        optim_wrapper = copy.deepcopy(optim_wrapper)
        if self.cuda:
            if optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':  # e.g. Pri3D's SGD: as `--amp` does
                optim_wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
            return optim_wrapper
        return dict({k: v for k, v in optim_wrapper.items() if k not in AMP_ONLY_KEYS}, type='OptimWrapper')

    def autocast(self):
        if self.cuda:
            return contextlib.nullcontext()  # AmpOptimWrapper.optim_context autocasts
        return torch.autocast('cpu', dtype=torch.bfloat16)

    def amp_dtype(self, optim_wrapper):
        if self.cuda:
            return str(getattr(optim_wrapper, 'cast_dtype', None) or torch.float16).replace('torch.', '')
        return 'bfloat16'

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def reset_peak(self):
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()

    def peak_mib(self):
        if self.cuda:
            return torch.cuda.max_memory_allocated() / 2 ** 20
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    def memory_measure(self):
        if self.cuda:
            return 'torch.cuda.max_memory_allocated during the step, MiB'
        return "the process's peak RSS so far (ru_maxrss, only grows), MiB"

    def describe(self):
        info = dict(type=self.kind, torch=torch.__version__, cuda=torch.version.cuda)
        if self.cuda:
            props = torch.cuda.get_device_properties(0)
            info.update(name=props.name, memory_mib=round(props.total_memory / 2 ** 20),
                        capability='.'.join(map(str, torch.cuda.get_device_capability(0))))
        else:
            info.update(name='CPU', threads=torch.get_num_threads())
        return info

    def release(self):
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()


def pick_device(args):
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise ConfigError('--device cuda: no CUDA device is visible to torch (torch.cuda.is_available() is False); '
                          'on a machine without a GPU run `--device cpu --tiny`')
    return Device(args.device)


# ----------------------------------------------------------------------------------------------- one step


def train_step(model, optim_wrapper, data, device, cast=True):
    """mmengine's ``BaseModel.train_step`` after the data preprocessor (the batch is preprocessed once and reused):
    loss under the wrapper's context (and CPU autocast unless ``cast`` is False), then ``update_params``. Returns
    the summed loss."""
    with device.autocast() if cast else contextlib.nullcontext(), optim_wrapper.optim_context(model):
        losses = model(**copy.copy(data), mode='loss')
    loss, _ = model.parse_losses(losses)
    optim_wrapper.update_params(loss)
    return loss.item()


def timed_step(model, optim_wrapper, data, device, cast=True):
    """``(ms, peak MiB, loss)`` of one step."""
    device.sync()
    device.reset_peak()
    start = time.perf_counter()
    loss = train_step(model, optim_wrapper, data, device, cast)
    device.sync()
    return (time.perf_counter() - start) * 1e3, device.peak_mib(), loss


def first_weight(model):
    return next(p for p in model.parameters() if p.requires_grad and p.ndim > 1)


def step_entry(name, model, optim_wrapper, data, batch, device, steps, **extra):
    """One warm-up step, then ``steps`` timed ones: median ms, samples/s, the largest peak, every loss finite.

    On CPU a model whose bfloat16 autocast step raises (an op without a CPU bfloat16 kernel, a check that fails in
    reduced precision) is stepped in fp32 instead, and the entry says why: the CPU run checks this script, the
    autocast tests check the models. On CUDA nothing falls back: the failure is the result."""
    weight = first_weight(model)
    before = weight.detach().clone()
    cast, extra['amp_dtype'] = True, device.amp_dtype(optim_wrapper)
    try:
        runs = [timed_step(model, optim_wrapper, data, device)]
    except Exception as error:
        if device.cuda:
            raise
        cast, extra['amp_dtype'] = False, 'float32'
        extra['cpu_autocast_error'] = one_line_error(error)
        runs = [timed_step(model, optim_wrapper, data, device, cast=False)]
    runs += [timed_step(model, optim_wrapper, data, device, cast) for _ in range(steps)]
    ms = statistics.median(run[0] for run in runs[1:])
    losses = [run[2] for run in runs]
    entry = dict(name=name, status='ok' if all(map(math.isfinite, losses)) else 'failed', batch=batch,
                 ms_per_step=ms, samples_per_s=batch * 1e3 / ms, peak_memory_mib=max(run[1] for run in runs),
                 loss=losses[-1], params_changed=not torch.equal(weight.detach(), before), **extra)
    if entry['status'] != 'ok':
        entry['reason'] = f'non-finite loss in the steps: {losses}'
    return entry


def one_line_error(error):
    text = str(error).strip()
    return f'{type(error).__name__}: {text.splitlines()[0] if text else ""}'


# -------------------------------------------------------------------------------------------- the batches


def mask3d_batch(cfg, model, batch, device):
    """The RGB-D tensors the preprocessor makes (bench_pretrain's), at the config's image size."""
    inputs, samples = bench_pretrain.mask3d_batch(batch, cfg.model.backbone.img_size, device.kind)
    return dict(inputs=inputs, data_samples=samples), f'{inputs.shape[-2]}x{inputs.shape[-1]}'


def seg_batch(cfg, model, batch, device):
    """uint8 images and label maps at the crop size, through the config's ``SegDataPreProcessor``."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    height, width = cfg.model.data_preprocessor.size
    num_classes = cfg.model.decode_head.num_classes
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, height, width), dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, height, width)))
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True), f'{height}x{width}'


def det_batch(cfg, model, batch, device):
    """mmdet's own demo images with boxes and masks at the ViT's input size, through ``DetDataPreprocessor``."""
    from mmdet.testing import demo_mm_inputs
    height, width = cfg.model.backbone.img_size
    packed = demo_mm_inputs(batch_size=batch, image_shapes=(3, height, width), num_items=[5] * batch,
                            num_classes=cfg.model.roi_head.bbox_head.num_classes, with_mask=True)
    return model.data_preprocessor(packed, True), f'{height}x{width}'


BATCHES = dict(mask3d=mask3d_batch, seg=seg_batch, det=det_batch)


# ------------------------------------------------------------------------------------------ the checks


def load_config(family, tiny):
    cfg = Config.fromfile(osp.join(REPO, family.twin if tiny else family.config))
    for backbone in (cfg.model.backbone, cfg.model.backbone.get('encoder_cfg') or {}):  # no pretrained weights
        if isinstance(backbone.get('init_cfg'), dict):
            backbone['init_cfg'] = None
    return cfg


def build(cfg, device):
    """The model as a 1-process Runner has it: built in the config's scope, initialized, SyncBN -> BN."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    return model.to(device.kind).train()


def check_family(family, args, device, pri3d_world):
    cfg = load_config(family, args.tiny)
    batch = TINY_BATCH if args.tiny else cfg.train_dataloader.batch_size
    extra = dict(family=family.name, config=family.twin if args.tiny else family.config)
    if family.batch == 'pri3d':
        return check_pri3d(family, args, device, pri3d_world, batch, extra)
    model = build(cfg, device)
    optim_wrapper = build_optim_wrapper(model, device.optim_wrapper_cfg(cfg.optim_wrapper))
    data, size = BATCHES[family.batch](cfg, model, batch, device)
    return step_entry(family.name, model, optim_wrapper, data, batch, device, args.steps, input=size, **extra)


def spconv_skip_reason(device):
    from mask3d_mm.models.sparse import spconv_available
    if not spconv_available():
        return 'spconv is not installed (pip install spconv-cu126 cumm-cu126, or the tools/gpu wheels)'
    if not device.cuda:
        return "spconv has no CPU backward (its backward calls torch.cuda.current_stream); CUDA only"
    return None


def pri3d_world(args, root):
    """A synthetic scene with mined pairs and voxel chunks (bench_pri3d's): at the real config's frame size and
    2 cm, or (``--tiny``) 128x96 and 5 cm."""
    size, voxel_size = ((128, 96), 0.05) if args.tiny else \
        (tuple(load_config(FAMILIES[-1], False).train_dataloader.dataset.pipeline[0].scale), 0.02)
    return dict(root=root, size=size, voxel_size=voxel_size,
                pairs=bench_pri3d.make_world(root, *size, voxel_size))


def check_pri3d(family, args, device, world, batch, extra):
    reason = spconv_skip_reason(device) if family.backend == 'spconv' else None
    extra.update(backend=family.backend, input=f'{world["size"][0]}x{world["size"][1]} pairs, '
                                               f'{world["voxel_size"] * 100:g} cm chunks')
    if reason:
        return dict(name=family.name, status='skipped', reason=reason, batch=batch, **extra)
    config = osp.join(REPO, family.twin if args.tiny else family.config)
    cfg = bench_pri3d.pri3d_cfg(world['root'], world['pairs'], world['size'], batch, config=config)
    cfg.model.backbone3d.backend = family.backend
    model = build(cfg, device)
    optim_wrapper = build_optim_wrapper(model, device.optim_wrapper_cfg(cfg.optim_wrapper))
    data = model.data_preprocessor(next(iter(Runner.build_dataloader(cfg.train_dataloader))), True)
    voxels = int(sum(len(s.chunk_coords) for s in data['data_samples']))
    return step_entry(family.name, model, optim_wrapper, data, batch, device, args.steps, voxels=voxels, **extra)


def check_throughput(args, device):
    """MAE vs Mask3D at equal visible RGB tokens and at the default masking, alternated; AdamW under AMP."""
    arch, img_size = (TINY_VIT, 64) if args.tiny else ('b', 224)
    batch = TINY_BATCH if args.tiny else Config.fromfile(bench_pretrain.MASK3D_CONFIG).train_dataloader.batch_size
    torch.manual_seed(0)
    embed_dims = bench_pretrain.MODELS.build(dict(type='MAEViT', arch=arch, img_size=32)).embed_dims
    rgbd, samples = bench_pretrain.mask3d_batch(batch, img_size, device.kind)
    models, data, ratios = {}, {}, {}
    for name, ratio in THROUGHPUT:
        if ratio is None:
            model_cfg = bench_pretrain.mae_model_cfg(arch, img_size, embed_dims)
            data[name] = dict(inputs=rgbd[:, :3].contiguous(), data_samples=[type(s)() for s in samples])
            ratios[name] = bench_pretrain.MAE_MASK_RATIO
        else:
            model_cfg = bench_pretrain.mask3d_model_cfg(arch, img_size, None if ratio == 'config' else ratio)
            data[name] = dict(inputs=rgbd, data_samples=samples)
            ratios[name] = model_cfg.rgb_mask_ratio
        models[name] = bench_pretrain.build(model_cfg, device.kind)
    wrapper_cfg = device.optim_wrapper_cfg(dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=dict(
        type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)))
    wrappers = {name: build_optim_wrapper(m, wrapper_cfg) for name, m in models.items()}
    runs = {name: [] for name in models}
    for _ in range(1 + args.steps):
        for name, model in models.items():
            runs[name].append(timed_step(model, wrappers[name], data[name], device))
    entries = []
    patches = (img_size // bench_pretrain.PATCH) ** 2
    for name, model in models.items():
        ms = statistics.median(run[0] for run in runs[name][1:])
        losses = [run[2] for run in runs[name]]
        entries.append(dict(
            name=name, status='ok' if all(map(math.isfinite, losses)) else 'failed', batch=batch,
            input=f'{img_size}x{img_size}', arch=str(arch), rgb_mask_ratio=ratios[name],
            visible_rgb_tokens=round(patches * (1 - ratios[name])), ms_per_step=ms, samples_per_s=batch * 1e3 / ms,
            peak_memory_mib=max(run[1] for run in runs[name]), loss=losses[-1],
            amp_dtype=device.amp_dtype(wrappers[name]), params=sum(p.numel() for p in model.parameters())))
    mae_ms = entries[0]['ms_per_step']
    for entry in entries:
        entry['step_time_vs_mae'] = entry['ms_per_step'] / mae_ms
    return entries


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def check_torchrun(args, device, root):
    """``tools/dist_train.sh DEMO_CONFIG 1`` on a world ``make_synthetic.py`` renders, as a user types them."""
    world, work_dir = osp.join(root, 'world'), osp.join(root, 'demo')
    scenes, frames, size = (1, 8, (160, 120)) if args.tiny else (2, 32, (320, 240))
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), PYTHONUNBUFFERED='1')
    subprocess.run([sys.executable, osp.join(REPO, 'tools/data/make_synthetic.py'), '--out', world, '--scenes',
                    str(scenes), '--frames', str(frames), '--size', *map(str, size)], cwd=REPO, env=env, check=True,
                   capture_output=True, text=True)
    backend = 'nccl' if device.cuda else 'gloo'
    epochs = 3
    options = [f'train_dataloader.dataset.data_root={world}/', f'train_cfg.max_epochs={epochs}',
               f'env_cfg.dist_cfg.backend={backend}', 'default_hooks.logger.interval=1',
               f'default_hooks.checkpoint.interval={epochs}', 'randomness.seed=0']
    batch = 4 if args.tiny else Config.fromfile(osp.join(REPO, DEMO_CONFIG)).train_dataloader.batch_size
    if args.tiny:  # 4 frames, one batch of 4 at 64x64 per epoch
        options += [f'train_dataloader.batch_size={batch}', 'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False', 'model.backbone.img_size=64',
                    'train_dataloader.dataset.pipeline.1.scale=64']
    command = ['bash', osp.join(REPO, 'tools/dist_train.sh'), DEMO_CONFIG, '1', '--work-dir', work_dir,
               '--cfg-options', *options]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=args.torchrun_timeout)
    wall_s = time.perf_counter() - start
    entry = dict(name='torchrun-nccl-demo', family='torchrun', config=DEMO_CONFIG, backend=backend, processes=1,
                 wall_s=wall_s, command=' '.join(['tools/dist_train.sh', DEMO_CONFIG, '1', '...']))
    records = scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    if proc.returncode != 0 or not losses:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return dict(entry, status='failed', reason=f'exit code {proc.returncode}: ' + ' | '.join(tail))
    entry.update(iterations=int(records[-1].get('iter', len(losses))), loss=losses[-1], batch=batch,
                 status='ok' if all(map(math.isfinite, losses)) else 'failed')
    times = [r['time'] for r in records if 'time' in r][1:]  # mmengine's s/iteration, data included; not the first
    if times:
        entry.update(ms_per_step=statistics.median(times) * 1e3, samples_per_s=batch / statistics.median(times))
    memory = [r['memory'] for r in records if 'memory' in r]  # mmengine logs max_memory_allocated (MB) on CUDA
    if memory:
        entry['peak_memory_mib'] = max(memory)
    if entry['status'] != 'ok':
        entry['reason'] = f'non-finite loss in the log: {losses}'
    return entry


def scalars(work_dir):
    """The records of mmengine's ``scalars.json`` (one JSON per line) of the run in ``work_dir``."""
    paths = [osp.join(dirpath, 'scalars.json') for dirpath, _, files in os.walk(work_dir) if 'scalars.json' in files]
    if not paths:
        return []
    with open(paths[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


# ------------------------------------------------------------------------------------------- reporting


def fmt(value, digits=0):
    return '–' if value is None else f'{value:.{digits}f}'


def table(report):
    """The result as one markdown table (the console's and docs/benchmarks.md's)."""
    lines = ['| check | batch | input | status | ms/step | samples/s | peak MiB | loss | note |',
             '|---|---:|---|---|---:|---:|---:|---:|---|']
    for e in report['entries']:
        note = e.get('reason', '')
        if 'cpu_autocast_error' in e:
            note = f'fp32: CPU bfloat16 autocast failed ({e["cpu_autocast_error"]})'
        if 'step_time_vs_mae' in e:
            note = f'RGB mask {e["rgb_mask_ratio"]:g} ({e["visible_rgb_tokens"]} visible tokens), ' \
                   f'{e["step_time_vs_mae"]:.2f}x MAE step time'
        elif e.get('family') == 'torchrun' and e['status'] == 'ok':
            note = f'{e["backend"]}, {e["iterations"]} iterations in {e["wall_s"]:.0f} s (launch included)'
        lines.append(f'| {e["name"]} | {e.get("batch", "–")} | {e.get("input", "–")} | {e["status"]} | '
                     f'{fmt(e.get("ms_per_step"))} | {fmt(e.get("samples_per_s"), 1)} | '
                     f'{fmt(e.get("peak_memory_mib"))} | {fmt(e.get("loss"), 3)} | {note} |')
    return '\n'.join(lines)


def docs_block(report=None):
    """What docs/benchmarks.md shows between its gpu-check markers: the table of a committed full CUDA run, or
    that none has been made. Tiny or CPU results never reach the page."""
    if report is None or report.get('mode') != 'full' or report['device']['type'] != 'cuda':
        return NOT_MEASURED
    d = report['device']
    return (f'**GPU**, {d["name"]} ({d["memory_mib"]} MiB), torch {d["torch"]} / CUDA {d["cuda"]}, '
            f'{report["date"][:10]}; AMP {report["amp"]}; memory: {report["memory_measure"]}; '
            f'`docs/benchmarks/gpu_check.json`:\n\n' + table(report))


def committed_report(path=DOCS_JSON):
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def update_docs(report, page=DOCS_PAGE):
    with open(page) as f:
        text = f.read()
    head, rest = text.split(DOCS_BEGIN, 1)
    _, tail = rest.split(DOCS_END, 1)
    write_text_atomic(page, f'{head}{DOCS_BEGIN}\n{docs_block(report)}\n{DOCS_END}{tail}')


# ------------------------------------------------------------------------------------------------- main


def run_entry(name, fn, *args):
    print(f'[gpu_check] {name} ...', flush=True)
    start = time.perf_counter()
    try:
        entries = fn(*args)
    except Exception as error:  # a check that breaks is a result: record it, go on with the others
        traceback.print_exc()
        entries = dict(name=name, status='failed', reason=one_line_error(error))
    entries = entries if isinstance(entries, list) else [entries]
    for entry in entries:
        entry.setdefault('check_s', time.perf_counter() - start)
        print(f'[gpu_check] {entry["name"]}: {entry["status"]} {entry.get("reason", "")}', flush=True)
    return entries


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/gpu_check.json', help='the JSON to write')
    parser.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    parser.add_argument('--tiny', action='store_true', help='the synthetic twins at toy sizes (the CPU test)')
    parser.add_argument('--steps', type=int, default=None, help='timed steps after one warm-up (3; --tiny: 1)')
    parser.add_argument('--skip-torchrun', action='store_true')
    parser.add_argument('--torchrun-timeout', type=float, default=300)
    parser.add_argument('--update-docs', action='store_true',
                        help="rewrite docs/benchmarks.md's GPU table from this run (a full CUDA run only)")
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = 1 if args.tiny else 3
    if args.steps < 1:
        raise ConfigError(f'--steps {args.steps}: at least one timed step is needed')
    if args.update_docs and (args.tiny or args.device != 'cuda'):
        raise ConfigError('--update-docs: only a full CUDA run (no --tiny, --device cuda) goes into the docs')
    return args


def main(argv=None):
    args = parse_args(argv)
    device = pick_device(args)
    MMLogger.get_instance('gpu_check', log_level='WARNING')  # no per-parameter init report
    start = time.perf_counter()
    entries = []
    with tempfile.TemporaryDirectory() as root:
        world = pri3d_world(args, osp.join(root, 'pri3d'))
        for family in FAMILIES:
            entries += run_entry(family.name, check_family, family, args, device, world)
            device.release()
        if args.skip_torchrun:
            entries.append(dict(name='torchrun-nccl-demo', status='skipped', reason='--skip-torchrun'))
        else:
            entries += run_entry('torchrun-nccl-demo', check_torchrun, args, device, osp.join(root, 'torchrun'))
        entries += run_entry('mae-vs-mask3d', check_throughput, args, device)
    report = dict(schema=SCHEMA, date=datetime.now(timezone.utc).isoformat(timespec='seconds'),
                  mode='tiny' if args.tiny else 'full', device=device.describe(), steps=args.steps,
                  amp='AmpOptimWrapper (CUDA autocast + dynamic loss scaling)' if device.cuda
                  else "OptimWrapper under torch.autocast('cpu', bfloat16)",
                  memory_measure=device.memory_measure(), wall_s=time.perf_counter() - start, entries=entries)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    write_text_atomic(args.out, json.dumps(report, indent=1) + '\n')
    print(f'\n{table(report)}\n\n[gpu_check] {report["device"]["name"]}, {report["wall_s"]:.0f} s; '
          f'written to {args.out}')
    if args.update_docs:
        update_docs(report)
        print(f'[gpu_check] updated {osp.relpath(DOCS_PAGE)}')
    failed = [e['name'] for e in entries if e['status'] == 'failed']
    if failed:
        print(f'[gpu_check] FAILED: {", ".join(failed)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
