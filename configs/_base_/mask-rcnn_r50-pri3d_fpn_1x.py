# Mask R-CNN R50-FPN whose ResNet-50 is the Pri3D encoder (tools/model_converters/pri3d_to_backbone.py --target
# encoder: ``backbone.conv1.weight`` ... keys), on mmdet's 1x schedule. A dataset config adds its dataset base and
# sets the heads' ``num_classes`` from that base's ``metainfo``.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py', 'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/pri3d_r50_encoder.pth', prefix='backbone.')))
