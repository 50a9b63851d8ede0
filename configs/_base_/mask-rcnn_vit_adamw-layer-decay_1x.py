# ViTDet-style optimisation for Mask R-CNN fine-tuning: AdamW with layer-wise lr decay (mask3d_mm constructor,
# registered in mmdet), 12 epochs with steps at 8 and 11, AMP (fp32 fall-back without CUDA in tools/train.py).
_base_ = ['mmdet::_base_/default_runtime.py', 'mmdet::_base_/schedules/schedule_1x.py']
optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='LayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.7))
