# Study: MAE (mmpretrain's own MAE / MAEViT / MAEPretrainDecoder / MAEPretrainHead), RGB only, on the study ViT
# with the shared budget. Same frames as Mask3D (RGBDFrameDataset lists them; only the colour image is loaded),
# same crop / flip augmentation, decoder sized like Mask3D's (128 wide, 2 blocks).
_base_ = ['mmpretrain::mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py', './_study_vit.py']
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)

data_root = 'data/synthetic/'
model = dict(
    backbone=dict(arch={{_base_.study_vit_arch}}, img_size={{_base_.study_img_size}},
                  patch_size={{_base_.study_patch_size}}, mask_ratio=0.75),
    neck=dict(num_patches={{_base_.study_num_patches}}, patch_size={{_base_.study_patch_size}}, embed_dim=192,
              decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4),
    head=dict(patch_size={{_base_.study_patch_size}}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale={{_base_.study_img_size}}, crop_ratio_range=(0.3, 1.0),
         interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size={{_base_.study_batch_size}}, num_workers=0, persistent_workers=False,
    sampler={{_base_.study_sampler}},
    collate_fn=dict(_delete_=True, type='default_collate'),  # drops the `_scope_` an `mmpretrain::` base adds
    dataset=dict(_delete_=True, type='RGBDFrameDataset', data_root=data_root, scenes='splits/all.txt',
                 pipeline=train_pipeline))
optim_wrapper = {{_base_.study_pretrain_optim_wrapper}}
param_scheduler = {{_base_.study_pretrain_schedule}}
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={{_base_.study_pretrain_iters}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False)
resume = False
env_cfg = dict(dist_cfg=dict(backend='gloo'))
