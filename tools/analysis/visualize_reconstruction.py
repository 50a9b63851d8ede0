"""Save Mask3D reconstruction panels (RGB, visible RGB, visible depth, predicted depth, GT depth, error).

    python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out vis/ [--frames a.jpg b.jpg] [--num 4]

``--frames`` are colour images of the frame layout (``<scene>/color/<N>.jpg``; the depth is read from
``<scene>/depth/<N>.png``); without it the first ``--num`` frames of the config's training set are used.
Masks are drawn by the config's ``RGBDMaskGenerator`` (``--seed`` makes them repeatable).
"""
import argparse
import os
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose, default_collate
from mmengine.runner import load_checkpoint
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

import mask3d_mm  # noqa: F401
from mask3d_mm.engine.hooks.mask3d_vis_hook import make_reconstruction_panel, reconstruct_batch
from mask3d_mm.utils.atomic_io import write_image_atomic
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError


def eval_pipeline(cfg: Config) -> list:
    """The training pipeline without random crops / flips: resize the whole frame to the model input."""
    keep = ('LoadRGBDFromFile', 'RGBDMaskGenerator', 'PackRGBDInputs')
    pipeline = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] in keep]
    size = cfg.model.backbone.img_size
    resize = dict(type='RGBDRandomResizedCrop', scale=size, crop_ratio_range=(1.0, 1.0),
                  aspect_ratio_range=(1.0, 1.0))  # deterministic centre square of the largest area
    return [TRANSFORMS.build(t) for t in pipeline[:1] + [resize] + pipeline[1:]]


def frame_items(cfg: Config, frames, num: int) -> list:
    if not frames:
        dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[]))
        return [dataset.get_data_info(i) for i in range(min(num, len(dataset)))]
    items = []
    for img_path in frames:
        scene_dir = osp.dirname(osp.dirname(osp.abspath(img_path)))
        frame_id = osp.splitext(osp.basename(img_path))[0]
        depth_path = osp.join(scene_dir, 'depth', f'{frame_id}.png')
        for path in (img_path, depth_path):
            if not osp.isfile(path):
                raise DataError(f'{path}: not found (--frames takes <scene>/color/<N>.jpg with a matching '
                                '<scene>/depth/<N>.png)')
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

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    np.random.seed(args.seed)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    pipeline = Compose(eval_pipeline(cfg))
    os.makedirs(args.out, exist_ok=True)
    for item in frame_items(cfg, args.frames, args.num):
        out = reconstruct_batch(model, default_collate([pipeline(dict(item))]))
        panel = make_reconstruction_panel(model, out)
        name = osp.splitext(osp.basename(item['img_path']))[0]
        scene = item.get('scene_id', osp.basename(osp.dirname(osp.dirname(item['img_path']))))
        path = osp.join(args.out, f'{scene}_{name}.png')
        write_image_atomic(path, panel[..., ::-1])
        print(f'saved {path}')


if __name__ == '__main__':
    run_cli(main)
