# NYUv2 instance segmentation: Mask R-CNN + ViT-B/16 (Mask3D init) + simple feature pyramid.
_base_ = [
    '../_base_/mask-rcnn_vit-b16_simple-fpn.py', '../_base_/nyuv2_instance.py',
    '../_base_/mask-rcnn_vit_adamw-layer-decay_1x.py'
]
num_classes = 37
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))
