# NYUv2 13-class semantic segmentation (795/654), UperNet + ViT-B/16 from Mask3D.
_base_ = './upernet_vit-b16-mask3d_8xb2-amp-20k_nyuv2-40-480x480.py'
model = dict(decode_head=dict(num_classes=13), auxiliary_head=dict(num_classes=13))
train_dataloader = dict(dataset=dict(num_classes=13))
val_dataloader = dict(dataset=dict(num_classes=13))
test_dataloader = val_dataloader
