# CPU demo: Mask3D on a ViT-tiny/16 at 128x128 over data/synthetic (a few minutes on 2 cores; `make demo`).
# Same model / pipeline as the ViT-B ScanNet recipe, scaled down; fp32 (no AMP on CPU) and a fixed lr (no auto
# scaling). Every 2nd frame (neighbouring synthetic frames are near-duplicates, as in ScanNet): 8 x 30 frames of
# `make demo` -> 90 training frames, 6 iterations per epoch, 120 in all.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'

data_root = 'data/synthetic/'
img_size = 128

# the base's pipeline with a smaller, less aggressive crop
train_pipeline = [dict(step, scale=img_size, crop_ratio_range=(0.3, 1.0), interpolation='bilinear')
                  if step.type == 'RGBDRandomResizedCrop' else step for step in _base_.train_pipeline]
train_dataloader = dict(batch_size=16, num_workers=1,
                        dataset=dict(data_root=data_root, frame_skip=2, pipeline=train_pipeline))

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768),
                  img_size=img_size),
    depth_encoder=dict(embed_dims=96, num_layers=2, num_heads=3),
    neck=dict(decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4),
    copy_baseline_interval=1)

optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
                     paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
# warmup: the first 2 epochs; the cosine (from the base) ends at train_cfg.max_epochs
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=20)
auto_scale_lr = dict(enable=False)

default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10, max_keep_ckpts=1))
custom_hooks = [dict(type='Mask3DReconstructionHook', interval=40)]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
