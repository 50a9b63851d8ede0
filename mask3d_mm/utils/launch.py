"""Shared set-up of ``tools/train.py`` and ``tools/test.py``: load and check a config, build its Runner.

mmengine assumes CUDA for distributed and AMP runs. These helpers let the same configs run on a CPU-only machine
(tests, laptops, CI) without editing them, and log every change they make. ``build_runner`` is the one place that
builds a Runner the way the tools do; the study and the tests call it too.
"""
import ast
import importlib.util
import logging
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DATASETS, RUNNERS, init_default_scope
from mmengine.runner import Runner

from .cfg_options import merge_cfg_options
from .checkpoint import check_checkpoint_file
from .cli import repeated_by_rank_0
from .errors import ConfigError, DataError

PLUGIN = 'mask3d_mm'
TRAIN_LOADERS = ('train_dataloader', 'val_dataloader')


def load_config(path, cfg_options=None):
    """``Config.fromfile`` for the tools: a missing or unreadable config is a ``ConfigError`` naming the file (not
    a traceback), and the config must import the plugin. ``cfg_options`` (``--cfg-options``) are checked (a key
    the config does not have is a ``ConfigError``, see ``cfg_options.py``) and merged in."""
    path = str(path)
    if not osp.isfile(path):
        raise ConfigError(f'{path}: config file not found')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as error:
        raise syntax_error(path, error) from error
    except FileNotFoundError as error:  # a `_base_` that does not exist
        raise ConfigError(f'{path}: {error}') from error
    check_custom_imports(cfg, path)
    return merge_cfg_options(cfg, cfg_options)


def syntax_error(path, error):
    """mmengine's SyntaxError does not say which file of a ``_base_`` chain is broken: find out."""
    try:
        with open(path) as f:
            ast.parse(f.read())
        where = f'{path}: one of its _base_ configs'
    except SyntaxError:
        where = path
    return ConfigError(f'{where}: syntax error at line {error.lineno}: {error.msg}')


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


def log_once(message):
    """Log on rank 0 only (before the Runner exists every rank would print the same line)."""
    if not repeated_by_rank_0():
        print_log(message, logger='current')


def apply_cpu_fallbacks(cfg):
    """On a machine without CUDA: fp32 instead of AMP, gloo instead of nccl, DDP without device ids."""
    if torch.cuda.is_available():
        return cfg
    optim_wrapper = cfg.get('optim_wrapper')
    if optim_wrapper is not None and optim_wrapper.get('type') == 'AmpOptimWrapper':
        log_once('no CUDA device: AmpOptimWrapper -> OptimWrapper (fp32)')
        optim_wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            optim_wrapper.pop(key, None)
    if cfg.get('launcher', 'none') != 'none':
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            log_once('no CUDA device: distributed backend nccl -> gloo')
            dist_cfg['backend'] = 'gloo'
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None  # CPU modules take no device ids
        cfg.model_wrapper_cfg = wrapper
    return cfg


