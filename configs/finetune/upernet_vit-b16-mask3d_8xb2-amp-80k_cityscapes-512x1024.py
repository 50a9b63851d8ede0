# Cityscapes (mmseg's CityscapesDataset, 19 classes), UperNet + ViT-B/16 from Mask3D (the model base's init). The
# recipe's poly decay ends at max_iters by itself (no ``end``), so 80k iterations are stated once.
_base_ = [
    '../_base_/upernet_vit-b16_mln.py', 'mmseg::_base_/datasets/cityscapes.py',
    '../_base_/upernet_vit_adamw-layer-decay_20k.py'
]
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(img_size=_base_.crop_size),
    decode_head=dict(num_classes=19),
    auxiliary_head=dict(num_classes=19),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(768, 768)))
train_cfg = dict(max_iters=80000, val_interval=8000)
