# ScanNet instance segmentation: Mask R-CNN + ViT-B/16 (Mask3D init, the model base's) + simple feature pyramid.
_base_ = ['../_base_/mask-rcnn_vit-b16_simple-fpn.py', '../_base_/scannet_instance.py',
          '../_base_/mask-rcnn_vit_adamw-layer-decay_1x.py']
num_classes = len(_base_.metainfo['classes'])  # 18
model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))
