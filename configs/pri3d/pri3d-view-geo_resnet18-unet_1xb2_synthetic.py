# CPU demo / test: Pri3D View + Geo on data/synthetic with a ResNet-18 UNet (random init) at 120x160 and a tiny 3D
# UNet; trains in minutes on 2 cores. Mine pairs first:
#   python tools/data/scannet/mine_pairs.py --frames-root data/synthetic --out data/synthetic/pri3d/pairs.txt \
#       --min-overlap 0.3 --frame-skip 1
_base_ = './pri3d-view-geo_resnet50-unet_8xb8_scannet.py'

data_root = 'data/synthetic/'
train_pipeline = [
    dict(type='LoadPri3DPair', scale=(160, 120)),
    dict(type='TransformBroadcaster', mapping=dict(img='img'), transforms={{_base_.color_augmentation}}),
    dict(type='PackPri3DInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
model = dict(
    backbone=dict(depth=18, encoder_cfg=dict(init_cfg=None)),  # offline CPU demo: no ImageNet download
    feat_channels=32,
    backbone3d=dict(_delete_=True, type='SparseUNet3D', channels=(8, 16, 32), out_channels=16, backend='torch'),
    feat3d_channels=16,
    proj_channels=16,
    num_samples=256)
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_iters=200)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=100, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
