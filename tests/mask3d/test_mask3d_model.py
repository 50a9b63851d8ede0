"""Mask3D model: masking, the depth loss with invalid pixels, training signal, and the ViT it leaves behind."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmpretrain.models import VisionTransformer
from mmpretrain.registry import MODELS

from mask3d_mm.utils.errors import DataError
from tests.conftest import load_tool

from .conftest import build_model

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def plain_vit(model_cfg) -> VisionTransformer:
    """The fine-tuning view of ``model_cfg.backbone``: an mmpretrain VisionTransformer of the same shape."""
    backbone = model_cfg.backbone
    return VisionTransformer(arch=dict(backbone.arch), img_size=backbone.img_size, patch_size=backbone.patch_size,
                             out_type='raw', final_norm=True)


def test_encoders_see_exactly_the_visible_patches(cfg, batch):
    """Token counts follow each modality's ratio, and pixels under masked patches cannot reach the encoders."""
    model = build_model(cfg.model).eval()
    data = model.data_preprocessor(batch)
    rgb, depth = data['inputs'][:, :3], model.data_preprocessor.normalize_depth(data['inputs'][:, 3:])
    inputs = torch.cat([rgb, depth], dim=1)  # what the two encoders see
    rgb_mask, depth_mask = model.draw_masks(data['data_samples'], inputs.device)  # (B, N) each
    num_patches = rgb_mask.shape[1]
    with torch.no_grad():
        rgb_latent, rgb_ids = model.backbone(inputs[:, :3], mask=rgb_mask)
        depth_latent, depth_ids = model.depth_encoder(inputs[:, 3:], mask=depth_mask)
    assert rgb_latent.shape[1] == 1 + int(num_patches * (1 - 0.8)) == 1 + rgb_ids.shape[1]
    assert depth_latent.shape[1] == int(num_patches * (1 - 0.8)) == depth_ids.shape[1]
    for ids, mask in ((rgb_ids, rgb_mask), (depth_ids, depth_mask)):
        assert not mask.gather(1, ids).any()  # only unmasked patches are encoded

    # scramble every pixel under a masked patch: the encoders' outputs must not move
    pixel_mask = torch.stack([rgb_mask, depth_mask], 1).float().reshape(-1, 2, 4, 4)  # (B, 2, rows, cols)
    pixel_mask = pixel_mask.repeat_interleave(16, 2).repeat_interleave(16, 3).bool()  # (B, 2, H, W)
    noise = torch.randn_like(inputs) * 5
    scrambled = inputs.clone()
    scrambled[:, :3] = torch.where(pixel_mask[:, :1], noise[:, :3], inputs[:, :3])
    scrambled[:, 3:] = torch.where(pixel_mask[:, 1:], noise[:, 3:], inputs[:, 3:])
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(scrambled[:, :3], mask=rgb_mask)[0], rgb_latent)
        torch.testing.assert_close(model.depth_encoder(scrambled[:, 3:], mask=depth_mask)[0], depth_latent)
        assert not torch.allclose(model.backbone(scrambled[:, :3])[0], model.backbone(inputs[:, :3])[0])


def depth_head(norm_depth: bool, criterion: str = 'L1'):
    return MODELS.build(dict(type='Mask3DDepthHead', patch_size=4, criterion=criterion, norm_depth=norm_depth))


@pytest.mark.parametrize('norm_depth', [False, True])
@pytest.mark.parametrize('criterion', ['L1', 'L2'])
def test_depth_loss_ignores_invalid_pixels_and_visible_patches(norm_depth, criterion):
    torch.manual_seed(0)
    head = depth_head(norm_depth, criterion)
    gt = torch.rand(2, 1, 8, 12) * 3 + 0.5  # (B, 1, H, W): 2 x 3 patches of 4x4
    gt[torch.rand_like(gt) < 0.3] = 0
    loss_mask = torch.tensor([[1, 0, 1, 1, 0, 1], [0, 1, 1, 0, 0, 1]])  # (B, N)
    pred = torch.randn(2, 6, 16, requires_grad=True)  # (B, N, p*p)
    loss = head.loss(pred, gt, loss_mask)
    (grad,) = torch.autograd.grad(loss, pred)
    valid = head.patchify(gt) > 0  # (B, N, p*p)
    in_loss = valid & loss_mask.bool()[..., None]
    assert (grad[~in_loss] == 0).all() and (grad[in_loss] != 0).all()

    # any prediction at invalid pixels / unmasked patches gives the same loss
    other = torch.where(in_loss, pred, torch.randn_like(pred) * 100)
    torch.testing.assert_close(head.loss(other, gt, loss_mask), loss, rtol=0, atol=0)
    # and the loss is the mean error over exactly those pixels
    target, _ = head.construct_target(gt)
    error = (pred - target)[in_loss]
    expected = error.abs().mean() if criterion == 'L1' else (error ** 2).mean()
    torch.testing.assert_close(loss, expected)


