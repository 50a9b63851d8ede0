# Synthetic twin of mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet-tum.py (CPU, seconds): the demo model on the
# synthetic world (ScanNet's stand-in) + a second root written by tools/data/rgbd/convert.py (the other source's
# stand-in), mixed by ConcatDataset as in the real config. The second root:
# `python tools/data/rgbd/convert.py --format folder --src data/synthetic/scene0001_00 --out data/synthetic_folder
#  --depth-scale 1000 --intrinsics data/synthetic/scene0001_00/intrinsic/intrinsic_color.txt`
_base_ = './mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py'

other_root = 'data/synthetic_folder/'
synthetic_frames = _base_.train_dataloader.dataset
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset',
                                     datasets=[synthetic_frames, dict(synthetic_frames, data_root=other_root)]))
