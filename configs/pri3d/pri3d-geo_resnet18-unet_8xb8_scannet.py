# ResNet-18 encoder variant of pri3d-geo_resnet50-unet_8xb8_scannet.py (official Res18UNet: 32 output channels).
_base_ = './pri3d-geo_resnet50-unet_8xb8_scannet.py'

model = dict(backbone=dict(depth=18, encoder_cfg=dict(init_cfg=dict(checkpoint='torchvision://resnet18'))),
             feat_channels=32)
