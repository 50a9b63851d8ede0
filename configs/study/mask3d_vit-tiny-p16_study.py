# Study: Mask3D (RGB + masked depth -> dense depth) on the study ViT, with the shared budget (_study_vit.py).
# Model (its masking knobs included: the new default setting) and RGB-D pipeline are the CPU demo's (../mask3d/);
# only the schedule becomes iteration-based. Every frame (frame_skip=1): the same frames MAE and Pri3D see.
_base_ = ['../mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py', './_study_vit.py']

model = dict(
    backbone=dict(arch={{_base_.study_vit_arch}}, img_size={{_base_.study_img_size}},
                  patch_size={{_base_.study_patch_size}}))
train_dataloader = dict(batch_size={{_base_.study_batch_size}}, num_workers=0, persistent_workers=False,
                        sampler={{_base_.study_sampler}}, dataset=dict(scenes='splits/all.txt', frame_skip=1))
optim_wrapper = {{_base_.study_pretrain_optim_wrapper}}
param_scheduler = {{_base_.study_pretrain_schedule}}
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={{_base_.study_pretrain_iters}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
custom_hooks = []  # no reconstruction panels: the budget is compute, equal for every method
