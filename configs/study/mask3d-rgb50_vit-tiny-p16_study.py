# Study ablation: 50 % of the colour patches hidden (depth as in the previous setting: 80 %), so the RGB encoder
# sees more of the image it must explain depth from. `study.py --methods mask3d-rgb50`.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(rgb_mask_ratio=0.5)
