import pytest
import torch
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mask3d_mm  # noqa: F401
from mask3d_mm.models.backbones.resnet_unet import UpProjection


@pytest.mark.parametrize('height,width', [(64, 96), (70, 90)])
def test_output_is_half_resolution_with_the_official_r18_width(height, width):
    model = MODELS.build(dict(type='ResNetUNet', depth=18))
    (feats,) = model(torch.randn(2, 3, height, width))
    assert feats.shape == (2, 32, (height + 1) // 2, (width + 1) // 2)  # Res18UNet: 32 channels


def test_r50_decoder_is_four_up_projections_halving_to_128_and_registered_for_segmentation():
    model = SEG_MODELS.build(dict(type='ResNetUNet', depth=50))
    assert type(model.encoder).__module__.startswith('mmpretrain') and model.out_channels == 128
    assert all(isinstance(block, UpProjection) for block in model.decoder)
    widths = [(b.conv1.conv.in_channels, b.conv1.conv.out_channels) for b in model.decoder]
    assert widths == [(2048, 1024), (1024, 512), (512, 256), (256, 128)]
    block = model.decoder[0]
    assert block.conv1.conv.kernel_size == (5, 5) and block.conv2.conv.kernel_size == (3, 3)
    assert block.shortcut.conv.kernel_size == (5, 5) and not block.conv2.with_activation  # ReLU after the sum
    assert model.out_proj.kernel_size == (1, 1) and model.out_proj.out_channels == 128


def test_skips_are_added_not_concatenated():
    """With the first up-projection silenced (its BN outputs 0), the second one receives exactly the encoder's
    1/16 map: the skip is added to the decoder stream."""
    torch.manual_seed(0)
    model = MODELS.build(dict(type='ResNetUNet', depth=18)).eval()
    for bn in (model.decoder[0].conv2.bn, model.decoder[0].shortcut.bn):
        torch.nn.init.zeros_(bn.weight)
        torch.nn.init.zeros_(bn.bias)
    received = {}
    model.decoder[1].register_forward_hook(lambda module, args, out: received.update(x=args[0]))
    img = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        model(img)
        encoder_1_16 = model.encode(img)[3]  # (1, 256, 4, 6)
    torch.testing.assert_close(received['x'], encoder_1_16)


def test_concat_decoder_stays_available_for_old_checkpoints():
    model = MODELS.build(dict(type='ResNetUNet', depth=18, decoder='concat', decoder_channels=(32, 32, 16, 16)))
    assert model.decoder[0].conv1.conv.in_channels == 512 + 256
    (feats,) = model(torch.randn(1, 3, 64, 96))
    assert feats.shape == (1, 16, 32, 48)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="decoder_channels is for decoder='concat'"):
        MODELS.build(dict(type='ResNetUNet', depth=18, decoder_channels=(32, 32, 16, 16)))
    with pytest.raises(ValueError, match='torchvision://resnet18'):
        MODELS.build(dict(type='ResNetUNet', depth=18, encoder_cfg=dict(
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))))
