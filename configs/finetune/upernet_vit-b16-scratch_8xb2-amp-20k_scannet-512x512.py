# ScanNet, ViT-B/16 from random initialisation (no layer-wise lr decay: there is no pretrained depth to protect).
_base_ = './upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py'
model = dict(backbone=dict(init_cfg=None))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=1.0))
