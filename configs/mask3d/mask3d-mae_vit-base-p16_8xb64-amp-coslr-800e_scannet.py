# Mask3D+MAE: the decoder also reconstructs the masked RGB patches (MAE's target: per-patch normalized pixels, L2),
# next to the dense depth. The RGB stream of the decoder then holds the full grid (visible tokens + MAE mask tokens).
_base_ = './vitb_scannet.py'

model = dict(
    neck=dict(predict_rgb=True),
    rgb_head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')))
