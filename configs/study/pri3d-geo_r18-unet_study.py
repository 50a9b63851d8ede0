# Pri3D suite: the geometric prior alone (2D pixels vs the 3D UNet's voxels; same pairs, model and budget).
_base_ = './pri3d-view-geo_r18-unet_study.py'
model = dict(mode='geo')