def add_tensorboard(cfg):
    """Also log scalars to TensorBoard (mmengine's ``TensorboardVisBackend``): event files next to
    ``scalars.json`` in ``<work_dir>/<timestamp>/vis_data/``. The backend imports ``tensorboard`` only when it
    first writes, i.e. after the model is built: check for it now."""
    if importlib.util.find_spec('tensorboard') is None:
        raise ConfigError('--tensorboard needs the `tensorboard` package, which is not installed in this Python '
                          'environment (pip install tensorboard)')
    visualizer = cfg.get('visualizer') or dict(type='Visualizer')
    backends = visualizer.setdefault('vis_backends', [dict(type='LocalVisBackend')])
    if not any(backend.get('type') == 'TensorboardVisBackend' for backend in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    cfg.visualizer = visualizer
    return cfg


def check_datasets(cfg, loaders=TRAIN_LOADERS):
    """Build the datasets of ``loaders`` once, so that bad data fails before the model is built.

    mmengine's Runner builds (and under DDP wraps) the model in its constructor and the data loaders only when a
    loop starts: a wrong data root would otherwise surface after a ViT-B has been built on every rank. The datasets
    built here are dropped (the Runner builds its own); what this costs is one listing of the data. A dataset that
    cannot find its files is a ``DataError`` naming the loader and the path.
    """
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    for loader in loaders:
        dataset_cfg = (cfg.get(loader) or {}).get('dataset')
        if not isinstance(dataset_cfg, dict):
            continue
        try:
            dataset = DATASETS.build(dataset_cfg)
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
        except (FileNotFoundError, NotADirectoryError) as error:  # upstream datasets (mmpretrain, mmseg, mmdet)
            raise DataError(f'{loader}.dataset: {error}') from error


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


def build_runner(cfg, check_loaders=TRAIN_LOADERS):
    """The Runner for ``cfg`` as ``tools/train.py`` / ``tools/test.py`` build it, on any machine.

    In order: CPU fall-backs (fp32, gloo), the ``load_from`` / ``--resume`` file's first bytes, the datasets of
    ``check_loaders`` (``('test_dataloader',)`` to test,
    ``()`` to skip), the CPU process group, then the Runner: ``cfg.runner_type`` if set, otherwise a Runner that
    keeps the console short (see ``ConciseConsoleRunner``). ``cfg`` is changed in place (fall-backs).
    """
    cfg = apply_cpu_fallbacks(cfg)
    check_checkpoint_file(cfg.get('load_from'))  # a typo or a broken file fails before anything is built
    check_datasets(cfg, check_loaders)
    init_cpu_process_group(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return ConciseConsoleRunner.from_cfg(cfg)


class ConciseConsoleRunner(Runner):
    """mmengine's Runner, but the console shows what a user acts on; the rest goes to the log file only
    (``FileOnlyRecords``): the system environment (CUDA build flags), the full config, the hook order, the optimizer
    constructor's per-parameter lines and upstream's deprecation notices. The console gets mmengine's runtime
    environment block (seed, launcher, world size; ``dist_cfg`` only for a distributed run) and the log file's
    path. Everything else is upstream's."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            is_console = isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
            if is_console and not any(isinstance(f, FileOnlyRecords) for f in handler.filters):
                handler.addFilter(FileOnlyRecords())
        return logger

    def load_or_resume(self):
        """``--resume`` without a checkpoint in the work dir says once that training starts fresh (upstream prints
        "Did not find last_checkpoint" per call, then "Auto resumed from the latest checkpoint None")."""
        if not self._has_loaded and self._resume and self._load_from is None and not osp.exists(
                osp.join(self.work_dir, 'last_checkpoint')):
            self.logger.info(f'--resume: no checkpoint in {self.work_dir} yet (no last_checkpoint file): training '
                             'starts from scratch')
            self._resume = False
        return super().load_or_resume()

    def _log_env(self, env_cfg):
        super()._log_env(env_cfg)
        shown_env = {k: v for k, v in env_cfg.items() if self._distributed or k != 'dist_cfg'}
        runtime = {**shown_env, **self._randomness_cfg, 'seed': self._seed, 'Distributed launcher': self._launcher,
                   'Distributed training': self._distributed, 'GPU number': self._world_size}
        files = [h.baseFilename for h in self.logger.handlers if isinstance(h, logging.FileHandler)]
        self.logger.info('Runtime environment:' + ''.join(f'\n    {k}: {v}' for k, v in runtime.items()) +
                         (f'\nSystem environment, config and hooks: {files[0]}' if files else ''))


class FileOnlyRecords(logging.Filter):
    """Console filter: drops the records nobody acts on (they still reach the log file): mmengine's long start-up
    records, ``DefaultOptimWrapperConstructor``'s line per parameter with a custom lr / decay (``paramwise_options
    -- ...``: ~100 lines for the tiny ViT, ~200 for ViT-B) and per frozen parameter (the fixed sin-cos
    ``pos_embed``), mmengine's own ``FileClient`` deprecation notices (its hooks use it internally) and the
    SyncBN note of single-process runs."""

    PREFIXES = ('\n' + '-' * 60 + '\nSystem environment:', 'Config:\n', 'Hooks will be executed in the following order',
                'paramwise_options -- ', '"FileClient" will be deprecated in future',
                '"HardDiskBackend" is the alias of "LocalBackend"',
                'Distributed training is not used, all SyncBatchNorm (SyncBN) layers')
    SUFFIXES = (' is skipped since its requires_grad=False', )

    def filter(self, record):
        message = str(record.msg)
        return not (message.startswith(self.PREFIXES) or message.endswith(self.SUFFIXES))
