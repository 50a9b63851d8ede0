# Study: the one fine-tuning recipe every method gets -- UperNet on the study ViT (blocks 2/3/4/6), ScanNet-20
# segmentation of the downstream synthetic scenes, 128x128 crops of frames resized to 128x171 (4:3), the synthetic
# twin's AdamW + layer-wise lr decay. study.py sets the backbone init, the scene subset, the seed and the schedule.
_base_ = ['../finetune/synthetic/upernet_vit-tiny_synthetic-scannet.py', './_study_vit.py']

crop_size = ({{_base_.study_img_size}}, {{_base_.study_img_size}})
frame_scale = (171, 128)  # (w, h): 4:3 frames with a 128-pixel short side
eval_size = (160, 120)  # (w, h) at which predictions and labels are scored
finetune_iters = 300
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch={{_base_.study_vit_arch}}, img_size={{_base_.study_img_size}},
                  patch_size={{_base_.study_patch_size}}, out_indices=(1, 2, 3, 5)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=frame_scale, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=frame_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(eval_size=eval_size, classwise=True)  # per-class IoU in the scalars: objects-only mIoU
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=finetune_iters // 10),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=finetune_iters // 10, end=finetune_iters, by_epoch=False),
]
train_cfg = dict(max_iters=finetune_iters, val_interval=finetune_iters)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=finetune_iters, max_keep_ckpts=1))
