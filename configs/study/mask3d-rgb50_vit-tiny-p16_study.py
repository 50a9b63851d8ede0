# Study ablation: Mask3D hiding 50 % of the colour patches instead of 80 % (depth stays at 80 %), so the RGB
# encoder sees more of the image it must explain depth from. `study.py --methods mask3d-rgb50`.
_base_ = './mask3d_vit-tiny-p16_study.py'

train_pipeline = [
    dict(type='LoadRGBDFromFile'),
    dict(type='RGBDRandomResizedCrop', scale={{_base_.study_img_size}}, crop_ratio_range=(0.3, 1.0),
         interpolation='bilinear'),
    dict(type='RGBDRandomFlip', prob=0.5),
    dict(type='RGBDMaskGenerator', patch_size={{_base_.study_patch_size}}, rgb_mask_ratio=0.5, depth_mask_ratio=0.8),
    dict(type='PackRGBDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
