"""Every configs/mask3d/*.py builds its model, each variant changes what its name says, sizes are stated once,
and the schedule follows train_cfg.max_epochs."""
import glob
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.models import MAEViT
from mmpretrain.registry import MODELS

from .conftest import CONFIG_DIR, TINY_CONFIG, build_model, tiny_config

CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))
NAMED_BASE = osp.join(CONFIG_DIR, 'mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py')


def expected_masking(name: str) -> dict:
    ratios = re.search(r'rgb([\d.]+)-depth([\d.]+)[-_]', name)
    rgb, depth = (float(ratios[1]), float(ratios[2])) if ratios else (0.5, 0.98)
    if 'rgb-only' in name:
        rgb, depth = 0.5, 1.0
    if 'complementary' in name:
        rgb, depth = 0.5, 0.8
    return dict(rgb_mask_ratio=rgb, depth_mask_ratio=depth, complementary='complementary' in name,
                depth_mask_type='block' if ('block-mask' in name or 'complementary' in name) else 'random')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_its_model(path):
    cfg = Config.fromfile(path)
    assert 'mask3d_mm' in cfg.custom_imports.imports
    datasets = cfg.train_dataloader.dataset.get('datasets', [cfg.train_dataloader.dataset])  # ConcatDataset: mixes
    assert not any(t['type'] == 'RGBDMaskGenerator' for dataset in datasets for t in dataset.pipeline)
    with torch.device('meta'):  # shapes only: no memory, no init cost even for ViT-L
        model = MODELS.build(cfg.model)
    name = osp.basename(path)
    sampler = model.mask_sampler
    masking = expected_masking(name)
    num_patches = sampler.num_patches
    assert sampler.num_rgb_visible == int(num_patches * (1 - masking['rgb_mask_ratio']))
    assert sampler.num_depth_visible == int(num_patches * (1 - masking['depth_mask_ratio']))
    assert (sampler.complementary, sampler.depth_mask_type) == (masking['complementary'], masking['depth_mask_type'])
    assert sampler.rgb_mask_type == ('block' if 'block-mask' in name else 'random')
    assert model.neck.decoder_embed.in_features == model.backbone.embed_dims
    if masking['depth_mask_ratio'] == 1:
        assert model.depth_encoder is None and model.neck.depth_decoder_embed is None
    else:
        assert model.neck.depth_decoder_embed.in_features == model.depth_encoder.embed_dims
        assert model.depth_encoder.patch_resolution == model.backbone.patch_resolution
    rows, cols = model.backbone.patch_resolution
    assert model.neck.num_patches == num_patches == rows * cols
    assert model.head.patch_size == model.backbone.patch_size == 16
    assert model.loss_patches == ('all' if 'rgb-only' in name else 'depth_masked')
    assert (model.rgb_head is not None) == name.startswith('mask3d-mae_') == (model.neck.rgb_pred is not None)
    assert model.backbone.embed_dims == (1024 if 'vit-large' in name else 192 if 'vit-tiny' in name else 768)


def code_lines(path: str) -> list:
    return [line for line in open(path).read().splitlines() if line.strip() and not line.lstrip().startswith('#')]


def test_sizes_are_stated_once_and_ablations_are_short_overrides():
    """Issue: the ViT-B config named patch_size six times; each ablation restated the whole pipeline."""
    assert open(NAMED_BASE).read().count('patch_size') <= 2
    assert code_lines(osp.join(CONFIG_DIR, 'vitb_scannet.py')) == [
        "_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'"]
    ablations = [p for p in CONFIGS if re.search(r'(rgb[\d.]+-depth|block-mask|rgb-only|complementary)', p)]
    assert len(ablations) >= 8
    for path in ablations:
        assert len(code_lines(path)) <= 4, path
        assert 'pipeline' not in open(path).read(), path


def test_vitb_recipe_is_maes():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'vitb_scannet.py'))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    assert cfg.param_scheduler[0].end == 40 and 'end' not in cfg.param_scheduler[1]
    assert cfg.train_cfg.max_epochs == 800
    assert cfg.model.backbone.arch == 'b' and cfg.train_dataloader.batch_size == 64
    # frames are subsampled once, by extract_sens.py --frame-skip 25 (issue: every 625th raw frame was used)
    assert cfg.train_dataloader.dataset.frame_skip == 1


def scheduled_lrs(cfg: Config, epoch_length: int) -> list:
    """The lr of every iteration under ``cfg.param_scheduler``, built with the Runner's rule for a missing
    ``end`` (``Runner.build_param_scheduler``: ``setdefault('end', max_epochs)``)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, end=s.get('end', cfg.train_cfg.max_epochs)),
                                         default_args=dict(optimizer=optimizer, epoch_length=epoch_length))
                  for s in cfg.param_scheduler]
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs * epoch_length):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    return lrs


@pytest.mark.parametrize('max_epochs', [20, 6])
def test_demo_schedule_follows_max_epochs_override(max_epochs):
    """--cfg-options train_cfg.max_epochs=N: warmup to the peak in 2 epochs, cosine down to 0 at epoch N."""
    cfg = Config.fromfile(TINY_CONFIG)
    assert 'warmup_epochs' not in cfg and cfg.train_cfg.max_epochs == 20
    cfg.merge_from_dict({'train_cfg.max_epochs': max_epochs})
    lrs = scheduled_lrs(cfg, epoch_length=5)
    peak = max(range(len(lrs)), key=lrs.__getitem__)
    assert peak == 2 * 5 - 1  # last iteration of the 2-epoch warmup (mmengine: `end` is exclusive)
    assert lrs[0] == pytest.approx(1e-3)  # start_factor x lr 1.0
    # warmup and cosine overlap (their factors multiply): the peak is the cosine's value at the warmup's end
    assert lrs[peak] == pytest.approx((1 + math.cos(math.pi * peak / (max_epochs * 5))) / 2)
    assert lrs[-1] < 0.01 * lrs[peak]  # the cosine ends with the run
    assert all(a >= b for a, b in zip(lrs[peak:], lrs[peak + 1:]))


def test_mae_init_config_loads_an_mmpretrain_mae_checkpoint(tmp_path, synthetic_root):
    """The two-stage recipe at the demo's size: the RGB ViT starts exactly at the MAE weights."""
    mae_cfg = Config.fromfile(osp.join(CONFIG_DIR, 'mask3d_vit-base-p16_mae-init_8xb64-amp-coslr-800e_scannet.py'))
    assert mae_cfg.model.backbone.init_cfg.type == 'Pretrained'
    cfg = tiny_config(64, synthetic_root)
    mae_backbone = MAEViT(arch=dict(cfg.model.backbone.arch), img_size=64, patch_size=16)
    mae_backbone.init_weights()
    checkpoint = tmp_path / 'mae.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in mae_backbone.state_dict().items()}), checkpoint)
    cfg.model.backbone.init_cfg = dict(mae_cfg.model.backbone.init_cfg, checkpoint=str(checkpoint))
    model = build_model(cfg.model, seed=1)
    for key, value in mae_backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
