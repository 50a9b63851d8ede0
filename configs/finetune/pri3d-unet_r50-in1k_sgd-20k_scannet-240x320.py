# Pri3D's UNet segmentation protocol from ImageNet (the paper's "ImageNet" row): torchvision ResNet-50 encoder,
# randomly initialised up-projection decoder.
_base_ = './pri3d-unet_r50_sgd-20k_scannet-240x320.py'
model = dict(backbone=dict(init_cfg=None,
                           encoder_cfg=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))))
