# ScanNet 20-class semantic segmentation: UperNet + ViT-B/16 initialised from Mask3D (the model base's init:
# tools/model_converters/mask3d_to_backbone.py output, ``backbone.`` + mmpretrain VisionTransformer keys).
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', '../_base_/scannet_seg.py', '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
model = dict(decode_head=dict(num_classes=20), auxiliary_head=dict(num_classes=20))
