# Shortcut ablation: no depth input at all (depth mask ratio 1.0, no depth encoder): RGB -> dense depth.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
model = dict(rgb_mask_ratio=0.5, depth_mask_ratio=1.0, loss_patches='all')
