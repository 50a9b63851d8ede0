# NYUv2 40-class semantic segmentation (795/654), UperNet + ViT-B/16 from Mask3D (the model base's init).
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', '../_base_/nyuv2_seg.py', '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(img_size=_base_.crop_size),
    decode_head=dict(num_classes=40),
    auxiliary_head=dict(num_classes=40))
