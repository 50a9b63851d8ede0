# Study: Mask3D with the project's earlier default masking (80 % of RGB and of depth patches hidden, independent
# random masks, loss on the depth-masked patches), kept so the finding that replaced it stays reproducible
# (docs/study.md, "Mask3D masking ablation").
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(rgb_mask_ratio=0.8, depth_mask_ratio=0.8, rgb_mask_type='random', depth_mask_type='random',
             complementary=False, loss_patches='depth_masked')
