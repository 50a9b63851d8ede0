# ScanNet 20-class semantic segmentation: UperNet + ViT-B/16 initialised from Mask3D
# (checkpoint from tools/model_converters/mask3d_to_backbone.py: ``backbone.`` + mmpretrain VisionTransformer keys).
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', '../_base_/scannet_seg.py', '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    decode_head=dict(num_classes=20),
    auxiliary_head=dict(num_classes=20))
