"""Save Mask3D reconstruction panels (RGB, visible RGB, visible depth, predicted depth, GT depth, error).

    python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out vis/ [--frames a.jpg b.jpg] [--num 4]

``--frames`` are colour images of the frame layout (``<scene>/color/<N>.jpg``; the depth is read from
``<scene>/depth/<N>.png``), found from the working directory or else under the config's data root (so
``--frames scene0000_00/color/0.jpg`` works from the repository root); without it the first ``--num`` frames of
the config's training set are used. The model draws the patch masks as in training (``--seed`` makes them
repeatable). The panel
layout is described in ``mask3d_mm/visualization/mask3d_panels.py``.
"""
import argparse
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose, default_collate
from mmengine.runner import load_checkpoint
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

import mask3d_mm  # noqa: F401
from mask3d_mm.utils.atomic_io import write_image_atomic
from mask3d_mm.utils.checkpoint import check_checkpoint_file
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError
from mask3d_mm.utils.launch import load_config
from mask3d_mm.visualization import make_reconstruction_panel, reconstruct_batch


def eval_pipeline(cfg: Config, img_hw) -> list:
    """The training pipeline without random crops / flips: resize the whole frame to the model input (h, w)."""
    keep = ('LoadRGBDFromFile', 'PackRGBDInputs')
    pipeline = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] in keep]
    resize = dict(type='RGBDRandomResizedCrop', scale=tuple(img_hw), crop_ratio_range=(1.0, 1.0),
                  aspect_ratio_range=(1.0, 1.0))  # deterministic centre square of the largest area
    return [TRANSFORMS.build(t) for t in pipeline[:1] + [resize] + pipeline[1:]]


def resolve_frame(img_path: str, data_root: str) -> str:
    """``img_path`` as given when it exists, else (when relative) under ``data_root``; a DataError naming every
    place looked at otherwise."""
    places = [img_path] if osp.isabs(img_path) else [osp.abspath(img_path), osp.abspath(osp.join(data_root, img_path))]
    for path in places:
        if osp.isfile(path):
            return path
    raise DataError(f'--frames {img_path}: not found (looked for {" and ".join(places)}; relative frames are read '
                    'from the working directory or the config\'s data_root)')


def frame_items(cfg: Config, frames, num: int) -> list:
    dataset_cfg = cfg.train_dataloader.dataset
    if not frames:
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=[]))
        return [dataset.get_data_info(i) for i in range(min(num, len(dataset)))]
    items = []
    for frame in frames:
        img_path = resolve_frame(frame, dataset_cfg.data_root)
        frame_id = osp.splitext(osp.basename(img_path))[0]
        depth_path = osp.join(osp.dirname(osp.dirname(img_path)), 'depth', f'{frame_id}.png')
        if not osp.isfile(depth_path):
            raise DataError(f'{depth_path}: not found (the depth of --frames {frame}: <scene>/color/<N>.jpg needs a '
                            'matching <scene>/depth/<N>.png)')
        items.append(dict(img_path=img_path, depth_path=depth_path))
    return items


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='output folder for the PNG panels')
    parser.add_argument('--frames', nargs='*', help='colour frames (<scene>/color/<N>.jpg)')
    parser.add_argument('--num', type=int, default=4, help='frames from the training set when no --frames')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)

    cfg = load_config(args.config, args.cfg_options)
    items = frame_items(cfg, args.frames, args.num)  # bad input fails before the model is built
    check_checkpoint_file(args.checkpoint)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    pipeline = Compose(eval_pipeline(cfg, model.backbone.patch_embed.init_input_size))
    os.makedirs(args.out, exist_ok=True)
    for item in items:
        out = reconstruct_batch(model, default_collate([pipeline(dict(item))]))
        panel = make_reconstruction_panel(model, out)
        name = osp.splitext(osp.basename(item['img_path']))[0]
        scene = item.get('scene_id', osp.basename(osp.dirname(osp.dirname(item['img_path']))))
        path = osp.join(args.out, f'{scene}_{name}.png')
        write_image_atomic(path, panel[..., ::-1])
        print(f'saved {path}')


if __name__ == '__main__':
    run_cli(main)
