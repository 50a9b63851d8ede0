# Pri3D view-invariant pretraining of a ResNet-50 UNet on ScanNet frame pairs (Pri3D paper: SGD lr 0.1,
# momentum 0.9, batch 64, 240x320, lr x0.99 every 1000 iters, 60k iters; colour-only augmentation).
# Data: the frames extract_sens.py writes to data/scannet (every 25th raw frame already: mine them all, the default
# frame skip 1), pairs and voxel chunks in data/scannet/pri3d/ (docs/pretrain.md), mined with
#   python tools/data/scannet/mine_pairs.py --frames-root data/scannet --out data/scannet/pri3d/pairs.txt --workers 16
# Encoder: ImageNet (torchvision) weights, which the paper calls critical (sec. 4); mmengine downloads them into torch
# hub's cache on first use (offline: place the file where the error message says). From scratch: the `-scratch`
# variant.
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'

data_root = 'data/scannet/'

# Colour jitter runs torchvision's ColorJitter on a PIL image: mmcv's adjust_hue (behind mmpretrain's ColorJitter,
# both backends) computes np.uint8(negative hue shift), an OverflowError under numpy 2.
color_augmentation = [
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='RandomApply', prob=0.8,
         transforms=[dict(type='torchvision/ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
    dict(type='PILToNumpy', to_bgr=True),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
]
train_pipeline = [
    dict(type='LoadPri3DPair', scale=(320, 240)),
    # mmcv's TransformBroadcaster runs the list on each view with its own random draws (share_random_params=False)
    dict(type='TransformBroadcaster', mapping=dict(img='img'), transforms=color_augmentation),
    dict(type='PackPri3DInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='Pri3DPairDataset', data_root=data_root, ann_file='pri3d/pairs.txt', with_chunks=False,
                 min_overlap=0.3, pipeline=train_pipeline))

model = dict(
    type='Pri3D',
    mode='view',
    data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    # official Res50UNet: up-projection decoder with additive skips, 128 channels at 1/2 resolution
    backbone=dict(type='ResNetUNet', depth=50,
                  encoder_cfg=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))),
    feat_channels=128,
    num_samples=1024,  # per pair, with replacement when fewer matches exist (official)
    depth_tol=0.05,  # also the occlusion margin: a surface this much in front hides a pixel
    loss=dict(type='PointInfoNCE', temperature=0.4, symmetric=True))

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='StepLR', step_size=1000, gamma=0.99, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60000)
auto_scale_lr = dict(base_batch_size=64, enable=False)

default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, diff_rank_seed=True)
