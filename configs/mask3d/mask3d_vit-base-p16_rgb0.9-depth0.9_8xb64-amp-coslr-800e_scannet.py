# Masking ablation: RGB mask ratio 0.9, depth mask ratio 0.9 (default 0.8 / 0.8).
_base_ = './vitb_scannet.py'

train_pipeline = [
    dict(type='LoadRGBDFromFile'),
    dict(type='RGBDRandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0), interpolation='bicubic'),
    dict(type='RGBDRandomFlip', prob=0.5),
    dict(type='RGBDMaskGenerator', patch_size=16, rgb_mask_ratio=0.9, depth_mask_ratio=0.9, mode='random'),
    dict(type='PackRGBDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
