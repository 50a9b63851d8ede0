# Pri3D geometric-prior pretraining: 2D ResNet-50 UNet features vs a sparse 3D UNet on each frame's 2 cm voxel
# chunk (scene voxels fused by mine_pairs.py, cropped to the frame's view-frustum box), PointInfoNCE between
# pixels and the voxels their depth lands in. The 3D UNet runs spconv on CUDA when installed ('auto').
_base_ = './pri3d-view_resnet50-unet_8xb8_scannet.py'

train_dataloader = dict(dataset=dict(with_chunks=True))
model = dict(
    mode='geo',
    backbone3d=dict(type='SparseUNet3D', in_channels=3, channels=(32, 64, 128, 256), out_channels=96,
                    backend='auto'),
    feat3d_channels=96,
    proj_channels=128)
