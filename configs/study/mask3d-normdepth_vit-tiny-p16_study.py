# Study ablation: Mask3D with per-patch normalized depth targets (the depth analogue of MAE's norm_pix): the
# model learns each patch's relative shape instead of its absolute distance. `study.py --methods mask3d-normdepth`.
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting

model = dict(head=dict(norm_depth=True))
