# Shortcut ablation: complementary masks (no patch visible in both modalities), block-masked depth.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
model = dict(rgb_mask_ratio=0.5, depth_mask_ratio=0.8, depth_mask_type='block', complementary=True)
