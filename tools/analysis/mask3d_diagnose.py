"""Does a Mask3D checkpoint use RGB, and does it beat copying the nearest visible depth? Numbers on held-out frames.

    python tools/analysis/mask3d_diagnose.py CONFIG CKPT [--split val | --scenes FILE] [--num-frames 64]
        [--batch-size 16] [--seed 0] [--cfg-options k=v ...]

Frames: the config's ``data_root`` and ``splits/<--split>.txt`` (default ``val``; without that file the config's
training scenes, said so in the output), or the scene list ``--scenes``; ``--num-frames`` evenly spaced frames,
each resized (centre square) to the model input, masks as in training (seeded by ``--seed``). Prints, averaged over
the frames (all numbers with the same masks, L1 in metres on the valid pixels of the loss patches):

- ``loss_depth``: the model's masked-depth error;
- ``nearest_visible_depth_loss``: copying the nearest visible depth pixel (no learning, no RGB);
- ``loss_depth_rgb_shuffled`` and ``rgb_reliance`` = shuffled / loss_depth - 1: RGB tokens taken from another
  frame of the batch (a model that ignores RGB scores ~0);
- ``loss_depth_no_depth``: no depth token at all.
"""
import argparse
import itertools
import os.path as osp

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose, default_collate
from mmengine.runner import load_checkpoint
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

import mask3d_mm  # noqa: F401
from mask3d_mm.utils.checkpoint import check_checkpoint_file
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError
from mask3d_mm.utils.launch import load_config

METRICS = ('loss_depth', 'nearest_visible_depth_loss', 'loss_depth_rgb_shuffled', 'loss_depth_no_depth')


def held_out_dataset(cfg, split: str, scenes: str):
    """The config's frame dataset over the held-out scenes, and a sentence saying which scenes those are."""
    dataset_cfg = dict(cfg.train_dataloader.dataset, pipeline=[])
    split_file = osp.abspath(osp.join(dataset_cfg['data_root'], 'splits', f'{split}.txt'))  # a relative list
    # would be read relative to data_root again
    if scenes:
        dataset_cfg['scenes'], source = osp.abspath(scenes), f'scene list {scenes}'
    elif osp.isfile(split_file):
        dataset_cfg['scenes'], source = split_file, f'split {split_file}'
    else:
        source = f'the TRAINING scenes ({dataset_cfg.get("scenes")}): no {split_file}, frames are not held out'
    return DATASETS.build(dataset_cfg), source


def eval_transforms(cfg, img_hw) -> Compose:
    """Load, the largest centre square resized to the model input, pack (no random crop / flip)."""
    (load,) = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'LoadRGBDFromFile']
    resize = dict(type='RGBDRandomResizedCrop', scale=tuple(img_hw), crop_ratio_range=(1.0, 1.0),
                  aspect_ratio_range=(1.0, 1.0))
    return Compose([TRANSFORMS.build(t) for t in (load, resize, dict(type='PackRGBDInputs'))])


def rooms_in_turn(dataset, indices) -> np.ndarray:
    """``indices`` reordered one scene at a time in turn (a frame of scene A, of B, of C, then A again ...).

    The RGB-reliance test gives each sample the RGB tokens of its batch neighbour. Two frames of one room are
    near-duplicate views, so a neighbour from the same room hides little: a model that uses colour read 0.11 with
    whole-room batches and 1.39 with rooms alternating. In turn, neighbours are of other rooms while any is left.
    """
    by_scene = {}
    for index in indices:
        by_scene.setdefault(dataset.get_data_info(int(index))['scene_id'], []).append(int(index))
    in_turn = itertools.zip_longest(*by_scene.values())
    return np.array([index for turn in in_turn for index in turn if index is not None], dtype=int)


def diagnose(model, dataset, transforms, num_frames: int, batch_size: int, device) -> dict:
    """Frame-weighted means of ``Mask3D.depth_diagnostics`` over evenly spaced frames of ``dataset``."""
    indices = rooms_in_turn(dataset, np.unique(np.linspace(0, len(dataset) - 1, min(num_frames, len(dataset)))
                                               .round().astype(int)))
    totals, weights = dict.fromkeys(METRICS, 0.0), 0
    for start in range(0, len(indices), batch_size):
        chunk = indices[start:start + batch_size]
        if len(chunk) < 2:  # the RGB shuffle needs two frames
            break
        batch = default_collate([transforms(dict(dataset.get_data_info(int(i)))) for i in chunk])
        data = model.data_preprocessor(batch, training=False)
        result = model.depth_diagnostics(data['inputs'].to(device), data['data_samples'])
        for key in METRICS:
            totals[key] += result[key] * len(chunk)
        weights += len(chunk)
    means = {key: value / weights for key, value in totals.items()}
    means['rgb_reliance'] = means['loss_depth_rgb_shuffled'] / means['loss_depth'] - 1
    return dict(means, num_frames=weights,
                scenes=sorted({dataset.get_data_info(int(i))['scene_id'] for i in indices[:weights]}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--split', default='val', help='scene list <data_root>/splits/<SPLIT>.txt (default: val)')
    where.add_argument('--scenes', help='a scene-list file (one scene id per line) instead of --split')
    parser.add_argument('--num-frames', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0, help='seeds the masks')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)
    if args.num_frames < 2 or args.batch_size < 2:
        raise DataError('--num-frames and --batch-size must be >= 2 (the RGB shuffle swaps frames of a batch)')

    cfg = load_config(args.config, args.cfg_options)
    check_checkpoint_file(args.checkpoint)
    dataset, source = held_out_dataset(cfg, args.split, args.scenes)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
    model.to(device).eval()
    np.random.seed(args.seed)
    result = diagnose(model, dataset, eval_transforms(cfg, model.backbone.img_size), args.num_frames,
                      args.batch_size, device)
    print(f'frames: {result["num_frames"]} evenly spaced of {len(dataset)} in {len(result["scenes"])} scenes '
          f'({", ".join(result["scenes"][:5])}{", ..." if len(result["scenes"]) > 5 else ""}) from {source}')
    print(f'loss patches: {model.loss_patches}; L1 in metres on their valid pixels; same masks throughout')
    for key in (*METRICS[:3], 'rgb_reliance', METRICS[3]):
        print(f'{key:>28}: {result[key]:.4f}')


if __name__ == '__main__':
    run_cli(main)
