# Pri3D geometric-prior pretraining: 2D ResNet-50 UNet features vs a sparse 3D UNet on each frame's 2 cm voxel
# chunk (scene voxels fused by mine_pairs.py, cropped to the frame's view-frustum box, colour input), PointInfoNCE
# between pixels and the voxels their depth lands in, each side through one linear layer to 64 (official w2d / w3d).
# The 3D UNet is the paper's Res U-Net (MinkUNet34C depth: SparseUNet3D's RES_UNET34); it runs spconv on CUDA when
# installed ('auto'), the pure-PyTorch sparse convolution otherwise.
_base_ = './pri3d-view_resnet50-unet_8xb8_scannet.py'

train_dataloader = dict(dataset=dict(with_chunks=True))
model = dict(
    mode='geo',
    backbone3d=dict(type='SparseUNet3D', in_channels=3, channels=(32, 32, 64, 128, 256), blocks=(0, 2, 3, 4, 6),
                    decoder_channels=(256, 128, 96, 96), decoder_blocks=(2, 2, 2, 2), stem_kernel=5,
                    out_channels=96, backend='auto'),
    feat3d_channels=96,
    proj_channels=64)
