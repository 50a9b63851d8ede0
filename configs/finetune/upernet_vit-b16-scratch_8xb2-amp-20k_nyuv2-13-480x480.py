# nyuv2-13-480x480, ViT-B/16 from random initialisation (no layer-wise lr decay).
_base_ = './upernet_vit-b16-mask3d_8xb2-amp-20k_nyuv2-13-480x480.py'
model = dict(backbone=dict(init_cfg=None))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=1.0))
