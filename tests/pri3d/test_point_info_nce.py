import math

import pytest
import torch

from mask3d_mm.models.losses.point_info_nce import PointInfoNCE


def test_hand_computed_symmetric_loss():
    # a0 matches b0, a1 matches b1, but b1 points the same way as b0: a0 cannot tell them apart.
    feats_a = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # normalised to e_x, e_y
    feats_b = torch.tensor([[1.0, 0.0], [5.0, 0.0]])  # normalised to e_x, e_x
    tau = 0.5  # logits a->b = [[2, 2], [0, 0]]
    a_to_b = (math.log(2) + math.log(2)) / 2
    b_to_a = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(2))) / 2  # logits b->a = [[2, 0], [2, 0]]
    loss = PointInfoNCE(temperature=tau)(feats_a, feats_b)
    assert loss.item() == pytest.approx((a_to_b + b_to_a) / 2, rel=1e-6)
    one_way = PointInfoNCE(temperature=tau, symmetric=False, loss_weight=3.0)(feats_a, feats_b)
    assert one_way.item() == pytest.approx(3 * a_to_b, rel=1e-6)


def test_padding_rows_are_neither_anchors_nor_negatives():
    torch.manual_seed(0)
    feats_a, feats_b = torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    valid = torch.tensor([[True] * 5, [True, True, True, False, False]])
    loss_fn = PointInfoNCE()
    batched = loss_fn(feats_a, feats_b, valid)
    # Per-row average over all 8 valid rows of both problems, each restricted to its own valid rows.
    first = loss_fn(feats_a[0], feats_b[0]) * 5
    second = loss_fn(feats_a[1, :3], feats_b[1, :3]) * 3
    assert batched.item() == pytest.approx(((first + second) / 8).item(), rel=1e-5)


def test_aligned_features_give_lower_loss_and_gradients():
    torch.manual_seed(0)
    feats = torch.randn(64, 16, requires_grad=True)
    loss_fn = PointInfoNCE(temperature=0.4)
    aligned = loss_fn(feats, feats + 0.01 * torch.randn(64, 16))
    shuffled = loss_fn(feats, feats[torch.randperm(64)])
    assert aligned < shuffled
    aligned.backward()
    assert feats.grad.abs().sum() > 0


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match='matched rows'):
        PointInfoNCE()(torch.zeros(3, 4), torch.zeros(2, 4))


def test_a_pair_without_matches_adds_nothing_and_no_nan():
    torch.manual_seed(0)
    feats_a = torch.randn(2, 6, 8, requires_grad=True)
    feats_b = torch.randn(2, 6, 8)
    valid = torch.tensor([[True] * 6, [False] * 6])  # the second pair found no correspondence
    loss = PointInfoNCE()(feats_a, feats_b, valid)
    assert loss.item() == pytest.approx(PointInfoNCE()(feats_a[0], feats_b[0]).item(), rel=1e-6)
    loss.backward()
    assert torch.isfinite(feats_a.grad).all() and feats_a.grad[1].abs().sum() == 0
