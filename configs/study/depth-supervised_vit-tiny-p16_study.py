# Study positive control of the probes: the same ViT trained with supervised depth -- the full RGB image in, dense
# depth out (no colour masked, no depth token), same frames and budget. Probed only; tells the probes' ceiling.
_base_ = './mask3d_vit-tiny-p16_study.py'
model = dict(rgb_mask_ratio=0.0, depth_mask_ratio=1.0, loss_patches='all')
