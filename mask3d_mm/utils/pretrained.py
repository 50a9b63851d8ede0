"""Pretrained checkpoints named by URL (``torchvision://resnet50``, ``https://.../x.pth``) that fail clearly offline.

Configs name ImageNet weights the OpenMMLab way, ``init_cfg=dict(type='Pretrained',
checkpoint='torchvision://resnet50')``: on a connected machine mmengine downloads them into torch hub's cache
(``torch.hub.get_dir()/checkpoints/<file name>``) and reuses that file afterwards. Offline, mmengine's loaders end in a
long urllib traceback deep inside ``init_weights``. This module re-registers both schemes with a thin wrapper around
mmengine's own loaders (same download, same cache, same result) that turns a failed download into one
``ConfigError`` naming the file, where to place it, where it comes from, and how to run from scratch instead. It never
falls back to a random init. Local paths get ``checkpoint.py``'s loader: a file that is not a checkpoint is one
``DataError`` line.

Imported for its side effect (registration) by ``mask3d_mm.models.backbones.resnet_unet``; ``import mask3d_mm``
should import it too so mmdet / mmseg backbones get the same message.
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader, get_torchvision_models, load_from_http

from .checkpoint import load_local_checkpoint
from .errors import ConfigError

TORCHVISION_PREFIX = 'torchvision://'
HTTP_PREFIXES = ('http://', 'https://')


def hub_cache_path(url):
    """Where torch hub (and so mmengine) keeps the download of ``url``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url.split('?')[0]))


def torchvision_url(name):
    """``torchvision://resnet50`` -> its download URL, as mmengine resolves it."""
    model_name = name[len(TORCHVISION_PREFIX):]
    urls = get_torchvision_models()
    if model_name not in urls:
        raise ConfigError(f'unknown torchvision checkpoint {name!r} (e.g. torchvision://resnet50)')
    return urls[model_name]


def load_url_or_explain(url, map_location=None, source=None):
    """mmengine's HTTP loader; a download that fails becomes a ConfigError saying which file to place where."""
    try:
        return load_from_http(url, map_location=map_location)
    except OSError as error:  # URLError, HTTPError, socket timeouts, connection errors are all OSError
        target = hub_cache_path(url)
        raise ConfigError(
            f'cannot download the pretrained checkpoint {source or url} ({type(error).__name__}: {error}); '
            f'place {osp.basename(target)} at {target} (from {url}) or set model.backbone.init_cfg=None '
            '(ResNetUNet: model.backbone.encoder_cfg.init_cfg=None) for a scratch run') from error


def load_from_torchvision(filename, map_location=None):
    return load_url_or_explain(torchvision_url(filename), map_location, source=filename)


def load_from_url(filename, map_location=None):
    return load_url_or_explain(filename, map_location)


def register_checkpoint_schemes():
    """(Re-)register the wrapped loaders (local files too: ``checkpoint.load_local_checkpoint``); idempotent."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    CheckpointLoader.register_scheme(prefixes=TORCHVISION_PREFIX, loader=load_from_torchvision, force=True)
    CheckpointLoader.register_scheme(prefixes=HTTP_PREFIXES, loader=load_from_url, force=True)


register_checkpoint_schemes()
