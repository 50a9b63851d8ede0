# Synthetic twin of ../mask-rcnn_r50-pri3d_fpn_1x_{scannet,nyuv2}.py: ResNet-18 FPN Mask R-CNN (the Pri3D encoder
# family) with narrow heads on 96x128 synthetic frames.
_base_ = ['./mask-rcnn_vit-tiny_synthetic-scannet.py']
channels = 64
model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=1, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True,
                  style='pytorch', init_cfg=None),
    neck=dict(_delete_=True, type='FPN', in_channels=[64, 128, 256, 512], out_channels=channels, num_outs=5),
    rpn_head=dict(num_convs=1),
    roi_head=dict(
        bbox_head=dict(_delete_=True, type='Shared2FCBBoxHead', in_channels=channels, fc_out_channels=128,
                       roi_feat_size=7, num_classes=18,
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       reg_class_agnostic=False,
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        mask_head=dict(norm_cfg=None)))
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
