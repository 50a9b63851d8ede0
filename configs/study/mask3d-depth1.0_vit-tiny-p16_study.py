# Study ablation: no depth input at all (depth mask ratio 1.0): visible RGB -> dense depth, nothing to copy.
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(depth_mask_ratio=1.0)
