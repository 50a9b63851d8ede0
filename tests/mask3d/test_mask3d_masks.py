"""Mask3D's patch masks (drawn in the model): exact counts, block structure, complementary masks, seeding, the
masking knobs end to end, sizes derived from the backbone, and old depth-encoder checkpoints."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mask3d_mm.models.utils import PatchMaskSampler, block_mask
from mask3d_mm.utils.errors import ConfigError

from .conftest import build_model
from .test_mask3d_model import train_steps


def masks(sampler: PatchMaskSampler, num: int, first_seed: int = 0):
    return sampler(list(range(first_seed, first_seed + num)))


@pytest.mark.parametrize('rgb_ratio,depth_ratio', [(0.6, 0.6), (0.8, 0.4), (0.9, 0.9), (0.75, 0.0), (0.5, 1.0)])
@pytest.mark.parametrize('kind', ['random', 'block'])
def test_mask_counts_are_exact_at_every_ablation_ratio(kind, rgb_ratio, depth_ratio):
    """On the 14 x 14 grid of a 224 input; mmpretrain's BEiT generator never terminates at 0.9 here."""
    sampler = PatchMaskSampler((14, 14), rgb_ratio, depth_ratio, rgb_mask_type=kind, depth_mask_type=kind)
    rgb_mask, depth_mask = masks(sampler, 5)
    assert rgb_mask.shape == depth_mask.shape == (5, 196) and rgb_mask.dtype == torch.bool
    assert (rgb_mask.sum(1) == 196 - int(196 * (1 - rgb_ratio))).all()
    assert (depth_mask.sum(1) == 196 - int(196 * (1 - depth_ratio))).all()


def test_masks_follow_the_sample_seeds():
    sampler = PatchMaskSampler((8, 6), 0.75, 0.5)
    first, again = masks(sampler, 4), masks(sampler, 4)
    assert all(torch.equal(a, b) for a, b in zip(first, again))  # same seeds, same masks
    rgb_mask, depth_mask = first
    assert len({tuple(m.tolist()) for m in rgb_mask}) == 4  # a fresh mask per sample
    assert not torch.equal(rgb_mask, depth_mask)  # independent modalities
    torch.manual_seed(3)
    unseeded = sampler([None, None])
    torch.manual_seed(3)
    assert all(torch.equal(a, b) for a, b in zip(unseeded, sampler([None, None])))  # torch's global RNG


def masked_neighbour_fraction(mask: np.ndarray) -> float:
    """Of the masked patches, the fraction whose right or lower neighbour is masked too."""
    right = mask[:, :-1] & mask[:, 1:]
    down = mask[:-1] & mask[1:]
    return (right.sum() + down.sum()) / (2 * mask.sum())


def test_block_masks_are_contiguous_and_reach_every_border():
    block = PatchMaskSampler((14, 14), 0.4, 0.4, depth_mask_type='block')
    _, block_masks = masks(block, 40)
    rgb_random, _ = masks(block, 40)
    block_masks = block_masks.reshape(40, 14, 14).numpy()
    random_masks = rgb_random.reshape(40, 14, 14).numpy()
    assert (np.mean([masked_neighbour_fraction(m) for m in block_masks])
            > np.mean([masked_neighbour_fraction(m) for m in random_masks]) + 0.2)
    coverage = block_masks.mean(0)  # (14, 14): how often each patch was hidden
    assert coverage[-1].min() > 0 and coverage[:, -1].min() > 0  # last row / column are not spared
    generator = torch.Generator().manual_seed(0)
    assert int(block_mask((14, 14), 190, generator).sum()) == 190  # tops up with single patches


@pytest.mark.parametrize('depth_kind', ['random', 'block'])
def test_complementary_masks_never_show_a_patch_twice(depth_kind):
    sampler = PatchMaskSampler((8, 8), 0.7, 0.75, depth_mask_type=depth_kind, complementary=True)
    rgb_mask, depth_mask = masks(sampler, 20)
    assert not ((~rgb_mask) & (~depth_mask)).any()  # visible in at most one modality
    assert (rgb_mask.sum(1) == 64 - int(64 * 0.3)).all() and (depth_mask.sum(1) == 64 - int(64 * 0.25)).all()
    # 19 + 16 visible < 64: the rest is hidden in both
    assert ((rgb_mask & depth_mask).sum(1) == 64 - 19 - 16).all()
    with pytest.raises(ValueError, match=r'32 \+ 33 visible'):  # 0.5 / 0.48 on 64 patches cannot be complementary
        PatchMaskSampler((8, 8), 0.5, 0.48, complementary=True)


@pytest.mark.parametrize('knobs', [
    dict(depth_mask_ratio=1.0, rgb_mask_ratio=0.5, loss_patches='all'),  # RGB-only -> dense depth
    dict(rgb_mask_ratio=0.5, depth_mask_ratio=0.75, depth_mask_type='block', complementary=True),
    dict(loss_patches='both_masked'),
])
def test_masking_knobs_train(cfg, batch, knobs):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(knobs)
    model = build_model(model_cfg)
    assert (model.depth_encoder is None) == (knobs.get('depth_mask_ratio') == 1.0)
    history = train_steps(model, batch, num_steps=8)
    losses = [h['loss_depth'] for h in history]
    assert np.isfinite(losses).all() and losses[-1] < 0.8 * losses[0], losses
    if model.depth_encoder is None:  # nothing visible to copy from
        assert 'copy_baseline_l1' not in history[0]


def test_depth_encoder_from_bare_patch_embedding(cfg, batch):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.depth_encoder.num_layers = 0
    model = build_model(model_cfg)
    assert len(model.depth_encoder.layers) == 0
    assert {k.split('.')[0] for k, _ in model.depth_encoder.named_parameters()} == {'patch_embed', 'pos_embed', 'ln1'}
    history = train_steps(model, batch, num_steps=6)
    assert history[-1]['loss_depth'] < history[0]['loss_depth']


def test_sizes_come_from_the_backbone_and_contradictions_are_refused(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.update(img_size=(64, 96), patch_size=32)
    model = MODELS.build(model_cfg)
    assert model.depth_encoder.patch_resolution == model.backbone.patch_resolution == (2, 3)
    assert model.neck.num_patches == 6 and model.neck.patch_resolution == (2, 3) and model.head.patch_size == 32
    assert model.neck.decoder_pred.out_features == 32 * 32
    model_cfg.neck.num_patches = 16
    with pytest.raises(ConfigError, match='model.neck.num_patches=16 contradicts 6'):
        MODELS.build(model_cfg)


def test_old_depth_encoder_checkpoint_loads_unchanged(cfg, batch):
    """Before the depth encoder became a Mask3DViT its final LayerNorm was `norm.*`: such a state dict loads
    strictly and gives the same depth tokens."""
    model = build_model(cfg.model).eval()
    old_layout = {k.replace('depth_encoder.ln1.', 'depth_encoder.norm.'): v for k, v in model.state_dict().items()}
    assert 'depth_encoder.norm.weight' in old_layout and 'depth_encoder.ln1.weight' not in old_layout
    other = build_model(cfg.model, seed=1).eval()
    other.load_state_dict(old_layout, strict=True)
    data = model.data_preprocessor(batch)
    with torch.no_grad():
        expected, got = (m.reconstruct(data['inputs'], data['data_samples'])['depth_pred'] for m in (model, other))
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
