# Synthetic twin of ../upernet_vit-b16-*_nyuv2-13-480x480.py (and, with num_classes=40, of the nyuv2-40 configs):
# tiny ViT on synthetic frames written in the NYUv2 converter's layout.
_base_ = ['./upernet_vit-tiny_synthetic-scannet.py']
data_root = 'data/synthetic_nyuv2'
num_classes = 13
model = dict(decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(_delete_=True, type='NYUv2SegDataset', data_root=data_root, split='train',
                                     num_classes=num_classes, pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(train_dataloader['dataset'], split='test', pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
