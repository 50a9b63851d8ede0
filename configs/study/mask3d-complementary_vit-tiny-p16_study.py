# Study ablation: complementary masks (no patch visible in both modalities), 80 % / 80 % hidden.
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(rgb_mask_ratio=0.8, depth_mask_ratio=0.8, complementary=True)
