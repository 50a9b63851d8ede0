# NYUv2 instance segmentation, Pri3D protocol: Mask R-CNN R50-FPN with the Pri3D ResNet-50 encoder.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py', '../_base_/nyuv2_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
num_classes = 37
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/pri3d_r50_encoder.pth', prefix='backbone.')),
    roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))
