# Study: Pri3D view-invariant contrastive loss (pixel matches between two overlapping views) on the study ViT, with
# the shared budget: 8 pairs = 16 images per step. Pairs: tools/data/scannet/mine_pairs.py (study.py mines them).
_base_ = ['../pri3d/pri3d-view_vit-base-p16_8xb8_scannet.py', './_study_vit.py']

data_root = 'data/synthetic/'
model = dict(
    backbone=dict(arch={{_base_.study_vit_arch}}, img_size={{_base_.study_img_size}},
                  patch_size={{_base_.study_patch_size}}, init_cfg=None),  # random init, as every study arm
    feat_channels=192)
# Pri3D's colour augmentation without the hue shift: mmcv 2.1's adjust_hue adds np.uint8(negative) and raises
# OverflowError under numpy 2 (to be fixed by a shim in mask3d_mm/utils/compat.py).
color_augmentation_no_hue = [
    dict(type='RandomApply', prob=0.8,
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.0)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
]
train_pipeline = [
    dict(type='LoadPri3DPair', scale=({{_base_.study_img_size}}, {{_base_.study_img_size}})),
    dict(type='TransformBroadcaster', mapping=dict(img='img'), transforms=color_augmentation_no_hue),
    dict(type='PackPri3DInputs'),
]
train_dataloader = dict(batch_size={{_base_.study_pair_batch_size}}, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
optim_wrapper = {{_base_.study_pretrain_optim_wrapper}}
param_scheduler = {{_base_.study_pretrain_schedule}}
train_cfg = dict(max_iters={{_base_.study_pretrain_iters}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
