import importlib.util

import pytest
import torch
from mmdet.models.backbones import ResNet as MMDetResNet
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mask3d_mm


@pytest.fixture(scope='module')
def converter(repo):
    spec = importlib.util.spec_from_file_location('pri3d_to_backbone',
                                                  repo / 'tools/model_converters/pri3d_to_backbone.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def pri3d_checkpoint(tmp_path_factory):
    backbone = dict(type='ResNetUNet', depth=18, out_channels=16)
    model = MODELS.build(dict(type='Pri3D', mode='geo', backbone=backbone, feat_channels=16,
                              backbone3d=dict(type='SparseUNet3D', channels=(4, 8), out_channels=8),
                              feat3d_channels=8, proj_channels=8))
    path = tmp_path_factory.mktemp('ckpt') / 'pri3d.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path, model.state_dict()


def strip(state_dict, prefix='backbone.'):
    return {k[len(prefix):]: v for k, v in state_dict.items()}


def test_encoder_loads_into_mmdet_resnet_without_missing_keys(converter, pri3d_checkpoint, tmp_path):
    src, original = pri3d_checkpoint
    dst = tmp_path / 'encoder.pth'
    converter.main([str(src), str(dst), '--target', 'encoder'])
    state_dict = torch.load(dst)['state_dict']
    assert all(k.startswith('backbone.') for k in state_dict)
    result = MMDetResNet(depth=18).load_state_dict(strip(state_dict), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(state_dict['backbone.layer4.1.conv2.weight'],
                       original['backbone.encoder.layer4.1.conv2.weight'])


def test_unet_loads_into_segmentation_backbone_without_missing_keys(converter, pri3d_checkpoint, tmp_path):
    src, original = pri3d_checkpoint
    dst = tmp_path / 'unet.pth'
    converter.main([str(src), str(dst), '--target', 'unet'])
    state_dict = torch.load(dst)['state_dict']
    assert not any('backbone3d' in k or 'head' in k for k in state_dict)
    unet = SEG_MODELS.build(dict(type='ResNetUNet', depth=18, out_channels=16))
    result = unet.load_state_dict(strip(state_dict), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key in ('backbone.decoder.3.shortcut.conv.weight', 'backbone.out_proj.weight'):
        assert torch.equal(state_dict[key], original[key])


def test_non_pri3d_checkpoint_is_a_clear_error(converter, tmp_path):
    src = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}), src)
    with pytest.raises(mask3d_mm.utils.errors.DataError, match='not a Pri3D checkpoint'):
        converter.main([str(src), str(tmp_path / 'out.pth')])


def test_checkpoint_with_the_previous_concat_decoder_still_converts_and_loads(converter, tmp_path, capsys):
    backbone = dict(type='ResNetUNet', depth=18, decoder='concat', decoder_channels=(32, 32, 16, 16))
    old = MODELS.build(dict(type='Pri3D', mode='view', backbone=backbone, feat_channels=16))
    src, dst = tmp_path / 'old.pth', tmp_path / 'unet.pth'
    torch.save(dict(meta=dict(), state_dict=old.state_dict()), src)
    converter.main([str(src), str(dst), '--target', 'unet'])
    assert "decoder='concat'" in capsys.readouterr().out
    unet = SEG_MODELS.build(backbone)
    result = unet.load_state_dict(strip(torch.load(dst)['state_dict']), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
