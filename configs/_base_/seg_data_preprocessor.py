# mmseg's input side for ImageNet-pretrained backbones (ViT, ResNet): BGR files -> RGB normalised with ImageNet
# mean / std, images padded with 0 and labels with the ignore index 255 up to ``size``. Models take it as
# ``model.data_preprocessor`` (a config with another crop: ``dict(_base_.data_preprocessor, size=crop_size)``).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
