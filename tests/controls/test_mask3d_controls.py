"""Mask3D controls: can the default model learn to read depth from colour when colour carries depth (positive), and
does the reliance measurement stay at its noise when colour carries none (negative)? The demo model and optimizer
(configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py: ViT-tiny at 128x128, 50 % RGB / 98 % depth
masking, batch 16, AdamW 1e-3, its warmup + cosine over 6 iterations per epoch x 20 epochs) trained for the first
``ITERATIONS`` iterations of that schedule on 6 rooms x 8 frames; measured by tools/analysis/mask3d_diagnose.py's
``diagnose`` (``Mask3D.depth_diagnostics``) on the 16 frames of the 2 unseen rooms."""
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.registry import DATASETS, MODELS

from tests.conftest import load_tool

from .conftest import ROOMS, FRAMES

DEMO_CONFIG = 'configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py'
DEMO_EPOCH_LENGTH = 6  # iterations per epoch of `make demo` (90 frames / batch 16): the schedule's time base
ITERATIONS = 80
HELDOUT_ROOMS = 2


def demo_config(data_root: str) -> Config:
    from tests.conftest import REPO
    cfg = Config.fromfile(str(REPO / DEMO_CONFIG))
    cfg.train_dataloader.dataset.update(data_root=data_root, frame_skip=1)
    return cfg


def pretrain(cfg: Config, iterations: int, seed: int = 0):
    """``iterations`` steps of ``model.train_step`` (what the Runner's loop calls) with the config's model, data
    pipeline, optimizer and parameter schedulers (built as the Runner builds them, on the demo's epoch length)."""
    torch.manual_seed(seed)
    np.random.seed(seed)  # the crops and the mask seeds
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [PARAM_SCHEDULERS.build(dict(step, end=step.get('end', cfg.train_cfg.max_epochs)),
                                         default_args=dict(optimizer=optim_wrapper, epoch_length=DEMO_EPOCH_LENGTH))
                  for step in cfg.param_scheduler]
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.train_dataloader.batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed), collate_fn=default_collate)
    done = 0
    while done < iterations:
        for batch in loader:
            model.train_step(batch, optim_wrapper)
            for scheduler in schedulers:
                scheduler.step()
            done += 1
            if done == iterations:
                break
    return model


def heldout_diagnostics(cfg: Config, model) -> dict:
    """``diagnose`` (tools/analysis/mask3d_diagnose.py) on every frame of the unseen rooms; batches of one frame per
    room, so the RGB shuffle always swaps rooms (frames of one room are near-duplicate views)."""
    tool = load_tool('tools/analysis/mask3d_diagnose.py')
    dataset, _ = tool.held_out_dataset(cfg, 'val', None)
    assert len(dataset) == HELDOUT_ROOMS * FRAMES
    np.random.seed(0)
    result = tool.diagnose(model, dataset, tool.eval_transforms(cfg, model.backbone.img_size), len(dataset),
                           HELDOUT_ROOMS, 'cpu')
    assert len(result['scenes']) == HELDOUT_ROOMS and result['num_frames'] == len(dataset)
    return result


def train_and_diagnose(data_root: str, seed: int = 0) -> dict:
    cfg = demo_config(data_root)
    return heldout_diagnostics(cfg, pretrain(cfg, ITERATIONS, seed))


def test_positive_control(depth_coloured_world):
    result = train_and_diagnose(depth_coloured_world)
    assert result['rgb_reliance'] >= 0.5, result
    assert result['loss_depth'] <= 0.8 * result['nearest_visible_depth_loss'], result


def test_negative_control(shuffled_colour_world):
    result = train_and_diagnose(shuffled_colour_world)
    assert abs(result['rgb_reliance']) < 0.05, result
