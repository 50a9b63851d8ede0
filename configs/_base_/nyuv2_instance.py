# NYUv2 2D instance segmentation (795 train / 654 test), COCO-style json written by tools/data/nyuv2 under
# <root>/{train,test}/; same pipelines and metric as ScanNet. Classes: the converter's NYU37 set
# (mask3d_mm.data_prep.converters.coco: nyu40 without wall, floor, ceiling), in its category order.
_base_ = './scannet_instance.py'
data_root = 'data/nyuv2/'
train_ann_file = 'train/instances.json'
val_ann_file = 'test/instances.json'
metainfo = dict(classes=('cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf', 'picture',
                         'counter', 'blinds', 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror',
                         'floor mat', 'clothes', 'books', 'refrigerator', 'television', 'paper', 'towel',
                         'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet', 'sink', 'lamp',
                         'bathtub', 'bag', 'otherstructure', 'otherfurniture', 'otherprop'))
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo, ann_file=train_ann_file))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo, ann_file=val_ann_file))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
