# ResNet-18 encoder variant of pri3d-geo_resnet50-unet_8xb8_scannet.py.
_base_ = './pri3d-geo_resnet50-unet_8xb8_scannet.py'

model = dict(backbone=dict(depth=18, decoder_channels=(256, 128, 64, 64)))
