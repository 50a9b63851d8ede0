"""Train a model (pretraining or fine-tuning) from a config, like mmpretrain's / mmseg's ``tools/train.py``.

    python tools/train.py CONFIG [--work-dir W] [--resume [CKPT]] [--amp] [--tensorboard] [--cfg-options k=v ...]
    python tools/train.py CONFIG --smoke    # a few CPU iterations of a tiny model of the same family
    tools/dist_train.sh CONFIG NUM_PROCS [args...]

Each config's ``default_scope`` (mmpretrain / mmseg / mmdet) decides which upstream registries it builds from.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

import mask3d_mm  # noqa: F401  (registers the plugin and applies the compat shims)
from mask3d_mm.engine.smoke import smoke_run
from mask3d_mm.utils.cfg_options import merge_cfg_options
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.launch import add_tensorboard, build_runner, load_config, shutdown_process_group


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or (no value) from the latest one in work-dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (CUDA only)')
    parser.add_argument('--no-validate', action='store_true', help='skip validation during training')
    parser.add_argument('--smoke', action='store_true',
                        help='a few iterations of a tiny model of the same family on the config\'s data, the schedule '
                             'scaled to them (mask3d_mm/engine/smoke.py; work dir work_dirs/smoke/<config>)')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale lr with the total batch size')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log to TensorBoard (event files next to scalars.json in <work_dir>/<time>/vis_data)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_dataloader.batch_size=8 (a new key: +key=value)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    merge_cfg_options(cfg, args.cfg_options)  # refuses keys the config does not have (+key=value adds one)
    if args.tensorboard:
        add_tensorboard(cfg)
    return cfg


def main():
    args = parse_args()
    cfg = load_config(args.config)
    cfg = merge_args(smoke_run(cfg) if args.smoke else cfg, args)  # --cfg-options apply after the smoke changes
    runner = build_runner(cfg)  # checks the data before the model is built
    runner.train()
    shutdown_process_group()


if __name__ == '__main__':
    run_cli(main)
