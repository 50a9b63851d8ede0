# NYUv2 13-class semantic segmentation, Pri3D protocol (ResNet-50 UNet from Pri3D at 240x320).
_base_ = './pri3d-unet_r50_sgd-20k_scannet-240x320.py'
data_root = 'data/nyuv2'
model = dict(decode_head=dict(num_classes=13))
train_dataloader = dict(dataset=dict(
    _delete_=True, type='NYUv2SegDataset', data_root=data_root, split='train', num_classes=13,
    pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='NYUv2SegDataset', data_root=data_root, split='test', num_classes=13,
    pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
