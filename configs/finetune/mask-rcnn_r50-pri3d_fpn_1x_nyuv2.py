# NYUv2 instance segmentation, Pri3D protocol: Mask R-CNN R50-FPN whose ResNet-50 is the Pri3D encoder.
_base_ = ['../_base_/mask-rcnn_r50-pri3d_fpn_1x.py', '../_base_/nyuv2_instance.py']
num_classes = len(_base_.metainfo['classes'])  # 37
model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))
