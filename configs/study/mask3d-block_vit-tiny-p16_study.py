# Study ablation: block-wise depth masks (BEiT-style rectangles): the nearest visible depth is farther away.
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(depth_mask_type='block')
