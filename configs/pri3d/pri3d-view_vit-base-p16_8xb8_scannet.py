# Pri3D view loss on an mmpretrain ViT-B/16 (for comparison with Mask3D): the 1/16 patch-feature map is
# bilinearly upsampled to 1/2 resolution before matching. 240x320 input = 15x20 patches.
_base_ = './pri3d-view_resnet50-unet_8xb8_scannet.py'

# mmpretrain's supervised ImageNet ViT-B/16 (position embedding resized from 384 px on load)
vit_in1k = ('https://download.openmmlab.com/mmclassification/v0/vit/finetune/'
            'vit-base-p16_in21k-pre-3rdparty_ft-64xb64_in1k-384_20210928-98e8652b.pth')

model = dict(
    backbone=dict(_delete_=True, type='VisionTransformer', arch='b', img_size=(240, 320), patch_size=16,
                  out_type='featmap', final_norm=True,
                  init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=vit_in1k)),
    feat_channels=768)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05))
