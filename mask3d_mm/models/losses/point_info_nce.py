"""PointInfoNCE (PointContrast, Xie et al. 2020; Pri3D eq. 1).

Row ``n`` of ``feats_a`` and row ``n`` of ``feats_b`` describe the same 3D point; every other row of the other
side is a negative. Features are L2-normalised, so ``f_a . f_b / tau`` is a cosine similarity over temperature.
"""
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn


def info_nce(logits, valid):
    """Cross-entropy of each valid row against its diagonal entry; invalid columns are never negatives."""
    logits = logits.masked_fill(~valid[:, None, :], torch.finfo(logits.dtype).min)  # (B, N, N); finite: no NaN
    log_prob = logits.diagonal(dim1=1, dim2=2) - torch.logsumexp(logits, dim=2)  # (B, N)
    return -torch.where(valid, log_prob, 0.0).sum() / valid.sum().clamp(min=1)


@MODELS.register_module()
class PointInfoNCE(nn.Module):
    """Args:
        temperature: tau in eq. 1 (Pri3D: 0.4).
        symmetric: average the a->b and b->a directions.
        loss_weight: scale of the returned loss.

    ``forward(feats_a, feats_b, valid=None)`` takes ``(N, C)`` or ``(B, N, C)`` matched rows (one contrastive
    problem per batch item) and an optional ``(B, N)`` bool mask for padded rows.
    """

    def __init__(self, temperature=0.4, symmetric=True, loss_weight=1.0):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'PointInfoNCE temperature must be > 0, got {temperature}')
        self.temperature, self.symmetric, self.loss_weight = temperature, symmetric, loss_weight

    def forward(self, feats_a, feats_b, valid=None):
        if feats_a.shape != feats_b.shape:
            raise ValueError(f'PointInfoNCE needs matched rows, got {tuple(feats_a.shape)} vs {tuple(feats_b.shape)}')
        if feats_a.dim() == 2:
            feats_a, feats_b = feats_a[None], feats_b[None]  # (1, N, C)
            valid = None if valid is None else valid[None]
        if valid is None:
            valid = feats_a.new_ones(feats_a.shape[:2], dtype=torch.bool)  # (B, N)
        feats_a, feats_b = F.normalize(feats_a, dim=-1), F.normalize(feats_b, dim=-1)
        logits = feats_a @ feats_b.transpose(1, 2) / self.temperature  # (B, N, N)
        loss = info_nce(logits, valid)
        if self.symmetric:
            loss = 0.5 * (loss + info_nce(logits.transpose(1, 2), valid))
        return self.loss_weight * loss
