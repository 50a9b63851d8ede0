"""Compatibility shims for the upstream stack, all in one place, applied on ``import mask3d_mm``.

Each shim says which upstream versions it is for and when it can go.
"""
import collections
import logging
import pickle
import warnings
from pathlib import Path

import numpy as np
import torch

logger = logging.getLogger(__name__)


def _numpy_pickle_globals():
    """The numpy objects a pickled ndarray / numpy scalar / dtype refers to (module paths differ in numpy 1 and 2)."""
    names = []
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        names += [module._reconstruct, module.scalar]
        break
    names += [np.ndarray, np.dtype]
    # numpy >= 1.25 pickles dtypes as instances of per-type classes (numpy.dtypes.Float64DType, ...).
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:
        names += [getattr(dtypes_module, n) for n in dir(dtypes_module) if n.endswith('DType')]
    return names


def history_buffer_statistic(owner, name):
    """Safe stand-in for ``getattr`` while unpickling.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle writes as
    ``getattr(HistoryBuffer, 'min')``. Allow-listing the real ``getattr`` would let a crafted file reach any
    attribute (module globals included); this resolves HistoryBuffer's registered statistics and nothing else.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    statistics = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in statistics:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'safe loading refuses getattr({owner!r}, {name!r}): only HistoryBuffer '
                                 'statistics methods may be looked up')


def _mmengine_pickle_globals():
    """mmengine objects stored in checkpoints' ``meta`` (the MessageHub's log history)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, (history_buffer_statistic, 'builtins.getattr')]


def safe_checkpoint_globals():
    """Every non-tensor global an OpenMMLab checkpoint written by mmengine 0.10.x may reference."""
    return _numpy_pickle_globals() + _mmengine_pickle_globals() + [collections.OrderedDict,
                                                                   collections.Counter,
                                                                   collections.defaultdict]


def allow_mmengine_checkpoints_in_safe_load():
    """torch >= 2.6 loads with ``weights_only=True`` by default; mmengine 0.10.7 calls plain ``torch.load``, so
    resuming fails with ``UnpicklingError ... HistoryBuffer``. Instead of turning safe loading off, allow-list
    exactly the (data-only) classes mmengine checkpoints contain. Remove once mmengine passes ``weights_only``
    itself or registers these globals (mmengine > 0.10.7)."""
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:  # torch < 2.4: weights_only is off by default, nothing to do
        return
    add_safe_globals(safe_checkpoint_globals())


allow_mmengine_checkpoints_in_safe_load()


def cache_external_config_metainfo():
    """mmengine 0.10.7 re-reads an upstream package's whole model index (~100 yaml files, ~0.45 s) every time it
    resolves an ``mmdet::`` / ``mmseg::`` / ``mmpretrain::`` config path, several times per config of ours. The
    index of an installed package is static, so read it once per process; lookups behave as upstream's
    ``_get_cfg_metainfo`` (first weight of a config wins, same ValueError for an unknown config). Remove when
    mmengine caches it itself."""
    import functools
    import os.path as osp

    from mmengine.config import utils as config_utils
    from mmengine.fileio import load
    if getattr(config_utils._get_cfg_metainfo, 'cached_by_mask3d_mm', False):
        return

    @functools.cache
    def model_index(package_path):
        configs = {}
        for meta_path in load(osp.join(package_path, '.mim', 'model-index.yml'))['Import']:
            for model_cfg in load(osp.join(package_path, '.mim', meta_path))['Models']:
                if 'Config' in model_cfg:
                    configs.setdefault(model_cfg['Config'].partition('/')[-1], model_cfg)
        return configs

    def get_cfg_metainfo(package_path, cfg_path):
        configs = model_index(package_path)
        if cfg_path not in configs:
            raise ValueError(f'Expected configs: {configs.keys()}, but got {cfg_path}')
        return configs[cfg_path]

    get_cfg_metainfo.cached_by_mask3d_mm = True
    get_cfg_metainfo.__wrapped__ = config_utils._get_cfg_metainfo
    config_utils._get_cfg_metainfo = get_cfg_metainfo


cache_external_config_metainfo()


