# Mask3D pretraining of a ViT-B/16 on ScanNet RGB-D frames (MAE recipe). Frames: the extracted-frame layout
# (CONTRIBUTING.md), 240x320 or 480x640 depth; colour is resized to the depth resolution, then a 224 crop.
# Effective lr = 1.5e-4 * total_batch / 256 via auto_scale_lr (enabled below), as in MAE.
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)

data_root = 'data/scannet/'
img_size = 224
patch_size = 16
rgb_mask_ratio = 0.8
depth_mask_ratio = 0.8

train_pipeline = [
    dict(type='LoadRGBDFromFile'),
    dict(type='RGBDRandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0), interpolation='bicubic'),
    dict(type='RGBDRandomFlip', prob=0.5),
    dict(type='RGBDMaskGenerator', patch_size=patch_size, rgb_mask_ratio=rgb_mask_ratio,
         depth_mask_ratio=depth_mask_ratio),
    dict(type='PackRGBDInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='RGBDFrameDataset', data_root=data_root, scenes='splits/train.txt', frame_skip=25,
                 pipeline=train_pipeline))

model = dict(
    type='Mask3D',
    data_preprocessor=dict(type='RGBDDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, depth_mean=2.5, depth_std=1.5),
    backbone=dict(type='Mask3DViT', arch='b', img_size=img_size, patch_size=patch_size),
    depth_encoder=dict(type='Mask3DDepthEncoder', img_size=img_size, patch_size=patch_size, embed_dims=384,
                       num_layers=4, num_heads=6),
    neck=dict(type='Mask3DDecoder', num_patches=(img_size // patch_size) ** 2, patch_size=patch_size,
              embed_dim=768, depth_embed_dim=384, decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16),
    head=dict(type='Mask3DDepthHead', patch_size=patch_size, criterion='L1', norm_depth=False),
    loss_patches='depth_masked',
    init_cfg=[dict(type='Xavier', distribution='uniform', layer='Linear'),
              dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)])

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={k: dict(decay_mult=0.0)
                     for k in ('pos_embed', 'mask_token', 'cls_token', 'modality_embed')}))
max_epochs = 800
warmup_epochs = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256, enable=True)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
