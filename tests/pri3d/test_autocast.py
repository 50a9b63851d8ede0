"""Mixed precision: one ``AmpOptimWrapper``-style training step (CPU autocast + grad scaler, see
``tests/helpers/cpu_amp.py``) of every Pri3D pretraining config family, in bfloat16 and float16.

Each model is built from its real config -- the ResNet-50 / ResNet-18 UNet or the ViT-B/16, the MinkUNet34-deep
sparse 3D UNet (``backend='auto'``: the pure-PyTorch sparse convolution on CPU), PointInfoNCE, the config's
optimizer -- on one mined pair of the synthetic world loaded at ``SCALE`` through the config's own pipeline, with
the world's 8 cm voxel chunks (the same code paths as 2 cm with ~16x fewer voxels).

Default suite: view+geo ResNet-50 in bfloat16 (the view and geo configs differ from it
only in ``mode``, whose two losses it runs), view+geo ResNet-18 in float16 (the sparse convolution in half), and the
ViT-B in bfloat16 with 2 of its 12 blocks (widths unchanged). ``make slow``: every other config x dtype and the
full-depth ViT; a float16 CPU matmul / convolution is ~100x slower than bfloat16 (a ResNet-50 float16 step: minutes).
Weights are the configs' random initialisation (their ImageNet checkpoints are not loaded).
"""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from tests.helpers.cpu_amp import amp_params, check_amp_step, shrink_vit_depth

from .test_pri3d_training import CONFIG_DIR, config_on_world

CONFIGS = {
    'pri3d-view-r50': 'pri3d-view_resnet50-unet_8xb8_scannet.py',
    'pri3d-geo-r50': 'pri3d-geo_resnet50-unet_8xb8_scannet.py',
    'pri3d-view-geo-r50': 'pri3d-view-geo_resnet50-unet_8xb8_scannet.py',
    'pri3d-view-geo-r18': 'pri3d-view-geo_resnet18-unet_8xb8_scannet.py',
    'pri3d-view-vit': 'pri3d-view_vit-base-p16_8xb8_scannet.py',
}
VIT_LAYERS = 2  # default-suite depth of the ViT-B


def real_config(family, world, work_dir, full_depth):
    cfg = config_on_world(CONFIG_DIR / CONFIGS[family], world, work_dir, batch_size=1)
    cfg.train_dataloader.dataset.with_chunks = 'geo' in cfg.model.mode
    if 'vit' in family and not full_depth:
        cfg.model.backbone = shrink_vit_depth(cfg.model.backbone, VIT_LAYERS)
    return cfg


def run_amp_step(family, dtype, world, work_dir, full_depth=False):
    cfg = real_config(family, world, work_dir, full_depth)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    init_default_scope(cfg.default_scope)
    data = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    _, _, log_vars = check_amp_step(model, data, cfg.optim_wrapper, dtype)
    expected = {'view': {'loss_view'}, 'geo': {'loss_geo'}, 'view+geo': {'loss_view', 'loss_geo'}}[cfg.model.mode]
    assert expected <= set(log_vars)


@pytest.mark.parametrize('family,dtype', amp_params(CONFIGS, default={'pri3d-view-geo-r50-bf16', 'pri3d-view-vit-bf16',
                                                                      'pri3d-view-geo-r18-fp16'}))
def test_amp_step(family, dtype, pri3d_world, tmp_path):
    run_amp_step(family, dtype, pri3d_world, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize('dtype', ['bf16', 'fp16'])
def test_amp_step_full_depth_vit(dtype, pri3d_world, tmp_path):
    run_amp_step('pri3d-view-vit', dtype, pri3d_world, tmp_path, full_depth=True)
