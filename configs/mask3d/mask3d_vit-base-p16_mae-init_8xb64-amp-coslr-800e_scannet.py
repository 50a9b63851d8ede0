# Two-stage recipe: start the RGB ViT from an ImageNet MAE checkpoint (mmpretrain format, e.g. `mae_vit-base-p16_8xb512-
# amp-coslr-1600e_in1k`), then Mask3D-pretrain on ScanNet. Only `backbone.*` is loaded; the depth encoder and the
# decoder start fresh. Point `mae_checkpoint` at your file (or override: --cfg-options
# model.backbone.init_cfg.checkpoint=PATH).
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'

mae_checkpoint = 'checkpoints/mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=mae_checkpoint, prefix='backbone.')))
