# UperNet on an mmpretrain ViT-B/16: blocks 4/6/8/12 (out_indices 3/5/7/11) as stride-16 maps, rescaled by
# mmseg's MultiLevelNeck to strides 4/8/16/32. The backbone is plain ``mmpretrain.VisionTransformer`` so every
# checkpoint with ``backbone.`` + VisionTransformer keys (Mask3D converter, mmpretrain ImageNet / MAE) loads into it.
# It starts from Mask3D (tools/model_converters/mask3d_to_backbone.py output); the in1k / mae / scratch configs
# override ``model.backbone.init_cfg``.
_base_ = './seg_data_preprocessor.py'
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072),  # ViT-B
        img_size=512,
        patch_size=16,
        out_indices=(3, 5, 7, 11),
        out_type='featmap',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    neck=dict(type='MultiLevelNeck', in_channels=[768, 768, 768, 768], out_channels=768, scales=[4, 2, 1, 0.5]),
    decode_head=dict(
        type='UPerHead',
        in_channels=[768, 768, 768, 768],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=20,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=768,
        in_index=3,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=20,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
