"""``tools/train.py CONFIG --smoke``: run any real config for a few iterations on a CPU, to check that its data,
pipeline, model family, optimizer, hooks and checkpointing work together before a long run.

``smoke_config(cfg)`` rewrites a loaded config (pure config rewriting, nothing is built):

- the model: a tiny architecture of the same family, chosen by ``model.type`` (``FAMILIES``): a ViT becomes 4
  blocks of 192 (DeiT-tiny width) with the same patch size, a ResNet-50 (UNet / FPN) a ResNet-18, and the necks,
  heads and the Mask3D decoder / Pri3D 3D UNet are narrowed to fit; no pretrained weights are loaded;
- images: every resize scale to a longest side of ``MAX_SIDE``, crops to ``CROP``;
- the run: ``ITERS`` iterations (``IterBasedTrainLoop``), batch ``BATCH_SIZE``, validation once at the end on
  ``VAL_SAMPLES`` samples (configs without validation stay without), a checkpoint at the end, a log line every
  iteration, data workers fitted to the machine (``num_workers``), ``auto_scale_lr`` off;
- the schedule: every parameter scheduler mapped from the run's length onto the ``ITERS`` iterations (begin, end,
  step sizes, milestones; counted in iterations), warm-ups of at least ``MIN_SPAN`` iterations starting at no less
  than ``WARMUP_START`` x lr, decays to the run's end ending one iteration after it, so every smoke iteration
  trains at a real learning rate;
- the work dir: ``work_dirs/smoke/<config name>`` (``--work-dir`` still wins).

The data stay the config's own (its ``data_root``): a smoke run checks the data a real run would read. Options
given with ``--cfg-options`` are applied after these changes.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Tuple

from mmengine.config import Config, ConfigDict

from mask3d_mm.utils.errors import ConfigError
from mask3d_mm.utils.launch import log_once

ITERS = 5
BATCH_SIZE = 2
VAL_SAMPLES = 2
MAX_SIDE = 128  # longest image side after a resize
CROP = (64, 64)  # (h, w) of every random crop
MASK3D_SIZE = 128  # Mask3D's square crop: 8 x 8 patches of 16, so its 98 % depth masking still leaves one visible
WARMUP_START = 0.1
MIN_SPAN = 2  # iterations of a scheduler with an end: a warm-up reaches the full lr at its second
TINY_VIT = dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768)  # DeiT-tiny width, 4 blocks
RESNET18_WIDTHS = [64, 128, 256, 512]  # its 4 stages' output channels (basic blocks)
WORK_ROOT = 'work_dirs/smoke'
VIT_TYPES = ('Mask3DViT', 'VisionTransformer', 'mmpretrain.VisionTransformer')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def is_vit(backbone) -> bool:
    return backbone.get('type') in VIT_TYPES


def tiny_vit(backbone, img_size) -> str:
    """A ViT backbone -> ``TINY_VIT`` at ``img_size``, its outputs taken from the same number of last blocks."""
    layers = TINY_VIT['num_layers']
    backbone.arch = dict(TINY_VIT)
    backbone.img_size = img_size
    if 'out_indices' in backbone:
        count = len(backbone.out_indices) if isinstance(backbone.out_indices, (list, tuple)) else 1
        backbone.out_indices = tuple(range(layers - count, layers))
    if 'drop_path_rate' in backbone:
        backbone.drop_path_rate = 0.0
    return f"ViT {layers} x {TINY_VIT['embed_dims']} (patch {backbone.get('patch_size', 16)})"


def resnet18(backbone) -> str:
    """A ResNet / ResNetUNet -> depth 18, without ImageNet weights (they are a ResNet-50's)."""
    backbone.depth = 18
    if backbone.get('encoder_cfg'):
        backbone.encoder_cfg.pop('init_cfg', None)
    return f"{backbone.get('type', 'ResNet')}-18"


def unet_width(backbone) -> int:
    """Output width of a ResNet-18 UNet: its up-projection halves 512 four times unless ``out_channels`` is set."""
    return backbone.get('out_channels') or RESNET18_WIDTHS[-1] // 16


def image_hw(cfg) -> Tuple[int, int]:
    """(h, w) the model sees after ``shrink_images``: the preprocessor's size, else the first train resize."""
    size = cfg.model.get('data_preprocessor', {}).get('size')
    if size:
        return tuple(size)
    for transform in pipeline_steps(cfg.train_dataloader.dataset):
        if isinstance(transform.get('scale'), (list, tuple)):
            w, h = transform.scale
            return h, w
    raise ConfigError(f'{cfg.filename}: --smoke found no image size (no resize in the training pipeline)')


def smoke_mask3d(cfg) -> str:
    model = cfg.model
    desc = tiny_vit(model.backbone, MASK3D_SIZE)
    if model.get('depth_encoder'):
        model.depth_encoder.update(embed_dims=96, num_layers=1, num_heads=3)
    model.neck.update(decoder_embed_dim=64, decoder_depth=1, decoder_num_heads=2)
    return f'{desc}, depth encoder 1 x 96, decoder 1 x 64'


def smoke_pri3d(cfg) -> str:
    model = cfg.model
    if is_vit(model.backbone):
        desc = tiny_vit(model.backbone, image_hw(cfg))
        model.feat_channels = TINY_VIT['embed_dims']
    else:
        desc = resnet18(model.backbone)
        model.feat_channels = unet_width(model.backbone)
    model.num_samples = min(model.get('num_samples', 1024), 256)
    if model.get('backbone3d'):
        model.backbone3d = dict(type='SparseUNet3D', channels=(8, 16, 32), out_channels=16,
                                backend=model.backbone3d.get('backend', 'torch'))
        model.update(feat3d_channels=16, proj_channels=16)
        desc += ', 3D UNet (8, 16, 32)'
    return desc


def smoke_segmentor(cfg) -> str:
    model = cfg.model
    if is_vit(model.backbone):
        desc = tiny_vit(model.backbone, image_hw(cfg))
        num_outs = len(model.backbone.out_indices)
        model.neck.update(in_channels=[TINY_VIT['embed_dims']] * num_outs, out_channels=64)
        model.decode_head.update(in_channels=[64] * num_outs, channels=32)
        if model.get('auxiliary_head'):
            model.auxiliary_head.update(in_channels=64, channels=16)
        return desc + ', UperNet 32 channels'
    desc = resnet18(model.backbone)
    model.decode_head.update(in_channels=unet_width(model.backbone), channels=unet_width(model.backbone))
    return desc


def narrow_mask_rcnn(model, channels: int = 64) -> None:
    """Mask R-CNN's pyramid and heads at ``channels`` wide with fewer proposals and RoI samples (the sizes of
    the synthetic twin ``configs/finetune/synthetic/mask-rcnn_vit-tiny_synthetic-scannet.py``); score threshold 0,
    so a model trained for a few iterations still returns detections and COCO AP is computed."""
    model.neck.out_channels = channels
    model.rpn_head.update(in_channels=channels, feat_channels=channels)
    roi = model.roi_head
    roi.bbox_roi_extractor.out_channels = roi.mask_roi_extractor.out_channels = channels
    roi.bbox_head.update(in_channels=channels, fc_out_channels=2 * channels)
    if 'conv_out_channels' in roi.bbox_head:
        roi.bbox_head.conv_out_channels = channels
    roi.mask_head.update(in_channels=channels, conv_out_channels=channels)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    model.train_cfg.rcnn.sampler.num = 64
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    model.test_cfg.rcnn.update(max_per_img=20, score_thr=0.0)


def smoke_detector(cfg) -> str:
    model = cfg.model
    narrow_mask_rcnn(model)
    if is_vit(model.backbone):
        desc = tiny_vit(model.backbone, image_hw(cfg))
        width = TINY_VIT['embed_dims']
        model.neck.update(backbone_channel=width, in_channels=[width // 4, width // 2, width, width])
        return desc + ', simple FPN, 64-channel heads'
    desc = resnet18(model.backbone)
    model.neck.in_channels = list(RESNET18_WIDTHS)
    return desc + '-FPN, 64-channel heads'


FAMILIES: Dict[str, Callable] = {'Mask3D': smoke_mask3d, 'Pri3D': smoke_pri3d, 'EncoderDecoder': smoke_segmentor,
                                 'MaskRCNN': smoke_detector}


def datasets_of(dataset) -> List:
    """A dataset config and those it wraps (``ConcatDataset`` / ``RepeatDataset``)."""
    inner = dataset.get('datasets') or ([dataset['dataset']] if isinstance(dataset.get('dataset'), dict) else [])
    return [dataset] + [d for item in inner for d in datasets_of(item)]


def pipeline_steps(dataset) -> List:
    return [step for d in datasets_of(dataset) for step in d.get('pipeline', [])]


def shrink_scale(scale):
    if isinstance(scale, int):
        return min(scale, MASK3D_SIZE)
    factor = MAX_SIDE / max(scale)
    return tuple(max(16, int(round(side * factor))) for side in scale)


def shrink_images(cfg) -> None:
    for loader in LOADERS:
        if not isinstance(cfg.get(loader), dict):
            continue
        for step in pipeline_steps(cfg[loader].dataset):
            if 'scale' in step:
                step.scale = shrink_scale(step.scale)
            if 'crop_size' in step:
                step.crop_size = CROP
    preprocessor = cfg.model.get('data_preprocessor') or {}
    if preprocessor.get('size'):
        crops = any('crop_size' in step for step in pipeline_steps(cfg.train_dataloader.dataset))
        h, w = preprocessor.size
        preprocessor.size = CROP if crops else shrink_scale((w, h))[::-1]


def drop_pretrained(cfg) -> None:
    cfg.model.backbone.init_cfg = None
    cfg.load_from = None


def machine_workers(configured: int) -> int:
    """Data workers for a few iterations: none on a machine of 2 cores or fewer (in-process loading starts
    faster than worker processes), else up to 2, never more than configured."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    return min(configured, 2) if cores > 2 else 0


def fit_loaders(cfg) -> int:
    workers = 0
    for loader in LOADERS:
        if not isinstance(cfg.get(loader), dict):
            continue
        workers = machine_workers(cfg[loader].get('num_workers', 0))
        cfg[loader].update(num_workers=workers, persistent_workers=workers > 0)
        if loader == 'train_dataloader':
            cfg[loader].batch_size = BATCH_SIZE
        else:
            cfg[loader].batch_size = 1
            cfg[loader].dataset.indices = VAL_SAMPLES  # mmengine's BaseDataset: the first VAL_SAMPLES samples
    return workers


def run_length(cfg) -> Tuple[int, bool]:
    """(length, by_epoch) of the config's training loop."""
    train_cfg = cfg.train_cfg
    if 'max_epochs' in train_cfg:
        return train_cfg.max_epochs, True
    return train_cfg.max_iters, False


def scale_scheduler(scheduler, factor: float, epoch_run: bool):
    """One parameter scheduler of the real run -> the same over ``ITERS`` iterations. ``factor``: smoke
    iterations per unit of the real run (epochs or iterations); in an epoch-based run a scheduler counted in
    iterations (mmdet's warm-up) is squeezed into the first ``MIN_SPAN`` iterations."""
    scheduler = ConfigDict(scheduler)
    in_iters = not scheduler.get('by_epoch', True)
    scheduler.by_epoch = False
    scheduler.pop('convert_to_iter_based', None)

    def smoke_iter(value):
        if epoch_run and in_iters:
            return min(value, 1)
        return int(round(value * factor))

    scheduler.begin = min(smoke_iter(scheduler.get('begin', 0)), ITERS - 1)
    # a scheduler running to the end of the run ends one past the last iteration, so that one still trains (a
    # decay reaches eta_min at end - 1); mmengine steps a scheduler while begin <= iter < end, so a ramp needs two
    end = smoke_iter(scheduler.end) if 'end' in scheduler else ITERS
    scheduler.end = max(ITERS + 1 if end >= ITERS else end, scheduler.begin + MIN_SPAN)
    for key in ('step_size', 'T_max'):
        if key in scheduler:
            scheduler[key] = max(1, smoke_iter(scheduler[key]))
    if 'milestones' in scheduler:
        scheduler.milestones = sorted({max(1, smoke_iter(m)) for m in scheduler.milestones})
    if 'start_factor' in scheduler:
        scheduler.start_factor = max(scheduler.start_factor, WARMUP_START)
    return scheduler


def smoke_schedule(cfg) -> bool:
    """The loop, schedulers, logging and checkpointing of a smoke run; returns whether it validates."""
    length, by_epoch = run_length(cfg)
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    cfg.param_scheduler = [scale_scheduler(s, ITERS / length, by_epoch) for s in schedulers]
    validate = cfg.get('val_cfg') is not None and isinstance(cfg.get('val_dataloader'), dict)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS, **(dict(val_interval=ITERS) if validate else {}))
    if cfg.get('auto_scale_lr'):
        cfg.auto_scale_lr.enable = False
    cfg.default_hooks.logger.update(interval=1)
    cfg.default_hooks.checkpoint.update(by_epoch=False, interval=ITERS, max_keep_ckpts=1)
    cfg.log_processor = dict(cfg.get('log_processor') or {}, by_epoch=False)
    return validate


def smoke_config(cfg: Config) -> Tuple[Config, str]:
    """``cfg`` rewritten for a smoke run (see the module docstring) and a one-line summary of what changed."""
    model_type = cfg.model.get('type')
    if model_type not in FAMILIES:
        raise ConfigError(f'{cfg.filename}: --smoke knows the model types {sorted(FAMILIES)}, not {model_type!r}')
    name = osp.splitext(osp.basename(cfg.filename))[0]
    shrink_images(cfg)
    arch = FAMILIES[model_type](cfg)
    drop_pretrained(cfg)
    workers = fit_loaders(cfg)
    validate = smoke_schedule(cfg)
    cfg.work_dir = osp.join(WORK_ROOT, name)
    validation = f'validation on {VAL_SAMPLES} samples at the end' if validate else 'no validation (none configured)'
    summary = (f'smoke run of {name}: tiny {model_type} ({arch}), no pretrained weights, images <= {MAX_SIDE} px, '
               f'batch {BATCH_SIZE}, {ITERS} iterations, lr schedule scaled to them (warm-up from >= '
               f'{WARMUP_START} x lr), auto_scale_lr off, {workers} data workers, {validation}, '
               f'default work dir {cfg.work_dir}; data: the config\'s own')
    return cfg, summary


def smoke_run(cfg: Config) -> Config:
    """``tools/train.py --smoke``: ``smoke_config``, its summary logged first."""
    cfg, summary = smoke_config(cfg)
    log_once(summary)
    return cfg
