"""LayerDecayOptimWrapperConstructor on an mmseg UperNet and an mmdet Mask R-CNN with an mmpretrain ViT: block i
(1-based) of L trains with lr = base * decay^(L+1-i), the embeddings with base * decay^(L+1), the rest with base."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mask3d_mm  # noqa: F401
from mask3d_mm.utils.errors import ConfigError

NUM_BLOCKS = 3
TINY_VIT = dict(type='mmpretrain.VisionTransformer', img_size=32, patch_size=16, out_type='featmap',
                arch=dict(embed_dims=32, num_layers=NUM_BLOCKS, num_heads=2, feedforward_channels=64))
BASE_LR, DECAY, WD = 1e-3, 0.5, 0.05
OPTIM = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=BASE_LR, weight_decay=WD),
             constructor='LayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=DECAY))


def tiny_segmentor():
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    return MODELS.build(dict(
        type='EncoderDecoder', backbone=dict(TINY_VIT, out_indices=(0, 1, 2)),
        decode_head=dict(type='FCNHead', in_channels=32, in_index=2, channels=8, num_convs=1, num_classes=4,
                         norm_cfg=dict(type='BN'))))


def tiny_detector():
    """The ViTDet Mask R-CNN base config with a 3-block ViT."""
    from mmdet.registry import MODELS
    cfg = Config.fromfile('configs/_base_/mask-rcnn_vit-b16_simple-fpn.py')
    cfg.model.backbone.update(TINY_VIT, out_indices=(NUM_BLOCKS - 1,))
    cfg.model.neck.update(backbone_channel=32, in_channels=[8, 16, 32, 32], out_channels=16)
    init_default_scope('mmdet')
    return MODELS.build(cfg.model)


def lr_and_wd_by_name(optim_wrapper):
    return {name: (group['lr'], group['weight_decay'])
            for group in optim_wrapper.optimizer.param_groups for name in [group['param_name']]}


def expected_depth(name):
    """Embeddings 0, block i (``layers.{i-1}``) i, everything else (final norm, neck, heads) L+1."""
    if name.startswith('backbone.layers.'):
        return int(name.split('.')[2]) + 1
    if name.split('.')[1] in ('patch_embed', 'pos_embed', 'cls_token'):
        return 0
    return NUM_BLOCKS + 1


@pytest.mark.parametrize('build_model, scope', [(tiny_segmentor, 'mmseg'), (tiny_segmentor, 'mmpretrain'),
                                                (tiny_detector, 'mmdet'), (tiny_detector, 'mmengine')])
def test_block_lr_decays_with_depth_and_norms_have_no_weight_decay(build_model, scope):
    model = build_model()
    init_default_scope(scope)  # the constructor is found from every scope
    lr_wd = lr_and_wd_by_name(build_optim_wrapper(model, OPTIM))
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    assert set(lr_wd) == set(params)  # every trainable parameter exactly once
    for name, (lr, wd) in lr_wd.items():
        assert lr == pytest.approx(BASE_LR * DECAY ** (NUM_BLOCKS + 1 - expected_depth(name))), name
        no_decay = params[name].ndim == 1 or name.endswith(('.bias', 'pos_embed', 'cls_token'))
        assert wd == (0.0 if no_decay else WD), name
    # the formula spelled out on a few parameters
    assert lr_wd['backbone.patch_embed.projection.weight'][0] == pytest.approx(BASE_LR * DECAY ** 4)
    assert lr_wd['backbone.layers.0.ln1.weight'] == (pytest.approx(BASE_LR * DECAY ** 3), 0.0)
    assert lr_wd['backbone.layers.2.attn.qkv.weight'] == (pytest.approx(BASE_LR * DECAY), WD)
    assert lr_wd['backbone.pos_embed'][1] == 0.0 and lr_wd['backbone.cls_token'][1] == 0.0
    head = next(name for name in ('decode_head.conv_seg.weight', 'roi_head.bbox_head.fc_cls.weight') if name in lr_wd)
    assert lr_wd[head] == (BASE_LR, WD)


def test_backbone_without_layer_depth_is_a_config_error():
    model = torch.nn.Module()
    model.backbone = torch.nn.Linear(2, 2)
    with pytest.raises(ConfigError, match='get_layer_depth'):
        build_optim_wrapper(model, OPTIM)
