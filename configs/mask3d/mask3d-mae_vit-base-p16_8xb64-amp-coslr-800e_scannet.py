# Mask3D+MAE: the decoder also reconstructs the masked RGB patches (MAE's target: per-patch normalized pixels, L2),
# next to the dense depth. The RGB stream of the decoder then holds the full grid (visible tokens + MAE mask tokens).
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'

model = dict(
    neck=dict(predict_rgb=True),
    rgb_head=dict(type='MAEPretrainHead', norm_pix=True, loss=dict(type='PixelReconstructionLoss', criterion='L2')))
