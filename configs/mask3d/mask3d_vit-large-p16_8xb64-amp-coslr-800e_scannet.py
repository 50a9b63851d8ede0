# Mask3D with a ViT-L/16 RGB encoder; depth encoder and decoder as for ViT-B (MAE keeps its 512-d decoder for ViT-L).
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'

model = dict(backbone=dict(arch='l'))  # the decoder's input width follows the backbone
