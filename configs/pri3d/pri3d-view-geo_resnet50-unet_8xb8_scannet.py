# Pri3D View + Geo: both losses on every pair (the paper's best setting).
_base_ = './pri3d-geo_resnet50-unet_8xb8_scannet.py'

model = dict(mode='view+geo')
