# Data-efficient ScanNet fine-tuning on splits/train_80.txt: the first shuffled training scenes holding
# >= 80 % of the images (converters.scannet_2d.write_data_efficient_splits). Pri3D ResNet-50 UNet.
_base_ = '../pri3d-unet_r50_sgd-20k_scannet-240x320.py'
train_dataloader = dict(dataset=dict(ann_file='splits/train_80.txt'))
