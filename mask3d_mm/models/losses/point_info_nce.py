"""PointInfoNCE (PointContrast, Xie et al. 2020; Pri3D eq. 1).

Row ``n`` of ``feats_a`` and row ``n`` of ``feats_b`` describe the same 3D point; every other row of the other
side is a negative. Features are L2-normalised, so ``f_a . f_b / tau`` is a cosine similarity over temperature.
"""
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

# Added to the logits of padded rows so they are never negatives: finite in fp16 / bf16 / fp32 (a pair without any
# valid row then gives a uniform softmax, not NaN) and far below any cosine / temperature.
NEVER_A_NEGATIVE = torch.finfo(torch.float16).min


def info_nce(anchors, candidates, valid, temperature):
    """Mean cross-entropy of each valid anchor row against its own row of ``candidates`` (the diagonal).

    One contiguous ``(B, N, N)`` logits matrix per direction with a fused log-softmax: reducing a transposed view
    of a shared matrix instead was 2x slower (the loss was ~60 % of a Pri3D ViT-tiny step on CPU)."""
    padding = torch.zeros(valid.shape, dtype=anchors.dtype, device=anchors.device)
    padding = padding.masked_fill(~valid, NEVER_A_NEGATIVE)[:, None, :]  # (B, 1, N)
    logits = torch.baddbmm(padding, anchors, candidates.transpose(1, 2), alpha=1 / temperature)  # (B, N, N)
    target = torch.arange(valid.shape[1], device=valid.device).expand_as(valid)  # (B, N): the diagonal
    nll = F.cross_entropy(logits.flatten(0, 1).float(), target.flatten(), reduction='none').view_as(valid)
    return torch.where(valid, nll, 0.0).sum() / valid.sum().clamp(min=1)


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
        loss = info_nce(feats_a, feats_b, valid, self.temperature)
        if self.symmetric:
            loss = 0.5 * (loss + info_nce(feats_b, feats_a, valid, self.temperature))
        return self.loss_weight * loss
