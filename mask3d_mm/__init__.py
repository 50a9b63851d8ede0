"""mask3d-mm: 3D priors for 2D backbones (Mask3D, Pri3D) as an OpenMMLab 2.x plugin.

``import mask3d_mm`` (or ``custom_imports=dict(imports=['mask3d_mm'])`` in a config) applies the upstream
compatibility shims and registers every dataset, transform, model, hook and optimizer constructor into the
upstream registries (mmpretrain / mmseg / mmdet).
"""
from .utils import compat  # noqa: F401,I001  (first: shims must be active before anything loads checkpoints)
from .utils import pretrained  # noqa: F401,E402,I001  (offline-aware torchvision:// and https:// checkpoint loaders)
from . import datasets, engine, evaluation, models, visualization  # noqa: F401,E402  (registration)
from .version import __version__  # noqa: F401,E402
