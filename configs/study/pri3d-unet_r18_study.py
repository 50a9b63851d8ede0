# Pri3D suite: the one fine-tuning recipe of every arm -- the Pri3D UNet segmentation protocol's synthetic twin
# (../finetune/synthetic/: SGD, 96x128 frames, 1x1-conv classifier on the 1/2-resolution UNet output) on the study's
# ResNet-18 UNet (the same layout as pretraining, so encoder and decoder transfer). study.py sets the init, the
# scene subset, the seed, the lr and the schedule.
_base_ = ['../finetune/synthetic/pri3d-unet_r18_synthetic-scannet.py', './_study_r18.py']

model = dict(backbone={{_base_.study_unet}},
             decode_head=dict(in_channels={{_base_.study_unet.out_channels}},
                              channels={{_base_.study_unet.out_channels}}))
train_dataloader = dict(batch_size=4)  # a CPU budget, as the pretraining batch (_study_r18.py)
val_evaluator = dict(classwise=True)  # per-class IoU in the scalars: objects-only mIoU
test_evaluator = val_evaluator
finetune_iters = 300
param_scheduler = [  # [warm-up, decay]: the shape study.py rescales
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=finetune_iters // 10),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=finetune_iters // 10, end=finetune_iters, by_epoch=False),
]
train_cfg = dict(max_iters=finetune_iters, val_interval=finetune_iters)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=finetune_iters, max_keep_ckpts=1))
