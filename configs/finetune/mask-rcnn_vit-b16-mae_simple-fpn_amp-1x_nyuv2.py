# NYUv2 instance segmentation, ViT-B/16 from mmpretrain's MAE ImageNet-1k pretraining.
_base_ = './mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_nyuv2.py'
model = dict(backbone=dict(init_cfg=dict(checkpoint='pretrain/mae_vit-b16_in1k.pth')))
