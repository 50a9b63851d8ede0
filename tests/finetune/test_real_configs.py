"""Every real fine-tuning config (configs/finetune/*.py, data_efficient/*.py) builds its train / val datasets, model
and optimizer (as mmengine's Runner would) and trains one iteration, on a tiny data root in its dataset's layout.

Only sizes are shrunk (image scale, crop, batch of 2) and the pretrained checkpoint is not loaded
(test_pretrained_init.py covers that); the architecture, datasets, pipelines' transforms and optimizer (with its
constructor) are the config's own. One ``train_step`` is the iteration; hooks and lr schedules are not run.
One config per model family and per dataset layout runs by default (ViT-B configs take seconds each on CPU);
``make slow`` runs all of them.
"""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner

from mask3d_mm.data_prep.converters.coco import CATEGORY_SETS
from mask3d_mm.utils.launch import apply_cpu_fallbacks

from .tiny_roots import LAYOUT_WRITERS
from .twins import REPO

FINETUNE = osp.join(REPO, 'configs', 'finetune')
CONFIGS = sorted(osp.relpath(path, FINETUNE) for path in glob.glob(osp.join(FINETUNE, '*.py')) +
                 glob.glob(osp.join(FINETUNE, 'data_efficient', '*.py')))
DEFAULT_SWEEP = {  # one per dataset layout and model family
    'upernet_vit-b16-in1k_8xb2-amp-80k_cityscapes-512x1024.py',  # UperNet ViT-B, mmseg's Cityscapes
    'pri3d-unet_r50_sgd-20k_nyuv2-13-240x320.py',  # Pri3D UNet, NYUv2 layout
    'data_efficient/pri3d-unet_r50_sgd-20k_scannet-240x320_train-5pct.py',  # ScanNet frames, subset split
    'mask-rcnn_r50-pri3d_fpn_1x_nyuv2.py',  # R50-FPN Mask R-CNN, NYUv2 COCO json
}  # ViTDet: its tiny twin trains in test_det_twins.py; the ViT-B Mask R-CNN (~15 s) runs under ``make slow``
TINY_SCALE = (64, 48)  # (w, h) for every Resize / RandomResize
TINY_SIZE = (64, 64)  # (h, w): crops, padded inputs, the ViT's nominal size


def dataset_layout(config):
    return next(layout for layout in LAYOUT_WRITERS if layout in config)


def shrink_sizes(cfg):
    """Tiny images through the config's own transforms; the model keeps its architecture."""
    for transform in cfg.train_dataloader.dataset.pipeline + cfg.val_dataloader.dataset.pipeline:
        if 'scale' in transform:
            transform.scale = TINY_SCALE
        if 'crop_size' in transform:
            transform.crop_size = TINY_SIZE
    if cfg.model.data_preprocessor.get('size'):
        cfg.model.data_preprocessor.size = TINY_SIZE
    if 'img_size' in cfg.model.backbone:
        cfg.model.backbone.img_size = TINY_SIZE


def one_iteration_config(config, data_root):
    cfg = Config.fromfile(osp.join(FINETUNE, config))
    shrink_sizes(cfg)
    options = {'model.backbone.init_cfg': None, 'train_dataloader.batch_size': 2}
    for loader in ('train_dataloader', 'val_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.data_root': data_root})
    cfg.merge_from_dict(options)
    return apply_cpu_fallbacks(cfg)


def check_classes(cfg, classes):
    """Heads predict the dataset's classes; COCO configs name the converter's categories, in its order."""
    heads = ([cfg.model.roi_head.bbox_head, cfg.model.roi_head.mask_head] if 'roi_head' in cfg.model
             else [cfg.model.decode_head] + ([cfg.model.auxiliary_head] if 'auxiliary_head' in cfg.model else []))
    assert all(head.num_classes == len(classes) for head in heads)
    if 'roi_head' in cfg.model:
        categories = CATEGORY_SETS['nyu37' if 'nyuv2' in cfg.filename else 'scannet18']
        assert list(classes) == [name for name, _ in categories]


def sweep_params():
    return [pytest.param(config, marks=() if config in DEFAULT_SWEEP else pytest.mark.slow) for config in CONFIGS]


def test_default_sweep_names_existing_configs():
    assert DEFAULT_SWEEP <= set(CONFIGS)
    assert {dataset_layout(config) for config in DEFAULT_SWEEP} == set(LAYOUT_WRITERS)


@pytest.mark.parametrize('config', sweep_params())
def test_real_config_builds_and_trains_one_iteration(config, tiny_roots):
    cfg = one_iteration_config(config, tiny_roots[dataset_layout(config)])
    init_default_scope(cfg.default_scope)
    train_loader = Runner.build_dataloader(cfg.train_dataloader)
    assert len(Runner.build_dataloader(cfg.val_dataloader).dataset) > 0
    check_classes(cfg, train_loader.dataset.metainfo['classes'])
    if dataset_layout(config) == 'scannet' and 'decode_head' in cfg.model:  # the official 2D benchmark scoring
        assert cfg.test_evaluator.type == 'ScanNet2DIoUMetric' and tuple(cfg.test_evaluator.eval_size) == (640, 480)
    if 'data_efficient' in config:
        pct = re.search(r'train-(\d+)pct', config).group(1)
        assert train_loader.dataset.ann_file.endswith(f'splits/train_{pct}.txt')

    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    first_block = next(p for name, p in model.named_parameters()
                       if name.startswith('backbone.') and p.ndim > 1 and p.requires_grad)
    before = first_block.detach().clone()
    losses = model.train_step(next(iter(train_loader)), optim_wrapper)
    assert losses and all(torch.isfinite(value).all() for value in losses.values())
    assert not torch.equal(first_block.detach(), before)  # the step reached the backbone
