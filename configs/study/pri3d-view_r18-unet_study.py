# Pri3D suite: the view-invariant loss alone (same pairs, model and budget as View + Geo; no voxel chunks read).
_base_ = './pri3d-view-geo_r18-unet_study.py'
model = dict(mode='view')
train_dataloader = dict(dataset=dict(with_chunks=False))
