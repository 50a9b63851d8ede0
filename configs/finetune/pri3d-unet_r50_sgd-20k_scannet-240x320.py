# ScanNet 20-class semantic segmentation, Pri3D protocol: ResNet-50 UNet (encoder + decoder from Pri3D,
# tools/model_converters/pri3d_to_backbone.py --target unet) at 240x320, a 1x1-conv classifier on the 1/2-res
# UNet output (mmseg FCNHead with num_convs=0). Scored by ScanNet2DIoUMetric (640x480, nearest).
_base_ = [
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py', '../_base_/scannet_seg.py',
    '../_base_/seg_data_preprocessor.py'
]
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
crop_size = (240, 320)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(_base_.data_preprocessor, size=crop_size),
    backbone=dict(
        type='ResNetUNet',  # official Res50UNet: up-projection decoder, additive skips, 128 channels at 1/2 res
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/pri3d_r50_unet.pth', prefix='backbone.')),
    decode_head=dict(type='FCNHead', in_channels=128, channels=128, num_convs=0, concat_input=False, dropout_ratio=0.0,
                     num_classes=20, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# ScanNet's pipelines (../_base_/scannet_seg.py) with every frame resized to 240x320 instead of the random
# resize + crop
frame_resize = dict(type='Resize', scale=(320, 240), keep_ratio=False)
train_pipeline = [frame_resize if step.type == 'RandomResize' else step for step in _base_.train_pipeline
                  if step.type != 'RandomCrop']
test_pipeline = [frame_resize if step.type == 'Resize' else step for step in _base_.test_pipeline]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
