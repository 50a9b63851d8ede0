"""Layer-wise learning-rate decay for fine-tuning ViTs (BEiT/MAE recipe) in any OpenMMLab scope.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` does the work, but it asks the *whole model* for
``get_layer_depth`` and is registered in mmpretrain's scope only, so it does not serve an
``mmpretrain.VisionTransformer`` inside an mmseg segmentor or an mmdet detector (and mmseg's own
``LayerDecayOptimizerConstructor`` recognises backbones by class name: ConvNeXt/BEiT/MAE). This subclass hands it
the *backbone's* ``get_layer_depth(name, prefix='backbone.') -> (depth, num_depths)`` (mmpretrain's ViT / ResNet
have it) and is registered in mmengine's root registry, so every scope finds it.

For a ViT with L blocks: patch embedding, ``cls_token`` and ``pos_embed`` have depth 0, block i (1-based) depth i,
everything else (final norm, neck, heads) depth L+1, and a parameter at depth d trains with
``lr = base_lr * layer_decay_rate ** (L + 1 - d)``.
"""
from functools import partial

from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor

from mask3d_mm.utils.errors import ConfigError


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(LearningRateDecayOptimWrapperConstructor):
    """``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (float, default 1.0): lr multiplier per depth step away from the top.
    - ``no_decay_names`` (tuple of str): parameter names trained without weight decay, in addition to every 1-D
      parameter (norm weights/biases, all biases). Default ``('pos_embed', 'cls_token')``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        layer_decay_rate = float(paramwise_cfg.pop('layer_decay_rate', 1.0))
        no_decay_names = tuple(paramwise_cfg.pop('no_decay_names', ('pos_embed', 'cls_token')))
        if paramwise_cfg:
            raise ConfigError(f'LayerDecayOptimWrapperConstructor: unsupported paramwise_cfg keys '
                              f'{sorted(paramwise_cfg)}; use layer_decay_rate / no_decay_names')
        super().__init__(optim_wrapper_cfg, dict(
            layer_decay_rate=layer_decay_rate, flat_decay_mult=0.0,
            custom_keys={name: dict(decay_mult=0.0) for name in no_decay_names}))

    def add_params(self, params, module, prefix='', get_layer_depth=None, **kwargs):
        if prefix == '' and get_layer_depth is None:  # the top-level call: ask the backbone, not the model
            backbone_depth = getattr(getattr(module, 'backbone', None), 'get_layer_depth', None)
            if backbone_depth is None:
                raise ConfigError(f'LayerDecayOptimWrapperConstructor needs model.backbone.get_layer_depth '
                                  f'(e.g. mmpretrain.VisionTransformer); {type(module).__name__} has none')
            get_layer_depth = partial(backbone_depth, prefix='backbone.')
        super().add_params(params, module, prefix=prefix, get_layer_depth=get_layer_depth, **kwargs)
