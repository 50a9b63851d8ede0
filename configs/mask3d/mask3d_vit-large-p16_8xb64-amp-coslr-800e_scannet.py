# Mask3D with a ViT-L/16 RGB encoder; depth encoder and decoder as for ViT-B (MAE keeps its 512-d decoder for ViT-L).
_base_ = './vitb_scannet.py'

model = dict(backbone=dict(arch='l'), neck=dict(embed_dim=1024))
