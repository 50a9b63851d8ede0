# Pri3D's UNet segmentation protocol from scratch (the paper's "Scratch" row): no pretrained weights at all.
_base_ = './pri3d-unet_r50_sgd-20k_scannet-240x320.py'
model = dict(backbone=dict(init_cfg=None))
