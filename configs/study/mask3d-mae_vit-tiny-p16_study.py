# Study: Mask3D+MAE -- Mask3D plus MAE's RGB reconstruction of the masked colour patches (normalized pixels, L2).
_base_ = './mask3d_vit-tiny-p16_study.py'

model = dict(
    neck=dict(predict_rgb=True),
    rgb_head=dict(type='MAEPretrainHead', norm_pix=True, patch_size={{_base_.study_patch_size}},
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')))
