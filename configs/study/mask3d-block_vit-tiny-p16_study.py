# Study ablation: block-wise depth masks (BEiT-style rectangles): the nearest visible depth is farther away.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(depth_mask_type='block')
