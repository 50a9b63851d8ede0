# ScanNet 2D instance segmentation, COCO-style: the 18 instance classes of the ScanNet benchmark (the 20 semantic
# classes without wall and floor). Annotations: the COCO json written by tools/data/scannet under the frame root;
# image paths in it are relative to data_root. COCO bbox / segm AP (AP, AP50, AP75) via mmdet's CocoMetric.
dataset_type = 'CocoDataset'
data_root = 'data/scannet_frames_25k/'
metainfo = dict(classes=('cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf', 'picture',
                         'counter', 'desk', 'curtain', 'refrigerator', 'shower curtain', 'toilet', 'sink',
                         'bathtub', 'otherfurniture'))
train_ann_file = 'annotations/instances_train.json'
val_ann_file = 'annotations/instances_val.json'
img_scale = (640, 480)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True), batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo, ann_file=train_ann_file,
                 data_prefix=dict(img=''), filter_cfg=dict(filter_empty_gt=True, min_size=8),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo, ann_file=val_ann_file,
                 data_prefix=dict(img=''), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + val_ann_file, metric=['bbox', 'segm'])
test_evaluator = val_evaluator
