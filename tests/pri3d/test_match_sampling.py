"""Pri3D draws a fixed number of matches per pair / frame: distinct when enough exist, with replacement otherwise
(the official ``np.random.choice(n, N, replace=N > n)``)."""
import torch

from mask3d_mm.models.algorithms.pri3d import sample_matches


def test_enough_matches_are_drawn_without_replacement_and_few_with_replacement():
    gen = torch.Generator().manual_seed(0)
    valid = torch.zeros(3, 50, dtype=torch.bool)
    valid[0, 10:40] = True  # 30 matches >= 16: distinct
    valid[1, [3, 7, 11]] = True  # 3 matches < 16: each drawn several times
    idx, mask = sample_matches(valid, 16, generator=gen)
    assert idx.shape == mask.shape == (3, 16)
    assert mask[:2].all() and not mask[2].any() and (idx[2] == 0).all()  # row 2: no match at all
    assert len(set(idx[0].tolist())) == 16 and valid[0, idx[0]].all()
    assert set(idx[1].tolist()) == {3, 7, 11}  # 16 draws from 3: all three appear (P(miss) ~ 3 * (2/3)^16)


def test_exactly_enough_matches_are_all_drawn_once():
    valid = torch.zeros(1, 20, dtype=torch.bool)
    valid[0, ::2] = True
    idx, mask = sample_matches(valid, 10)
    assert sorted(idx[0].tolist()) == list(range(0, 20, 2)) and mask.all()


def test_no_candidates_at_all():
    idx, mask = sample_matches(torch.zeros(2, 0, dtype=torch.bool), 4)
    assert idx.shape == (2, 4) and not mask.any()
