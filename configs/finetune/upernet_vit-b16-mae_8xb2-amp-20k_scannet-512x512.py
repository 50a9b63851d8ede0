# ScanNet, ViT-B/16 from mmpretrain's MAE ImageNet-1k pretraining (mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k;
# its checkpoint already has ``backbone.`` keys). Mask3D's baseline: the same recipe without 3D priors.
_base_ = './upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py'
model = dict(backbone=dict(init_cfg=dict(checkpoint='pretrain/mae_vit-b16_in1k.pth')))
