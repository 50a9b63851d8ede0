# What every run of the Pri3D suite (study.py --suite pri3d) shares, so budgets and capacity are equal: one
# ResNet-18 UNet (random init: no ImageNet weights offline; the paper's ImageNet row is quoted, not run), one
# batch, one iteration budget, one pretraining schedule. Prefixed ``study_`` like _study_vit.py.
study_unet = dict(type='ResNetUNet', depth=18, out_channels=32, encoder_cfg=dict(init_cfg=None))
study_pair_batch_size = 4  # 4 pairs = 8 images per pretraining step (a CPU budget: see PRI3D_SIZES in study_lib)
study_pretrain_iters = 400
study_warmup_iters = 40
study_pretrain_schedule = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=study_warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=study_warmup_iters, end=study_pretrain_iters),
]
