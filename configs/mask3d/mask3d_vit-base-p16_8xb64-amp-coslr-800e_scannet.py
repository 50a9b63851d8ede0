# Mask3D pretraining of a ViT-B/16 on ScanNet RGB-D frames (MAE recipe). Frames: the extracted-frame layout
# (data/README.md), 240x320 or 480x640 depth; colour is resized to the depth resolution, then a 224 crop.
# Image and patch size are stated once: the Mask3D model derives the depth encoder's, decoder's and head's grid
# and widths from its backbone, and draws the RGB / depth patch masks itself (ratios below).
# Effective lr = 1.5e-4 * total_batch / 256 via auto_scale_lr (enabled below), as in MAE.
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)

data_root = 'data/scannet/'
img_size = 224

train_pipeline = [
    dict(type='LoadRGBDFromFile'),
    dict(type='RGBDRandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0), interpolation='bicubic'),
    dict(type='RGBDRandomFlip', prob=0.5),
    dict(type='PackRGBDInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    # frame_skip=1: `extract_sens.py --frame-skip 25` already kept every 25th raw frame; skipping again here
    # would train on every 625th.
    dataset=dict(type='RGBDFrameDataset', data_root=data_root, scenes='splits/train.txt', frame_skip=1,
                 pipeline=train_pipeline))

model = dict(
    type='Mask3D',
    data_preprocessor=dict(type='RGBDDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, depth_mean=2.5, depth_std=1.5),
    backbone=dict(type='Mask3DViT', arch='b', img_size=img_size, patch_size=16),
    depth_encoder=dict(type='Mask3DDepthEncoder', embed_dims=384, num_layers=4, num_heads=6),
    neck=dict(type='Mask3DDecoder', decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16),
    head=dict(type='Mask3DDepthHead', criterion='L1', norm_depth=False),
    # 50 % of the colour and 98 % of the depth patches hidden (3 of 196 depth patches visible at 224): with 80 % /
    # 80 % the decoder fills masked depth from the visible depth patches and the RGB encoder learns no geometry (its
    # loss stays above copying the nearest visible depth pixel); docs/study.md#mask3d-masking-ablation has
    # the evidence.
    rgb_mask_ratio=0.5,
    depth_mask_ratio=0.98,
    depth_mask_type='random',
    complementary=False,
    loss_patches='depth_masked',
    copy_baseline_interval=50,  # the copy-nearest-visible-depth baseline (CPU) once per logging window
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
# The schedule follows train_cfg.max_epochs: the cosine has no `end`, so the Runner ends it at max_epochs (also
# after `--cfg-options train_cfg.max_epochs=N`); it starts at epoch 0 and overlaps the linear warmup (their
# factors multiply), so no override can put the cosine's start after its end. With a 5 % warmup the lr stays within
# 5 % of the peak lr of MAE's warmup-then-cosine; a run only a few warmups long peaks lower (0.79 x lr for
# 6 epochs with a 2-epoch warmup).
max_epochs = 800
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=max_epochs // 20,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256, enable=True)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=3))
log_processor = dict(type='FreshScalarsLogProcessor')  # copy_baseline_l1 only on the lines it was computed for
randomness = dict(seed=0, diff_rank_seed=True)
