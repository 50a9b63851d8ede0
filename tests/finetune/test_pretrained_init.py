"""Converted Mask3D / Pri3D checkpoints initialise the fine-tuning backbones with no missing encoder keys."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_with_prefix

import mask3d_mm  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TWINS = osp.join(REPO, 'configs', 'finetune', 'synthetic')


def load_tool(name):
    path = osp.join(REPO, 'tools', 'model_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(config, scope, **backbone_overrides):
    cfg = Config.fromfile(config)
    cfg.model.backbone.update(backbone_overrides)
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry').MODELS
    return registry.build(cfg.model)


def save_pretraining_checkpoint(path, backbone, extra_prefix):
    """What pretraining writes: ``backbone.*`` plus pretraining-only heads (to be dropped by the converter)."""
    state_dict = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state_dict[f'{extra_prefix}.weight'] = torch.randn(3, 3)
    torch.save(dict(state_dict=state_dict, meta=dict()), path)


def assert_loads_exactly(module, checkpoint, prefix='backbone.'):
    """Strict load (missing = unexpected = 0) and every loaded tensor ends up in the module."""
    state_dict = _load_checkpoint_with_prefix(prefix, checkpoint, map_location='cpu')
    missing, unexpected = module.load_state_dict(dict(state_dict), strict=False)
    assert missing == [] and unexpected == []
    return state_dict


def test_mask3d_converter_output_initialises_the_upernet_vit(tmp_path):
    from mmpretrain.models import VisionTransformer
    torch.manual_seed(0)
    arch = dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768)
    pretrained = VisionTransformer(arch=arch, img_size=224, patch_size=16)  # pretraining resolution
    save_pretraining_checkpoint(tmp_path / 'mask3d.pth', pretrained, 'depth_decoder.proj')
    missing, unexpected = load_tool('mask3d_to_backbone').convert(str(tmp_path / 'mask3d.pth'),
                                                                   str(tmp_path / 'vit.pth'))
    assert missing == [] and unexpected == []
    model = build(osp.join(TWINS, 'upernet_vit-tiny_synthetic-scannet.py'), 'mmseg',
                  init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'vit.pth'), prefix='backbone.'))
    assert_loads_exactly(model.backbone, str(tmp_path / 'vit.pth'))
    model.init_weights()
    source, loaded = pretrained.state_dict(), model.backbone.state_dict()
    assert set(source) == set(loaded)
    for key, value in source.items():
        if key == 'pos_embed':  # 224 -> 64 px: resized from 14x14 to 4x4 patches (+ cls token)
            assert loaded[key].shape == (1, 1 + 16, 192)
            torch.testing.assert_close(loaded[key][:, 0], value[:, 0])
        else:
            torch.testing.assert_close(loaded[key], value, msg=key)


def test_pri3d_unet_and_encoder_checkpoints_initialise_seg_and_det_backbones(tmp_path):
    from mask3d_mm.models.backbones.resnet_unet import ResNetUNet
    converter = load_tool('pri3d_to_backbone')
    torch.manual_seed(0)
    pretrained = ResNetUNet(depth=18, decoder_channels=(32, 32, 16, 16))
    save_pretraining_checkpoint(tmp_path / 'pri3d.pth', pretrained, 'point_head.proj')
    state_dict = converter.load_state_dict(str(tmp_path / 'pri3d.pth'))
    for target in ('unet', 'encoder'):
        torch.save(dict(state_dict=converter.convert(state_dict, target)), tmp_path / f'{target}.pth')

    unet = build(osp.join(TWINS, 'pri3d-unet_r18_synthetic-scannet.py'), 'mmseg',
                 init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'unet.pth'), prefix='backbone.'))
    unet.init_weights()
    for key, value in pretrained.state_dict().items():
        torch.testing.assert_close(unet.backbone.state_dict()[key], value, msg=key)

    detector = build(osp.join(TWINS, 'mask-rcnn_r18-fpn_synthetic-scannet.py'), 'mmdet', init_cfg=None)
    encoder = assert_loads_exactly(detector.backbone, str(tmp_path / 'encoder.pth'))
    torch.testing.assert_close(encoder['layer4.1.conv2.weight'], pretrained.encoder.layer4[1].conv2.weight)


@pytest.mark.slow
@pytest.mark.parametrize('config', ['upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py',
                                    'mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py'])
def test_vit_b_configs_take_a_vit_b_checkpoint(tmp_path, config):
    from mmpretrain.models import VisionTransformer
    save_pretraining_checkpoint(tmp_path / 'mask3d.pth', VisionTransformer(arch='b', img_size=224), 'decoder.x')
    load_tool('mask3d_to_backbone').convert(str(tmp_path / 'mask3d.pth'), str(tmp_path / 'vit.pth'))
    scope = 'mmdet' if config.startswith('mask-rcnn') else 'mmseg'
    model = build(osp.join(REPO, 'configs', 'finetune', config), scope)
    assert_loads_exactly(model.backbone, str(tmp_path / 'vit.pth'))
