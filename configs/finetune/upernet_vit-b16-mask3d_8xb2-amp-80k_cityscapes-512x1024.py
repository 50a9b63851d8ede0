# Cityscapes (mmseg's CityscapesDataset, 19 classes), UperNet + ViT-B/16 from Mask3D.
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', 'mmseg::_base_/datasets/cityscapes.py',
    '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
crop_size = (512, 1024)
max_iters = 80000
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    decode_head=dict(num_classes=19),
    auxiliary_head=dict(num_classes=19),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(768, 768)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=8000)
