# BEiT/MAE fine-tuning recipe: AdamW, layer-wise lr decay (mask3d_mm LayerDecayOptimWrapperConstructor: works for
# mmpretrain.VisionTransformer in mmseg/mmdet), linear warm-up then poly decay, AMP (tools/train.py falls back to
# fp32 without CUDA).
_base_ = ['mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py']
max_iters = 20000
warmup_iters = 1500
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=warmup_iters, end=max_iters, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
