# What every study run shares, so budgets and capacity are equal: one ViT (pretraining and fine-tuning), one input
# size, one batch, one iteration budget and one pretraining optimizer. Names are prefixed ``study_`` so this file
# can be a second ``_base_`` next to a method's real config without key clashes. tools/benchmarks/study.py
# overrides the iteration counts (and schedules) per study size.
# ViT-tiny, 6 blocks; _delete_: replaces a base's arch name ('b') or dict as a whole
study_vit_arch = dict(_delete_=True, embed_dims=192, num_layers=6, num_heads=3, feedforward_channels=768)
study_img_size = 128
study_patch_size = 16
study_num_patches = (study_img_size // study_patch_size)**2
study_batch_size = 16  # images per pretraining step
study_pair_batch_size = study_batch_size // 2  # Pri3D: 8 pairs = 16 images
# Pretraining loaders: in-process loading (a frame takes ~3 ms; worker processes only fight for the 2 cores) and
# an infinite sampler (mmengine's iteration loop sleeps 2 s at every epoch end of a finite one).
study_sampler = dict(type='InfiniteSampler', shuffle=True)
study_pretrain_iters = 400
study_warmup_iters = 40
study_pretrain_optim_wrapper = dict(
    _delete_=True,  # replaces the method's own optim_wrapper (AMP, other lr) as a whole
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={k: dict(decay_mult=0.0)
                                    for k in ('pos_embed', 'mask_token', 'cls_token', 'modality_embed')}))
study_pretrain_schedule = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=study_warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False,  # T_max = end - begin
         begin=study_warmup_iters, end=study_pretrain_iters),
]
