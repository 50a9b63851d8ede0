# The masking setting before the shortcut study (issue: depth interpolation beats using RGB), pinned by name so
# its results stay reproducible whatever the default becomes: independent random masks, RGB 0.8 / depth 0.8.
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'
model = dict(rgb_mask_ratio=0.8, depth_mask_ratio=0.8, depth_mask_type='random', complementary=False)
