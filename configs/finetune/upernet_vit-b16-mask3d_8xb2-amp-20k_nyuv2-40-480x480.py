# NYUv2 40-class semantic segmentation (795/654), UperNet + ViT-B/16 from Mask3D.
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', '../_base_/nyuv2_seg.py', '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
crop_size = (480, 480)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    decode_head=dict(num_classes=40),
    auxiliary_head=dict(num_classes=40))
