# Data-efficient ScanNet fine-tuning on splits/train_80.txt: the first shuffled training scenes holding
# >= 80 % of the images (converters.scannet_2d.write_data_efficient_splits). UperNet + ViT-B/16 from Mask3D.
_base_ = '../upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py'
train_dataloader = dict(dataset=dict(ann_file='splits/train_80.txt'))
