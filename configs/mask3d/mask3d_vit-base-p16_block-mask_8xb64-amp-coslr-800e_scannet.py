# Masking ablation: block-wise masks (BEiT-style rectangles) for both modalities instead of independent patches.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
model = dict(rgb_mask_type='block', depth_mask_type='block')
