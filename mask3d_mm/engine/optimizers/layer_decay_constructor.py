"""Layer-wise learning-rate decay for fine-tuning ViTs (BEiT/MAE recipe) in any OpenMMLab scope.

mmseg's ``LayerDecayOptimizerConstructor`` recognises backbones by class name (ConvNeXt/BEiT/MAE) and mmpretrain's
constructor expects ``get_layer_depth`` on the whole model, so neither works for an ``mmpretrain.VisionTransformer``
inside an mmseg segmentor or an mmdet detector. This one asks the *backbone* for each parameter's depth:
``backbone.get_layer_depth(name, prefix='backbone.') -> (depth, num_depths)`` (mmpretrain's ViT / ResNet have it).
For a ViT with L blocks: patch embedding, ``cls_token`` and ``pos_embed`` have depth 0, block i (1-based) depth i,
everything else (final norm, neck, heads) depth L+1, and a parameter at depth d trains with
``lr = base_lr * layer_decay_rate ** (L + 1 - d)``.
"""
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

from mask3d_mm.utils.errors import ConfigError


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Registered in mmengine's root registry, so every scope (mmseg, mmdet, mmpretrain, none) finds it.

    ``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (float, default 1.0): lr multiplier per depth step away from the top.
    - ``no_decay_names`` (tuple of str): parameter names (last dotted component) trained without weight decay,
      in addition to every 1-D parameter (norm weights/biases, all biases). Default ``('pos_embed', 'cls_token')``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        self.layer_decay_rate = float(paramwise_cfg.pop('layer_decay_rate', 1.0))
        self.no_decay_names = tuple(paramwise_cfg.pop('no_decay_names', ('pos_embed', 'cls_token')))
        if paramwise_cfg:
            raise ConfigError(f'LayerDecayOptimWrapperConstructor: unsupported paramwise_cfg keys '
                              f'{sorted(paramwise_cfg)}; use layer_decay_rate / no_decay_names')
        super().__init__(optim_wrapper_cfg)

    def _is_no_decay(self, name, param):
        return param.ndim == 1 or name.endswith('.bias') or name.rsplit('.', 1)[-1] in self.no_decay_names

    def param_groups(self, model):
        """One optimizer param group per (depth, decays or not), each with its scaled ``lr``."""
        get_layer_depth = getattr(getattr(model, 'backbone', None), 'get_layer_depth', None)
        if get_layer_depth is None:
            raise ConfigError(f'LayerDecayOptimWrapperConstructor needs model.backbone.get_layer_depth '
                              f'(e.g. mmpretrain.VisionTransformer); {type(model).__name__} has none')
        base_wd = self.optimizer_cfg.get('weight_decay', 0.0)
        groups = {}
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            depth, num_depths = get_layer_depth(name, prefix='backbone.')
            no_decay = self._is_no_decay(name, param)
            lr_scale = self.layer_decay_rate ** (num_depths - 1 - depth)
            group = groups.setdefault((depth, no_decay), dict(
                params=[], param_names=[], lr=self.base_lr * lr_scale, lr_scale=lr_scale, layer_depth=depth,
                weight_decay=0.0 if no_decay else base_wd))
            group['params'].append(param)
            group['param_names'].append(name)
        print_log(f'layer decay {self.layer_decay_rate}: {len(groups)} param groups over '
                  f'{len({depth for depth, _ in groups})} depths', logger='current')
        return [groups[key] for key in sorted(groups)]

    def __call__(self, model):
        model = getattr(model, 'module', model)  # unwrap DDP
        optimizer_cfg = dict(self.optimizer_cfg, params=self.param_groups(model))
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))
