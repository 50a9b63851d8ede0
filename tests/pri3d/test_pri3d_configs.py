"""Every real Pri3D config runs Pri3D as its authors did: ImageNet-initialised encoder (named, fetched by mmengine),
the official up-projection UNet with its feature widths, linear geometric-prior heads, the Res U-Net 34 3D network.
Models are built, never initialised here: no download in CI."""
import pytest
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mask3d_mm.models.backbones.resnet_unet import UpProjection
from mask3d_mm.models.backbones.sparse_unet import RES_UNET34
from tests.conftest import REPO

CONFIG_DIR = REPO / 'configs' / 'pri3d'
REAL = sorted(p.name for p in CONFIG_DIR.glob('*_scannet.py'))


def test_real_configs_exist_in_both_inits():
    assert len(REAL) >= 8 and any('scratch' in name for name in REAL)


@pytest.mark.parametrize('name', REAL)
def test_real_config_encoder_init_names_an_imagenet_checkpoint(name):
    cfg = Config.fromfile(CONFIG_DIR / name)
    model = MODELS.build(cfg.model)
    if 'vit' in name:
        init = model.backbone.init_cfg
        assert init['type'] == 'Pretrained' and 'in1k' in init['checkpoint']
        return
    depth = cfg.model.backbone.depth
    init = model.backbone.encoder.init_cfg
    if 'scratch' in name:
        assert init is None
    else:
        assert init == dict(type='Pretrained', checkpoint=f'torchvision://resnet{depth}')
    assert all(isinstance(block, UpProjection) for block in model.backbone.decoder)
    assert model.backbone.out_channels == cfg.model.feat_channels == {18: 32, 50: 128}[depth]
    if 'geo' in name:
        assert model.head2d.out_features == model.head3d.out_features == 64  # one linear layer each side
        assert {k: cfg.model.backbone3d[k] for k in RES_UNET34} == RES_UNET34
