"""Every configs/mask3d/*.py builds its model, and each variant changes what its name says."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmpretrain.models import MAEViT
from mmpretrain.registry import MODELS

from .conftest import CONFIG_DIR, build_model, tiny_config

CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))


def mask_generator(cfg: Config) -> dict:
    (step,) = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'RGBDMaskGenerator']
    return step


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_its_model(path):
    cfg = Config.fromfile(path)
    assert 'mask3d_mm' in cfg.custom_imports.imports
    with torch.device('meta'):  # shapes only: no memory, no init cost even for ViT-L
        model = MODELS.build(cfg.model)
    assert model.neck.decoder_embed.in_features == model.backbone.embed_dims
    assert model.neck.depth_decoder_embed.in_features == model.depth_encoder.embed_dims
    assert model.neck.num_patches == model.backbone.patch_resolution[0] * model.backbone.patch_resolution[1]
    generator = mask_generator(cfg)
    ratios = re.search(r'rgb([\d.]+)-depth([\d.]+)_', osp.basename(path))
    expected = (float(ratios[1]), float(ratios[2])) if ratios else (0.8, 0.8)
    assert (generator['rgb_mask_ratio'], generator['depth_mask_ratio']) == expected
    assert generator.get('mode', 'random') == ('block' if 'block-mask' in path else 'random')
    name = osp.basename(path)
    assert (model.rgb_head is not None) == name.startswith('mask3d-mae_') == (model.neck.rgb_pred is not None)
    assert model.backbone.embed_dims == (1024 if 'vit-large' in name else 192 if 'vit-tiny' in name else 768)


def test_vitb_recipe_is_maes():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'vitb_scannet.py'))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    assert cfg.param_scheduler[0].end == 40 and cfg.param_scheduler[1].end == cfg.train_cfg.max_epochs == 800
    assert cfg.model.backbone.arch == 'b' and cfg.train_dataloader.batch_size == 64


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
