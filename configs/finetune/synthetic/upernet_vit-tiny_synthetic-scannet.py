# Synthetic twin of ../upernet_vit-b16-*_scannet-512x512.py: same model family and pipeline, tiny sizes
# (ViT embed 192 / depth 4, 64x64 crops of 96x128 frames), 20 iterations, fp32, for the tests and a quick smoke run
# on ``mask3d_mm.data_prep.synthetic.generate_dataset(..., height=96, width=128)`` data.
_base_ = '../upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py'
data_root = 'data/synthetic'
crop_size = (64, 64)
frame_size = (128, 96)  # (w, h) of the synthetic frames; also the metric's evaluation size
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768),
        img_size=crop_size,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.0,
        init_cfg=None),
    neck=dict(in_channels=[192] * 4, out_channels=64),
    decode_head=dict(in_channels=[64] * 4, channels=32, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=norm_cfg))
# The real pipelines (../../_base_/scannet_seg.py) at the twin's sizes, without PhotoMetricDistortion
twin_sizes = dict(RandomResize=dict(scale=frame_size, ratio_range=(0.75, 1.25)), RandomCrop=dict(crop_size=crop_size),
                  Resize=dict(scale=frame_size))
train_pipeline = [dict(step, **twin_sizes.get(step.type, {})) for step in _base_.train_pipeline
                  if step.type != 'PhotoMetricDistortion']
test_pipeline = [dict(step, **twin_sizes.get(step.type, {})) for step in _base_.test_pipeline]
in_process = dict(num_workers=0, persistent_workers=False)  # tiny data: worker processes would only cost time
train_dataloader = dict(batch_size=2, **in_process, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(**in_process, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(eval_size=frame_size)
test_evaluator = val_evaluator
# fp32: the real recipe without its AMP (AmpOptimWrapper needs CUDA), so the twin runs anywhere, also under
# mmseg's own tools/train.py on a CPU
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dict(_base_.optim_wrapper.optimizer, lr=1e-3),
                     constructor=_base_.optim_wrapper.constructor, paramwise_cfg=_base_.optim_wrapper.paramwise_cfg)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=5, by_epoch=False),  # end: train_cfg.max_iters
]
train_cfg = dict(max_iters=20, val_interval=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
env_cfg = dict(cudnn_benchmark=False)
