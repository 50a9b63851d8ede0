# Study ablation: depth loss only on patches hidden in both modalities (where neither input shows the answer).
_base_ = './mask3d-prev_vit-tiny-p16_study.py'  # the ablation's reference setting
model = dict(loss_patches='both_masked')
