# Study: Mask3D RGB-only (the setting of ../mask3d/mask3d_vit-base-p16_rgb-only_...: every depth patch hidden, no
# depth token to copy the scale from, the loss on every patch) on the study ViT and budget: visible RGB -> depth.
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(rgb_mask_ratio=0.5, depth_mask_ratio=1.0, loss_patches='all')
