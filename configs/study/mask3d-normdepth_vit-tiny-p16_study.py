# Study ablation: Mask3D with per-patch normalized depth targets (the depth analogue of MAE's norm_pix): the
# model learns each patch's relative shape instead of its absolute distance. `study.py --methods mask3d-normdepth`.
_base_ = './mask3d_vit-tiny-p16_study.py'

model = dict(head=dict(norm_depth=True))
