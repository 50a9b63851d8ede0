# Mask R-CNN on a plain ViT-B/16 (ViTDet): ``mmpretrain.VisionTransformer`` (last block, stride 16) -> SimpleFPN
# (deconv x4 / x2, identity, max-pool; mask_3d_mm.models.necks) with LayerNorm in the neck, the 2-conv RPN head
# and the 4conv1fc box head / mask head. The ViT starts from Mask3D (tools/model_converters/mask3d_to_backbone.py
# output); the mae configs override ``model.backbone.init_cfg``.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'
custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)
head_norm_cfg = dict(type='mmpretrain.LN2d', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch=dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072),  # ViT-B
        img_size=(480, 640),
        patch_size=16,
        out_indices=(11, ),
        out_type='featmap',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/mask3d_vit-b16.pth', prefix='backbone.')),
    neck=dict(
        _delete_=True,
        type='SimpleFPN',
        backbone_channel=768,
        in_channels=[192, 384, 768, 768],
        out_channels=256,
        num_outs=5,
        norm_cfg=head_norm_cfg),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=head_norm_cfg),
        mask_head=dict(norm_cfg=head_norm_cfg)))
