"""Pri3D counts the pairs of a batch that have no correspondence (``pairs_without_matches``) and warns about them,
once and then at most every ``UNMATCHED_WARNING_INTERVAL`` iterations: a batch of only such pairs logs
``loss_view: 0.0``, which without the count reads like a converged loss."""
import torch
from mmpretrain.structures import DataSample

from mask3d_mm.models.algorithms import pri3d

from .test_correspondences import tiny_pri3d

SIZE = 32


def pair_sample(depth_value: float) -> DataSample:
    """Both views the same frame (a flat wall ``depth_value`` m away, identity pose): every valid pixel matches
    itself; ``depth_value`` 0 = no valid depth, no match."""
    K = torch.tensor([[30.0, 0, SIZE / 2], [0, 30.0, SIZE / 2], [0, 0, 1]])
    sample = DataSample()
    sample.set_field(torch.full((2, SIZE, SIZE), depth_value), 'depth')
    sample.set_field(torch.eye(4).repeat(2, 1, 1), 'pose')
    sample.set_field(K.repeat(2, 1, 1), 'intrinsic')
    return sample


def view_losses(model, depths):
    torch.manual_seed(0)
    images = torch.rand(len(depths), 3, SIZE, SIZE)
    return model.loss([images, images.clone()], [pair_sample(d) for d in depths])


def test_pairs_without_matches_are_counted_and_logged(monkeypatch):
    warnings = []
    monkeypatch.setattr(pri3d, 'print_log', lambda message, **kwargs: warnings.append(message))
    model = tiny_pri3d(mode='view', num_samples=64)
    losses = view_losses(model, [2.0, 0.0, 1.5])
    assert losses['pairs_without_matches'].item() == 1
    assert losses['loss_view'].item() > 0
    assert warnings == ['Pri3D: 1 of 3 pairs of the last 1 iteration(s) had no correspondence (their loss_view is '
                        "0): check their depth and poses, and the pairs file's min_overlap"]

    losses = view_losses(model, [0.0, 0.0])  # no match anywhere: the zero loss the log showed without a word
    assert losses['pairs_without_matches'].item() == 2 and losses['loss_view'].item() == 0
    assert len(warnings) == 1  # not again before the interval

    matched = view_losses(model, [2.0, 2.0])
    assert matched['pairs_without_matches'].item() == 0
    losses = view_losses(model, [2.0, 0.0])
    total, log_vars = model.parse_losses(losses)
    assert torch.equal(total, losses['loss_view']) and log_vars['pairs_without_matches'] == 1  # logged, not summed


def test_warnings_come_once_per_interval_with_the_count_since_the_last(monkeypatch):
    warnings = []
    monkeypatch.setattr(pri3d, 'print_log', lambda message, **kwargs: warnings.append(message))
    model = tiny_pri3d(mode='view')
    model.warn_unmatched(0, 8)  # a clean batch: nothing
    assert warnings == []
    model.warn_unmatched(2, 8)
    for _ in range(pri3d.UNMATCHED_WARNING_INTERVAL - 1):
        model.warn_unmatched(1, 8)
    assert len(warnings) == 1 and warnings[0].startswith('Pri3D: 2 of 16 pairs of the last 2 iteration(s)')
    model.warn_unmatched(0, 8)  # the interval is over: the count since the first warning
    interval = pri3d.UNMATCHED_WARNING_INTERVAL
    assert len(warnings) == 2
    assert warnings[1].startswith(f'Pri3D: {interval - 1} of {interval * 8} pairs of the last {interval} iteration')
