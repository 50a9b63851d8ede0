# Study ablation: complementary masks (no patch visible in both modalities), 80 % / 80 % hidden.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(rgb_mask_ratio=0.8, depth_mask_ratio=0.8, complementary=True)
