# Synthetic twin of ../mask-rcnn_vit-b16-*_simple-fpn_amp-1x_{scannet,nyuv2}.py: tiny ViT (embed 192, depth 4)
# + simple feature pyramid + LN heads on 96x128 synthetic frames with COCO-style instance annotations; 10
# iterations, fp32.
_base_ = '../mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py'
data_root = 'data/synthetic/'
img_scale = (128, 96)
channels = 64
model = dict(
    backbone=dict(arch=dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768),
                  img_size=(96, 128), out_indices=(3, ), drop_path_rate=0.0, init_cfg=None),
    neck=dict(backbone_channel=192, in_channels=[48, 96, 192, 192], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, conv_out_channels=channels, fc_out_channels=128),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=200, max_per_img=100), rcnn=dict(sampler=dict(num=64))),
    # score_thr 0: a model trained for a few iterations still returns detections, so COCO AP is always computed
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=100), rcnn=dict(max_per_img=20, score_thr=0.0)))
# The real pipelines (../../_base_/scannet_instance.py) with one fixed resize to the frames' own size
frame_resize = dict(type='Resize', scale=img_scale, keep_ratio=True)
train_pipeline = [frame_resize if step.type == 'RandomResize' else step for step in _base_.train_pipeline]
test_pipeline = [frame_resize if step.type == 'Resize' else step for step in _base_.test_pipeline]
in_process = dict(num_workers=0, persistent_workers=False)  # tiny data: worker processes would only cost time
train_dataloader = dict(batch_size=2, **in_process, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(**in_process, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
# fp32: the real recipe without its AMP (AmpOptimWrapper needs CUDA), so the twin runs anywhere, also under
# mmdet's own tools/train.py on a CPU
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dict(_base_.optim_wrapper.optimizer, lr=1e-3),
                     constructor=_base_.optim_wrapper.constructor, paramwise_cfg=_base_.optim_wrapper.paramwise_cfg)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5)]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(by_epoch=False, interval=10))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
