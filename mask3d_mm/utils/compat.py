"""Compatibility shims for the upstream stack, all in one place, applied on ``import mask3d_mm``.

Each shim says which upstream versions it is for and when it can go.
"""
import collections
import logging
import pickle
import warnings

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
