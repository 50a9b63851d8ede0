# Pri3D view loss on an mmpretrain ViT-B/16 (for comparison with Mask3D): the 1/16 patch-feature map is
# bilinearly upsampled to 1/2 resolution before matching. 240x320 input = 15x20 patches.
_base_ = './pri3d-view_resnet50-unet_8xb8_scannet.py'

model = dict(
    backbone=dict(_delete_=True, type='VisionTransformer', arch='b', img_size=(240, 320), patch_size=16,
                  out_type='featmap', final_norm=True),
    feat_channels=768)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05))
