# Mask3D ViT-B/16 pretraining on ScanNet + TUM RGB-D frames, mixed by mmengine's ConcatDataset: every frame of both
# roots is one sample, so each source weighs by its frame count. Mask3D needs single RGB-D frames only (no poses),
# so any source converted by tools/data/rgbd/convert.py can join; data/tum comes from
# `convert.py --format tum --frame-skip 25` (TUM is 30 Hz like ScanNet, whose extraction keeps every 25th frame).
# Model, pipeline and schedule: the ScanNet recipe's.
# Synthetic twin: mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic-mixed.py
_base_ = './mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet.py'

tum_root = 'data/tum/'
scannet_frames = _base_.train_dataloader.dataset
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset',
                                     datasets=[scannet_frames, dict(scannet_frames, data_root=tum_root)]))
