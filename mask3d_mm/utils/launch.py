"""Shared set-up for ``tools/train.py`` and ``tools/test.py``: config checks and CPU fall-backs.

mmengine assumes CUDA for distributed and AMP runs. These helpers let the same configs run on a CPU-only machine
(tests, laptops, CI) without editing them, and log every change they make.
"""
import os

import torch
from mmengine.logging import print_log

from .errors import ConfigError

PLUGIN = 'mask3d_mm'


def check_custom_imports(cfg, config_path):
    """Our configs must be self-sufficient (also under mmseg's / mmdet's own ``tools/train.py``)."""
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if isinstance(imports, str):
        imports = [imports]
    if PLUGIN not in imports:
        raise ConfigError(
            f'{config_path}: the config does not import the plugin. Add\n'
            f"    custom_imports = dict(imports=['{PLUGIN}'], allow_failed_imports=False)\n"
            'so its datasets/models are registered (also when run by upstream tools).')


def apply_cpu_fallbacks(cfg):
    """On a machine without CUDA: fp32 instead of AMP, gloo instead of nccl, DDP without device ids."""
    if torch.cuda.is_available():
        return cfg
    optim_wrapper = cfg.get('optim_wrapper')
    if optim_wrapper is not None and optim_wrapper.get('type') == 'AmpOptimWrapper':
        print_log('no CUDA device: AmpOptimWrapper -> OptimWrapper (fp32)', logger='current')
        optim_wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            optim_wrapper.pop(key, None)
    if cfg.get('launcher', 'none') != 'none':
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            print_log('no CUDA device: distributed backend nccl -> gloo', logger='current')
            dist_cfg['backend'] = 'gloo'
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None  # CPU modules take no device ids
        cfg.model_wrapper_cfg = wrapper
    return cfg


def init_cpu_process_group(cfg):
    """mmengine's pytorch launcher calls ``torch.cuda.set_device`` before ``init_process_group``; on CPU we
    initialize the group first, and mmengine then skips its own initialization."""
    if torch.cuda.is_available() or cfg.get('launcher', 'none') != 'pytorch':
        return
    import torch.distributed as dist
    if not dist.is_initialized():
        backend = cfg.env_cfg.dist_cfg.get('backend', 'gloo')
        dist.init_process_group(backend=backend, rank=int(os.environ['RANK']),
                                world_size=int(os.environ['WORLD_SIZE']))


def shutdown_process_group():
    """Leave the process group explicitly: ranks exiting while gloo threads are still up can abort (SIGABRT)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
