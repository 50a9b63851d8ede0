import pytest
import torch
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mask3d_mm  # noqa: F401


@pytest.mark.parametrize('height,width', [(64, 96), (70, 90)])
def test_output_is_half_resolution(height, width):
    model = MODELS.build(dict(type='ResNetUNet', depth=18, decoder_channels=(32, 32, 16, 16)))
    (feats,) = model(torch.randn(2, 3, height, width))
    assert feats.shape == (2, 16, (height + 1) // 2, (width + 1) // 2)


def test_registered_for_segmentation_and_encoder_is_mmpretrain_resnet():
    model = SEG_MODELS.build(dict(type='ResNetUNet', depth=50))
    assert type(model).__name__ == 'ResNetUNet'
    assert model.encoder.layer4[-1].out_channels == 2048
    assert model.decoder[0].conv1.conv.in_channels == 2048 + 1024
