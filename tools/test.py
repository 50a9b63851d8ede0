"""Evaluate a checkpoint with a config's test loop (mmseg / mmdet / mmpretrain scopes).

    python tools/test.py CONFIG CHECKPOINT [--work-dir W] [--out results.pkl] [--cfg-options ...]
    tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

import mask3d_mm  # noqa: F401
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.launch import build_runner, load_config, shutdown_process_group


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump predictions to this pickle file (mmengine DumpResults)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    runner = build_runner(cfg, check_loaders=('test_dataloader',))
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    shutdown_process_group()
    print(metrics)


if __name__ == '__main__':
    run_cli(main)
