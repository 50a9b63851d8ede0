"""Evaluate a checkpoint with a config's test loop (mmseg / mmdet / mmpretrain scopes).

    python tools/test.py CONFIG CHECKPOINT [--work-dir W] [--out results.pkl] [--cfg-options ...]
    tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mask3d_mm  # noqa: F401
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.launch import (
    apply_cpu_fallbacks,
    check_custom_imports,
    init_cpu_process_group,
    shutdown_process_group,
)


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
    cfg = Config.fromfile(args.config)
    check_custom_imports(cfg, args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg = apply_cpu_fallbacks(cfg)
    init_cpu_process_group(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    shutdown_process_group()
    print(metrics)


if __name__ == '__main__':
    run_cli(main)
