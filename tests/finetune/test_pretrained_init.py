"""Converted Mask3D / Pri3D checkpoints initialise the fine-tuning backbones with no missing encoder keys."""
import importlib.util
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_with_prefix

import mask3d_mm  # noqa: F401
from tests.conftest import load_tool as load_repo_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TWINS = osp.join(REPO, 'configs', 'finetune', 'synthetic')


def load_tool(name):
    return load_repo_tool(f'tools/model_converters/{name}.py')


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
    pretrained = ResNetUNet(depth=18, out_channels=16)
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


@pytest.fixture
def hub_dir(tmp_path):
    """A private torch hub cache: what mmengine downloads into on a connected machine."""
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    yield tmp_path / 'hub'
    torch.hub.set_dir(previous)


def test_imagenet_keys_land_in_the_pri3d_encoder(hub_dir):
    """The real R18 Pri3D config's ``torchvision://resnet18`` init, served from the hub cache (a locally written
    checkpoint of torchvision's layout): every encoder weight is the checkpoint's."""
    import torchvision

    from mask3d_mm.utils.pretrained import hub_cache_path, torchvision_url
    torch.manual_seed(0)
    imagenet = torchvision.models.resnet18().state_dict()  # random weights, torchvision's keys
    cached = hub_cache_path(torchvision_url('torchvision://resnet18'))
    os.makedirs(osp.dirname(cached), exist_ok=True)
    torch.save(imagenet, cached)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pri3d', 'pri3d-view_resnet18-unet_8xb8_scannet.py'))
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    encoder = model.backbone.encoder.state_dict()
    loaded = [key for key in encoder if not key.endswith('num_batches_tracked')]
    assert len(loaded) == len([k for k in imagenet if not k.startswith('fc.') and 'num_batches' not in k])
    for key in loaded:
        torch.testing.assert_close(encoder[key], imagenet[key], msg=key)


def test_missing_imagenet_checkpoint_offline_is_one_clear_error(hub_dir, monkeypatch, capsys):
    """No file in the cache and no network: a ConfigError naming the file and where to put it, which the tools
    print as one ``error:`` line (exit 2) -- never a silent random init."""
    from urllib.error import URLError

    import mmengine.runner.checkpoint as mm_checkpoint

    from mask3d_mm.utils.cli import run_cli
    from mask3d_mm.utils.errors import ConfigError

    def offline(url, **kwargs):
        raise URLError('[Errno -3] Temporary failure in name resolution')
    monkeypatch.setattr(mm_checkpoint, 'load_url', offline)
    model = build(osp.join(REPO, 'configs', 'finetune', 'mask-rcnn_r50-in1k_fpn_1x_scannet.py'), 'mmdet')
    with pytest.raises(ConfigError, match=r'place resnet50-\w+\.pth at .*hub.checkpoints.*init_cfg=None'):
        model.init_weights()
    with pytest.raises(SystemExit) as exit_info:
        run_cli(model.init_weights)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: cannot download the pretrained checkpoint torchvision://')
