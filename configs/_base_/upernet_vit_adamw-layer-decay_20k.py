# BEiT/MAE fine-tuning recipe: AdamW, layer-wise lr decay (mask3d_mm LayerDecayOptimWrapperConstructor: works for
# mmpretrain.VisionTransformer in mmseg/mmdet), linear warm-up then poly decay, AMP (tools/train.py falls back to
# fp32 without CUDA). The poly decay has no ``end``: mmengine's Runner ends it at ``train_cfg.max_iters``, so
# ``--cfg-options train_cfg.max_iters=N`` (or a config's own max_iters) decays to 0 at iteration N.
_base_ = ['mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py']
warmup_iters = 1500
optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=warmup_iters, by_epoch=False),  # end: train_cfg.max_iters
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