def test_norm_depth_statistics_use_valid_pixels_only():
    head = depth_head(norm_depth=True)
    rng = np.random.default_rng(0)
    gt = rng.uniform(0.5, 4, (1, 1, 4, 8)).astype(np.float32)  # two 4x4 patches
    gt[0, 0, :2, :3] = 0  # 6 invalid pixels in patch 0
    gt[0, 0, :, 4:] = 0  # patch 1: no valid pixel at all
    target, valid = head.construct_target(torch.from_numpy(gt))
    values = gt[0, 0, :, :4].reshape(-1)
    kept = values[values > 0]
    expected = (kept - kept.mean()) / np.sqrt(kept.var(ddof=1) + head.eps)
    np.testing.assert_allclose(target[0, 0][valid[0, 0]].numpy(), expected, rtol=1e-5, atol=1e-6)
    assert not valid[0, 1].any() and torch.isfinite(target).all()
    # depth_from_prediction inverts the normalization on valid pixels
    restored = head.depth_from_prediction(target, torch.from_numpy(gt))
    torch.testing.assert_close(restored[torch.from_numpy(gt) > 0], torch.from_numpy(gt)[torch.from_numpy(gt) > 0])


def train_steps(model, batch, num_steps: int, lr: float = 1e-3):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95))
    data = model.data_preprocessor(batch, training=True)
    history = []
    for _ in range(num_steps):
        losses = model.loss(data['inputs'], data['data_samples'])
        total = sum(v for k, v in losses.items() if 'loss' in k)  # mmengine's parse_losses rule
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append({k: v.item() for k, v in losses.items()})
    return history


def test_loss_decreases_on_a_fixed_synthetic_batch(cfg, batch):
    history = train_steps(build_model(cfg.model), batch, num_steps=12)
    first, last = history[0]['loss_depth'], history[-1]['loss_depth']
    assert np.isfinite(first) and last < 0.65 * first, [h['loss_depth'] for h in history]


def test_mask3d_mae_variant_reconstructs_depth_and_rgb(cfg, batch):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.neck.predict_rgb = True
    model_cfg.rgb_head = dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                              loss=dict(type='PixelReconstructionLoss', criterion='L2'))
    model = build_model(model_cfg)
    history = train_steps(model, batch, num_steps=6)
    assert set(history[0]) == {'loss_depth', 'loss_rgb', 'depth_l1', 'copy_baseline_l1'}
    assert all(np.isfinite(v) for h in history for v in h.values())
    assert history[-1]['loss_rgb'] < history[0]['loss_rgb']
    assert history[-1]['loss_depth'] < history[0]['loss_depth']


def test_extract_feat_is_a_plain_vision_transformer_forward(cfg, batch):
    model = build_model(cfg.model).eval()
    vit = plain_vit(cfg.model)
    vit.load_state_dict(model.backbone.state_dict(), strict=True)
    vit.eval()  # (VisionTransformer.train returns None: no chaining)
    inputs = model.data_preprocessor(batch)['inputs']
    with torch.no_grad():
        features = model.extract_feat(inputs)
        reference = vit(inputs[:, :3])
    assert len(features) == len(reference) == 1
    assert features[0].shape == (4, 1 + 16, 192)
    torch.testing.assert_close(features[0], reference[0], rtol=0, atol=0)


def test_get_layer_depth_follows_the_rgb_vit(cfg):
    model = build_model(cfg.model)
    num_layers = cfg.model.backbone.arch.num_layers
    assert model.get_layer_depth('backbone.cls_token') == (0, num_layers + 2)
    assert model.get_layer_depth('backbone.patch_embed.projection.weight') == (0, num_layers + 2)
    assert model.get_layer_depth('backbone.layers.3.attn.qkv.weight') == (4, num_layers + 2)
    for name in ('neck.decoder_blocks.0.attn.qkv.weight', 'depth_encoder.layers.0.attn.qkv.weight'):
        assert model.get_layer_depth(name) == (num_layers + 1, num_layers + 2)
    for name, _ in model.named_parameters():  # every parameter has a depth
        assert 0 <= model.get_layer_depth(name)[0] <= num_layers + 1


def test_converter_output_loads_into_vision_transformer(cfg, batch, tmp_path, capsys):
    model = build_model(cfg.model).eval()
    src, dst = tmp_path / 'epoch_1.pth', tmp_path / 'vit.pth'
    state = model.state_dict()
    state['backbone.stray_buffer'] = torch.zeros(1)  # must be reported, not silently dropped
    torch.save(dict(state_dict=state, meta=dict(epoch=1)), src)
    load_tool('tools/model_converters/mask3d_to_backbone.py').main([str(src), str(dst)])
    report = capsys.readouterr().out
    assert 'missing keys (0): []' in report
    assert "unexpected keys (1): ['stray_buffer']" in report

    converted = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    assert converted and all(k.startswith('backbone.') for k in converted)
    assert not any(k.startswith(('backbone.depth', 'neck', 'head')) for k in converted)
    del state['backbone.stray_buffer']
    torch.save(dict(state_dict=state), src)
    load_tool('tools/model_converters/mask3d_to_backbone.py').main([str(src), str(dst)])
    assert 'unexpected keys (0): []' in capsys.readouterr().out

    vit = plain_vit(cfg.model)
    vit.init_cfg = dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.')
    vit.init_weights()
    inputs = model.data_preprocessor(batch)['inputs'][:, :3]
    with torch.no_grad():
        vit.eval()
        torch.testing.assert_close(vit(inputs)[0], model.extract_feat(inputs)[0], rtol=0, atol=0)


def test_converter_rejects_a_checkpoint_without_backbone(tmp_path):
    src = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'head.weight': torch.zeros(1)}), src)
    with pytest.raises(DataError, match='other.pth'):
        load_tool('tools/model_converters/mask3d_to_backbone.py').convert(str(src), str(tmp_path / 'out.pth'))
