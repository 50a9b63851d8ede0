# nyuv2-40-480x480, ViT-B/16 from supervised ImageNet weights (mmpretrain vit-base-p16, ``backbone.`` keys).
_base_ = './upernet_vit-b16-mask3d_8xb2-amp-20k_nyuv2-40-480x480.py'
model = dict(backbone=dict(init_cfg=dict(checkpoint='pretrain/vit-b16_in1k.pth')))
