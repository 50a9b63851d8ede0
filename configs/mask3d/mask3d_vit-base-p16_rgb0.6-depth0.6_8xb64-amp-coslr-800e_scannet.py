# Masking ablation: RGB mask ratio 0.6, depth mask ratio 0.6 (default 0.8 / 0.8).
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
model = dict(rgb_mask_ratio=0.6, depth_mask_ratio=0.6)
