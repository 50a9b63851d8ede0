# Study ablation, first point (docs/study.md, "Mask3D masking ablation"): 98 % of depth and 50 % of RGB patches hidden.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(depth_mask_ratio=0.98, rgb_mask_ratio=0.5)
