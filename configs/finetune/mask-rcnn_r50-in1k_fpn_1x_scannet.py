# Mask R-CNN R50-FPN from ImageNet (torchvision ResNet-50, mmdet's default init): the reference for
# mask-rcnn_r50-pri3d_fpn_1x_scannet.py.
_base_ = './mask-rcnn_r50-pri3d_fpn_1x_scannet.py'
model = dict(backbone=dict(init_cfg=dict(_delete_=True, type='Pretrained', checkpoint='torchvision://resnet50')))
