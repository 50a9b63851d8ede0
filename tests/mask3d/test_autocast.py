"""Mixed precision: one ``AmpOptimWrapper``-style training step (CPU autocast + grad scaler, see
``tests/helpers/cpu_amp.py``) of every Mask3D pretraining config family, in bfloat16 and float16.

Each model is built from its real config (ViT-B/16 RGB encoder, the 384-wide depth encoder, the 512-wide MAE
decoder, the config's masking, loss and AdamW settings), on 128 x 128 crops of the synthetic RGB-D frames through
the config's own pipeline (the 8 x 8 patch grid is the smallest that keeps a visible depth patch at the default
98 % depth masking). The default suite also shrinks DEPTH only -- 2 RGB encoder blocks, 1 depth encoder block,
1 decoder block, widths unchanged -- to keep a step to seconds on a shared 2-core machine; the float16 step of
every family but the default one (a float16 CPU matmul is ~100x slower than bfloat16) and the full-depth models
(12 / 4 / 8 blocks) run under ``make slow``. MAE-init starts the RGB encoder from an mmpretrain MAE checkpoint
written by the test (the config's init path, not its file).
"""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.models import MAEViT

from tests.helpers.cpu_amp import (
    DTYPES,
    LOSS_RTOL,
    amp_params,
    check_amp_step,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    shrink_vit_depth,
)

from .conftest import CONFIG_DIR, build_model, load_batch

CONFIGS = {
    'mask3d-default': 'mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py',
    'mask3d-mae': 'mask3d-mae_vit-base-p16_8xb64-amp-coslr-800e_scannet.py',
    'mask3d-mae-init': 'mask3d_vit-base-p16_mae-init_8xb64-amp-coslr-800e_scannet.py',
    'mask3d-rgb-only': 'mask3d_vit-base-p16_rgb-only_8xb64-amp-coslr-800e_scannet.py',
}
IMG_SIZE = 128
SHALLOW = dict(backbone=2, depth_encoder=1, neck=1)  # blocks of the default-suite models


def real_config(family, data_root, full_depth):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, CONFIGS[family]))
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': data_root,
                         'train_dataloader.dataset.pipeline.1.scale': IMG_SIZE,
                         'model.backbone.img_size': IMG_SIZE})
    if not full_depth:
        model = cfg.model
        model.backbone = shrink_vit_depth(model.backbone, SHALLOW['backbone'])
        model.depth_encoder.num_layers = SHALLOW['depth_encoder']
        model.neck.decoder_depth = SHALLOW['neck']
    return cfg


def write_mae_checkpoint(cfg, path):
    """An mmpretrain MAE checkpoint of the config's RGB encoder (what the MAE-init recipe loads)."""
    mae = MAEViT(arch=cfg.model.backbone.arch, img_size=IMG_SIZE, patch_size=16)
    mae.init_weights()
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in mae.state_dict().items()}), path)
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    return mae


def run_amp_step(family, dtype, data_root, tmp_path, full_depth):
    cfg = real_config(family, data_root, full_depth)
    mae = write_mae_checkpoint(cfg, tmp_path / 'mae.pth') if family == 'mask3d-mae-init' else None
    model = build_model(cfg.model)
    if mae is not None:  # the Pretrained init reached the encoder
        assert torch.equal(model.backbone.patch_embed.projection.weight, mae.patch_embed.projection.weight)
    assert (model.depth_encoder is None) == (family == 'mask3d-rgb-only')
    assert (model.rgb_head is None) != (family == 'mask3d-mae')
    data = load_batch(cfg, batch_size=2)
    _, _, log_vars = check_amp_step(model, data, cfg.optim_wrapper, dtype)
    if model.depth_encoder is not None:  # the copy baseline ran in the autocast step (call 0 of every interval)
        assert torch.isfinite(log_vars['copy_baseline_l1']) and torch.isfinite(log_vars['depth_l1'])


@pytest.mark.parametrize('family,dtype', amp_params(CONFIGS, default={f'{family}-bf16' for family in CONFIGS}
                                                     | {'mask3d-default-fp16'}))
def test_amp_step(family, dtype, synthetic_root, tmp_path):
    run_amp_step(family, dtype, synthetic_root, tmp_path, full_depth=False)


@pytest.mark.slow
@pytest.mark.parametrize('family,dtype', amp_params(CONFIGS))
def test_amp_step_full_depth(family, dtype, synthetic_root, tmp_path):
    run_amp_step(family, dtype, synthetic_root, tmp_path, full_depth=True)


@pytest.mark.parametrize('dtype', ['bf16', 'fp16'])
def test_depth_diagnostics_under_autocast(dtype, synthetic_root):
    """``depth_diagnostics`` (what the reconstruction hook logs) inside autocast: the numbers of the fp32 pass."""
    cfg = real_config('mask3d-default', synthetic_root, full_depth=False)
    model = build_model(cfg.model)
    data = model.data_preprocessor(load_batch(cfg, batch_size=2))
    reference = model.depth_diagnostics(data['inputs'], data['data_samples'])
    with torch.autocast('cpu', dtype=DTYPES[dtype]):
        mixed = model.depth_diagnostics(data['inputs'], data['data_samples'])
    assert set(mixed) == set(reference)
    for name, value in reference.items():
        assert math.isfinite(value) and mixed[name] == pytest.approx(value, rel=LOSS_RTOL[dtype], abs=1e-3), name
