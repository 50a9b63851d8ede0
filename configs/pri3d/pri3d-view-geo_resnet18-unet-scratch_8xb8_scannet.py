# pri3d-view-geo_resnet18-unet_8xb8_scannet.py from a randomly initialised encoder (the paper's "scratch" rows).
_base_ = './pri3d-view-geo_resnet18-unet_8xb8_scannet.py'

model = dict(backbone=dict(encoder_cfg=dict(init_cfg=None)))
