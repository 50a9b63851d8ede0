# ScanNet 2D semantic segmentation, 20 benchmark classes (ignore 255). Data: our frame layout or
# scannet_frames_25k with label_scannet20/ written by tools/data/scannet. Scored like the official benchmark:
# prediction and label resized (nearest) to 640x480 by ScanNet2DIoUMetric. The indoor segmentation pipelines live
# here; other datasets (nyuv2_seg.py) and the synthetic twins derive theirs from them.
dataset_type = 'ScanNetSegDataset'
data_root = 'data/scannet_frames_25k'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 480), keep_ratio=False),
    # labels are loaded after Resize: the metric sees them at full resolution and resizes both to 640x480
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='splits/train.txt', pipeline=train_pipeline))
# validation: the training loader's dataset and workers on the val split, one image at a time, in order
val_dataloader = dict(train_dataloader, batch_size=1, sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(train_dataloader['dataset'], ann_file='splits/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ScanNet2DIoUMetric', eval_size=(640, 480), iou_metrics=['mIoU'])
test_evaluator = val_evaluator
