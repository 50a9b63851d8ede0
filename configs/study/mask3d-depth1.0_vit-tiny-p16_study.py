# Study ablation: no depth input at all (depth mask ratio 1.0): visible RGB -> dense depth, nothing to copy.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(depth_mask_ratio=1.0)
