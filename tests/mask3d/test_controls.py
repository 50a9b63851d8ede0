"""Mask3D controls: does the default model learn to read depth from colour when colour carries depth (positive),
and does the RGB-reliance measurement stay at its noise when colour carries none (negative)?

Model and training: the demo config (configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py: ViT-tiny at
128x128, 50 % RGB / 98 % depth masking, batch 16, AdamW 1e-3) unchanged, with its warmup + cosine schedule on the
demo's time base (6 iterations per epoch x 20 epochs), stopped after ``ITERATIONS``; ``model.train_step`` as the
Runner's loop calls it. World: 8 synthetic rooms x 8 frames at 120x160 (the writer's split: 6 training rooms, 2
unseen). Measurement: ``diagnose`` of tools/analysis/mask3d_diagnose.py (``Mask3D.depth_diagnostics``) on all 16
frames of the unseen rooms, in batches of one frame per room so the RGB shuffle always swaps rooms (frames of one
room are near-duplicate views: with whole-room batches the shuffle gives a frame its neighbour's colour and the
reliance reads ~0.1 where it is ~1).
"""
import glob
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.registry import DATASETS, MODELS

from tests.conftest import load_tool

from .conftest import TINY_CONFIG

ROOMS, FRAMES, HEIGHT, WIDTH = 8, 8, 120, 160
HELDOUT_ROOMS = 2  # the writer's val split of 8 rooms
DEPTH_RANGE = (1.0, 5.5)  # metres spread over the colour map (the world's depths: 1st-99th percentile 1.4-5.0 m)
DEMO_EPOCH_LENGTH = 6  # iterations per epoch of `make demo` (90 frames / batch 16): the schedule's time base
ITERATIONS = 80
NEGATIVE_BOUND = 0.05  # |reliance| with colour independent of depth; measured spread below


# ------------------------------------------------------------------------------------------------------ worlds
def color_path(depth_path: str) -> str:
    scene_dir = osp.dirname(osp.dirname(depth_path))
    return osp.join(scene_dir, 'color', osp.splitext(osp.basename(depth_path))[0] + '.jpg')


def depth_colormap(depth_mm: np.ndarray, size_hw) -> np.ndarray:
    """BGR colour that is a fixed function of depth: OpenCV's JET map of depth over ``DEPTH_RANGE``."""
    low, high = DEPTH_RANGE
    value = np.clip((depth_mm.astype(np.float32) / 1000 - low) / (high - low) * 255, 0, 255).astype(np.uint8)
    color = cv2.applyColorMap(value, cv2.COLORMAP_JET)
    return cv2.resize(color, (size_hw[1], size_hw[0]), interpolation=cv2.INTER_NEAREST)


def recolour(world: str, out: str, how: str, seed: int = 0) -> str:
    """A copy of ``world`` whose colour images are ``how``: ``'depth'`` = ``depth_colormap`` of the frame's own
    depth; ``'shuffled'`` = another frame's colour image (a seeded cycle over all frames of all rooms: none keeps
    its own)."""
    shutil.copytree(world, out)
    depth_files = sorted(glob.glob(osp.join(out, '*', 'depth', '*.png')))
    if how == 'depth':
        for path in depth_files:
            shape = cv2.imread(color_path(path)).shape[:2]
            cv2.imwrite(color_path(path), depth_colormap(cv2.imread(path, cv2.IMREAD_UNCHANGED), shape))
    elif how == 'shuffled':
        colors = [cv2.imread(color_path(path)) for path in depth_files]
        order = np.random.default_rng(seed).permutation(len(depth_files))
        source = dict(zip(order, np.roll(order, 1)))
        for index, path in enumerate(depth_files):
            cv2.imwrite(color_path(path), colors[source[index]])
    else:
        raise ValueError(how)
    return out + '/'


@pytest.fixture(scope='module')
def control_world(tmp_path_factory) -> str:
    from mask3d_mm.data_prep.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('control_world') / 'world')
    generate_dataset(root, num_scenes=ROOMS, frames_per_scene=FRAMES, seed=0, height=HEIGHT, width=WIDTH)
    return root


@pytest.fixture(scope='module')
def depth_coloured_world(control_world, tmp_path_factory) -> str:
    return recolour(control_world, str(tmp_path_factory.mktemp('depth_coloured') / 'world'), 'depth')


@pytest.fixture(scope='module')
def shuffled_colour_world(control_world, tmp_path_factory) -> str:
    return recolour(control_world, str(tmp_path_factory.mktemp('shuffled_colour') / 'world'), 'shuffled')


# -------------------------------------------------------------------------------------------- train / measure
def demo_config(data_root: str) -> Config:
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.train_dataloader.dataset.update(data_root=data_root, frame_skip=1)
    return cfg


def pretrain(cfg: Config, iterations: int, seed: int = 0):
    """``iterations`` steps of ``model.train_step`` with the config's model, data pipeline, optimizer and parameter
    schedulers (built as the Runner builds them, on the demo's epoch length). The training-time copy-baseline log is
    off (it changes no weight)."""
    torch.manual_seed(seed)
    np.random.seed(seed)  # the crops and the mask seeds
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.copy_baseline_interval = 0  # a logged-only CPU distance transform per step; the diagnostics compute theirs
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
    """``diagnose`` on every frame of the unseen rooms, one frame per room in each batch."""
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


# ------------------------------------------------------------------------------------------------------ tests
def check_positive(result):
    assert result['rgb_reliance'] >= 0.5, result
    assert result['loss_depth'] <= 0.8 * result['nearest_visible_depth_loss'], result


def check_negative(result):
    assert abs(result['rgb_reliance']) < NEGATIVE_BOUND, result
    assert result['loss_depth'] < result['loss_depth_no_depth'], result  # it trained: it uses its depth patch


def test_positive_control_colour_from_depth(depth_coloured_world):
    """Colour = JET(depth): held-out reliance >= 0.5 and masked-depth L1 <= 0.8 x the copy baseline after 80
    iterations. Measured (seeds 0 / 1 / 2): reliance 0.95 / 1.07 / 1.30, L1 0.362 / 0.344 / 0.342 m vs the
    baseline's 0.561 m (0.65 / 0.61 / 0.61 x). Budget: 60 iterations gave 0.70 and 0.73 x (seed 0, an earlier
    colour range): too close to the line; 80 is the smallest tried that passes with margin.
    Mutation checks (fail as they must, seed 0): RGB latents zeroed before the decoder (Mask3DDecoder.forward
    given zeros_like(rgb_latent)) -> reliance 0.0006, L1 0.607 m; ``depth_diagnostics``' shuffle made the
    identity (``reconstruct`` ignoring ``rgb_perm``) -> reliance 0.0."""
    check_positive(train_and_diagnose(depth_coloured_world))


def test_negative_control_colour_shuffled_across_frames(shuffled_colour_world):
    """Colour images moved to other frames (colour independent of depth): |reliance| < 0.05. Measured (seeds
    0 / 1 / 2): -0.002 / -0.017 / -0.003, so the bound is ~3x the largest seen; L1 0.579 / 0.617 / 0.632 m with
    its depth patch vs 0.860 / 1.129 / 0.840 m without."""
    check_negative(train_and_diagnose(shuffled_colour_world))


@pytest.mark.slow
@pytest.mark.parametrize('seed', [1, 2])
def test_controls_other_seeds(depth_coloured_world, shuffled_colour_world, seed):
    check_positive(train_and_diagnose(depth_coloured_world, seed))
    check_negative(train_and_diagnose(shuffled_colour_world, seed))
