# NYUv2 semantic segmentation, standard 795 train / 654 test split, 40 classes (``num_classes=13`` in the dataset
# for the 13-class protocol); unlabeled (0) is ignored. Data: tools/data/nyuv2 output. ScanNet's pipelines and
# loaders (scannet_seg.py) with 480x480 crops; NYUv2 images are 640x480, so the test Resize to 640x480 keeps them.
_base_ = './scannet_seg.py'
dataset_type = 'NYUv2SegDataset'
data_root = 'data/nyuv2'
num_classes = 40
crop_size = (480, 480)
train_pipeline = [dict(step, crop_size=crop_size) if step.type == 'RandomCrop' else step
                  for step in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='train',
                                     num_classes=num_classes, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(train_dataloader['dataset'], split='test', pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