def silence_pkg_resources_deprecation():
    """mmengine 0.10.7's ``is_installed`` (run for every ``mmdet::`` / ``mmseg::`` / ``mmpretrain::`` config path)
    imports and *reloads* ``pkg_resources``, and setuptools >= 67.5 warns on each import: several identical
    "pkg_resources is deprecated as an API" warnings per process, nothing a user can act on. Ignore exactly that
    message. Remove when mmengine stops using pkg_resources (or setuptools drops it: setuptools < 82 is pinned)."""
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API', category=Warning)


silence_pkg_resources_deprecation()


CONFIG_SCOPE = 'mask3d_mm'


def package_configs_dir():
    """Where ``mask3d_mm::`` configs live: ``mask3d_mm/.mim/configs`` of an installed wheel (as OpenMMLab packages
    ship theirs), else the ``configs/`` of the source checkout the package is imported from (an editable install
    or a PYTHONPATH checkout: no copy to go stale, nothing to reinstall)."""
    package_dir = Path(__file__).resolve().parents[1]  # .../mask3d_mm
    if (package_dir / '.mim' / 'configs').is_dir():
        return package_dir / '.mim' / 'configs'
    checkout = package_dir.parent
    if (checkout / 'setup.py').is_file() and (checkout / 'configs').is_dir():  # not some site-packages/configs
        return checkout / 'configs'
    raise FileNotFoundError(f'{package_dir} ships no configs (no .mim/configs, not a source checkout): reinstall '
                            'mask3d_mm with `pip install .` from its repository')


def resolve_mask3d_mm_config_scope():
    """Let a config outside this repository inherit ours: ``_base_ = 'mask3d_mm::mask3d/vitb_scannet.py'``.

    For mmengine 0.10.x (0.10.7 checked). ``Config._get_cfg_path`` resolves every ``scope::path`` base through
    ``config.utils._get_package_and_cfg_path``, which asserts the scope is a key of the hard-coded
    ``MODULE2PACKAGE`` (alias ``PKG2PROJECT``: OpenMMLab's own codebases), hence "AssertionError: mmengine does not
    support to load mask3d_mm config". Adding us there is not enough: ``get_installed_path`` (pkg_resources) points
    an editable install at a ``site-packages/mask3d_mm`` that does not exist, ``_get_external_cfg_path`` first reads
    ``.mim/model-index.yml`` (FileNotFoundError without one: only a ValueError falls back to ``.mim/configs``), and
    the scope is returned as the ``_scope_`` of every inherited dict, which would send the builds to a ``mask3d_mm``
    registry tree that does not exist (we register into mmpretrain's / mmseg's / mmdet's). So
    wrap ``_get_cfg_path`` for our scope only: the path is ``package_configs_dir() / path`` and the scope ``None``,
    i.e. ``mask3d_mm::x`` inherits exactly what the relative path to ``configs/x`` would (our configs carry their
    own ``default_scope`` and ``mmseg::`` / ``mmdet::`` / ``mmpretrain::`` bases). Other scopes go to mmengine.

    Active wherever ``mask3d_mm`` is imported before the config is parsed (our tools, a user's script); mmengine
    runs ``custom_imports`` only after parsing, so upstream ``tools/train.py`` cannot see it. Remove when mmengine
    lets a plugin register a config scope.
    """
    from mmengine.config import Config
    method = Config.__dict__.get('_get_cfg_path')
    if not isinstance(method, staticmethod):  # another mmengine: leave its parser alone, only our scope is lost
        logger.warning('mmengine has no Config._get_cfg_path: `mask3d_mm::` config paths are not available')
        return
    upstream = method.__func__
    if getattr(upstream, 'wrapped_by_mask3d_mm', False):
        return
    prefix = CONFIG_SCOPE + '::'

    def get_cfg_path(cfg_path, filename):
        if not cfg_path.startswith(prefix):
            return upstream(cfg_path, filename)
        configs_dir = package_configs_dir()
        path = configs_dir / cfg_path[len(prefix):]
        if not path.is_file():
            raise FileNotFoundError(f'{cfg_path}: no such config in {configs_dir}')
        return str(path), None

    get_cfg_path.wrapped_by_mask3d_mm = True
    get_cfg_path.__wrapped__ = upstream
    Config._get_cfg_path = staticmethod(get_cfg_path)


resolve_mask3d_mm_config_scope()
