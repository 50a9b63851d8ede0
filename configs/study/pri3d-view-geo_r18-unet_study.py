# Pri3D suite: View + Geo on the study's ResNet-18 UNet -- the CPU Pri3D config (../pri3d/, 160x120 pairs, tiny 3D
# UNet on 2 cm voxel chunks) with the suite's shared budget (_study_r18.py). Pairs and chunks: study.py mines them.
_base_ = ['../pri3d/pri3d-view-geo_resnet18-unet_1xb2_synthetic.py', './_study_r18.py']

model = dict(backbone={{_base_.study_unet}}, feat_channels={{_base_.study_unet.out_channels}})
train_dataloader = dict(batch_size={{_base_.study_pair_batch_size}}, dataset=dict(with_chunks=True))
param_scheduler = {{_base_.study_pretrain_schedule}}
train_cfg = dict(max_iters={{_base_.study_pretrain_iters}})
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100, max_keep_ckpts=1))
