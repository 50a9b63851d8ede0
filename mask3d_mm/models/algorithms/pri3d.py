"""Pri3D (Hou et al., ICCV 2021): 3D priors for 2D backbones from RGB-D pairs.

* view loss: pixels of frame i and j that see the same surface point (depth warp + depth agreement) are
  positives in a symmetric PointInfoNCE over 1/2-resolution 2D features;
* geo loss: pixels and the occupied 2 cm voxel of the frame's chunk their depth lands in are positives between
  2D features and a sparse 3D UNet's voxel features (each through one linear layer, as the official ``w2d`` /
  ``w3d``).

Both losses draw ``num_samples`` matches per pair / frame as the official code does: without replacement when there
are enough, with replacement when fewer exist (so every pair contributes a full-size contrastive problem).

All matching happens here, batched in torch on the training device, from the depth / pose / intrinsics the
pair dataset packs (see ``mask3d_mm.datasets.pri3d_pairs``).
"""
import logging
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from mask3d_mm import geometry

MODES = ('view', 'geo', 'view+geo')
UNMATCHED_WARNING_INTERVAL = 100  # loss calls at least between two warnings about pairs without correspondences


def half_res_camera(depth, K):
    """Depth and intrinsics of the 1/2-resolution feature grid: feature pixel (u, v) <-> input pixel (2u, 2v)."""
    half_K = K.clone()
    half_K[..., :2, :] *= 0.5  # rows fx, cx / fy, cy; no constant copied from the host
    return depth[..., ::2, ::2], half_K  # (..., h, w), (..., 3, 3)


def sample_matches(valid, num_samples, generator=None):
    """``num_samples`` column indices per row of ``valid (B, P)`` among its True entries: distinct when the row has
    at least ``num_samples``, drawn with replacement when it has fewer (Pri3D's ``np.random.choice(n, N,
    replace=N > n)``). Returns ``idx (B, num_samples)`` and ``mask (B, num_samples)``, False only for rows without
    any valid entry (their indices are 0)."""
    idx = torch.zeros(valid.shape[0], num_samples, dtype=torch.long, device=valid.device)
    counts = valid.sum(1)  # (B,)
    if valid.shape[1] == 0:
        return idx, torch.zeros_like(idx, dtype=torch.bool)
    weights = valid.float() + (counts == 0)[:, None].float()  # a row without matches: any index, masked below
    enough = counts >= num_samples
    if enough.any():
        idx[enough] = torch.multinomial(weights[enough], num_samples, replacement=False, generator=generator)
    if (~enough).any():
        idx[~enough] = torch.multinomial(weights[~enough], num_samples, replacement=True, generator=generator)
    mask = (counts > 0)[:, None].expand(-1, num_samples)
    return torch.where(mask, idx, torch.zeros_like(idx)), mask


@MODELS.register_module()
class Pri3D(BaseSelfSupervisor):
    """Args:
        backbone: 2D backbone returning a feature map (ResNetUNet at 1/2 res; a ViT's 1/16 ``featmap`` output is
            bilinearly upsampled to 1/2 res).
        mode: 'view' | 'geo' | 'view+geo'.
        backbone3d: sparse 3D UNet (``SparseUNet3D``), needed for 'geo'.
        feat_channels: width of the 2D backbone output; ``feat3d_channels``: of the 3D one.
        proj_channels: width of the linear projections of the geo loss (official: 64; the view loss uses the
            features as-is).
        num_samples: correspondences sampled per pair (view) / per frame (geo), with replacement when fewer exist.
        depth_tol: metres; a warped pixel matches when its depth agrees with the other frame's at the nearest
            pixel (5 cm: Pri3D's 2 cm world distance loses grazing surfaces at 1/2 resolution and noisy depth).
            Also the occlusion test: a surface nearer than this in front of the pixel is not seen as occluding.
        loss: PointInfoNCE config (Pri3D: temperature 0.4, symmetric).
        view_weight / geo_weight: loss weights.

    Besides the losses, the view mode logs ``pairs_without_matches``: how many pairs of the batch have no
    correspondence (their view loss is 0; a batch of only such pairs logs ``loss_view: 0.0``), and warns when there
    are any -- once, then at most every ``UNMATCHED_WARNING_INTERVAL`` iterations, with the count since the last
    warning.
    """

    def __init__(self, backbone, mode='view', backbone3d=None, feat_channels=128, feat3d_channels=96,
                 proj_channels=64, num_samples=1024, depth_tol=0.05, loss=None, view_weight=1.0, geo_weight=1.0,
                 data_preprocessor=None, init_cfg=None, **kwargs):
        if mode not in MODES:
            raise ValueError(f'Pri3D mode must be one of {MODES}, got {mode!r}')
        if 'geo' in mode and backbone3d is None:
            raise ValueError("Pri3D mode 'geo' / 'view+geo' needs backbone3d (e.g. dict(type='SparseUNet3D'))")
        super().__init__(backbone=backbone, data_preprocessor=data_preprocessor, init_cfg=init_cfg, **kwargs)
        self.mode, self.num_samples, self.depth_tol = mode, num_samples, depth_tol
        self.view_weight, self.geo_weight = view_weight, geo_weight
        self.contrast = MODELS.build(loss or dict(type='PointInfoNCE', temperature=0.4))
        if 'geo' in mode:
            self.backbone3d = MODELS.build(backbone3d)
            self.head2d = nn.Linear(feat_channels, proj_channels)
            self.head3d = nn.Linear(feat3d_channels, proj_channels)
        self._unmatched = dict(pairs=0, of=0, calls=0, last_warning=None)

    def extract_feat(self, inputs):
        """``(B, 3, H, W)`` -> ``(B, C, ceil(H/2), ceil(W/2))``."""
        feats = self.backbone(inputs)[-1]
        half_hw = ((inputs.shape[2] + 1) // 2, (inputs.shape[3] + 1) // 2)
        if feats.shape[-2:] != half_hw:  # e.g. a ViT's 1/16 grid
            feats = F.interpolate(feats, size=half_hw, mode='bilinear', align_corners=False)
        return feats

    def loss(self, inputs, data_samples, **kwargs) -> Dict[str, torch.Tensor]:
        img_i, img_j = inputs[0], inputs[1]  # (B, 3, H, W) each
        feats = self.extract_feat(torch.cat([img_i, img_j]))  # (2B, C, h, w)
        depth = torch.stack([s.depth for s in data_samples])  # (B, 2, H, W)
        pose = torch.stack([s.pose for s in data_samples])  # (B, 2, 4, 4)
        half_depth, half_K = half_res_camera(depth, torch.stack([s.intrinsic for s in data_samples]))
        batch = img_i.shape[0]
        view_feats = feats.view(2, batch, *feats.shape[1:]).transpose(0, 1)  # (B, 2, C, h, w)
        losses = {}
        if 'view' in self.mode:
            loss_view, unmatched = self.view_loss(view_feats, half_depth, half_K, pose)
            losses['loss_view'] = self.view_weight * loss_view
            losses['pairs_without_matches'] = unmatched.float()  # logged only: no 'loss' in the name
            self.warn_unmatched(int(unmatched), batch)
        if 'geo' in self.mode:
            losses['loss_geo'] = self.geo_weight * self.geo_loss(view_feats, half_depth, half_K, pose,
                                                                 data_samples)
        return losses

    def view_correspondences(self, depth, K, pose):
        """Sampled matches of every pair, i warped into j: ``idx_i, idx_j, valid`` each ``(B, num_samples)``."""
        match_j, valid = geometry.batched_frame_correspondences(depth[:, 0], depth[:, 1], K[:, 0], K[:, 1],
                                                                pose[:, 0], pose[:, 1], depth_tol=self.depth_tol)
        idx_i, mask = sample_matches(valid, self.num_samples)  # (B, N) each
        return idx_i, torch.gather(match_j, 1, idx_i).clamp(min=0), mask

    def view_loss(self, feats, depth, K, pose) -> Tuple[torch.Tensor, torch.Tensor]:
        """The view loss and the number of pairs without any correspondence (a 0-dim tensor)."""
        flat = feats.flatten(3).transpose(2, 3)  # (B, 2, hw, C)
        idx_i, idx_j, valid = self.view_correspondences(depth, K, pose)  # (B, N) each
        unmatched = (~valid.any(1)).sum()
        if not valid.any():  # no match in the whole batch: a zero loss that keeps the graph
            return flat.sum() * 0.0, unmatched
        feats_i = torch.gather(flat[:, 0], 1, idx_i[..., None].expand(-1, -1, flat.shape[-1]))  # (B, N, C)
        feats_j = torch.gather(flat[:, 1], 1, idx_j[..., None].expand(-1, -1, flat.shape[-1]))
        return self.contrast(feats_i, feats_j, valid), unmatched

    def warn_unmatched(self, unmatched: int, pairs: int) -> None:
        """Count pairs without correspondences; warn at the first, then at most every
        ``UNMATCHED_WARNING_INTERVAL`` calls, with the count since the previous warning."""
        state = self._unmatched
        state['pairs'] += unmatched
        state['of'] += pairs
        state['calls'] += 1
        last = state['last_warning']
        if state['pairs'] == 0 or (last is not None and state['calls'] - last < UNMATCHED_WARNING_INTERVAL):
            return
        calls = state['calls'] - (last or 0)
        print_log(f"Pri3D: {state['pairs']} of {state['of']} pairs of the last {calls} iteration(s) had no "
                  'correspondence (their loss_view '
                  'is 0): check their depth and poses, and the pairs file\'s min_overlap',
                  logger='current', level=logging.WARNING)
        state.update(pairs=0, of=0, last_warning=state['calls'])

    def pixel_voxel_matches(self, depth, K, pose, chunk_coords, voxel_size):
        """For one view: flat pixel indices and the chunk rows of the occupied voxel each pixel's depth lands
        in (pixels whose voxel is not in the chunk have no match)."""
        valid_pixels = torch.nonzero(depth.reshape(-1) > 0).squeeze(1)  # (P,)
        if valid_pixels.numel() == 0 or len(chunk_coords) == 0:
            return valid_pixels[:0], valid_pixels[:0]
        world = geometry.depth_to_world(depth, K, pose).reshape(-1, 3)[valid_pixels]  # (P, 3)
        pixel_keys = geometry.voxel_keys(world, voxel_size)  # (P,) no unique: each pixel's own voxel key
        chunk_keys, order = torch.sort(geometry.voxel_hash(chunk_coords))  # (M,) unique: a chunk lists a voxel once
        rows = geometry.lookup_keys(chunk_keys, pixel_keys)  # (P,) -1 where the voxel is not in the chunk
        hit = rows >= 0
        return valid_pixels[hit], order[rows[hit]]

    def voxel_features(self, data_samples, device):
        """Run the 3D UNet on every view's chunk; returns per (pair, view) the chunk coords and voxel feats."""
        coords, colors, owners = [], [], []
        for b, sample in enumerate(data_samples):
            chunk = sample.chunk_coords.long()  # (M, 4) [view, x, y, z]
            for v in (0, 1):
                xyz = chunk[chunk[:, 0] == v, 1:]  # (M_v, 3)
                owners.append((b, v, xyz))
                batch_id = xyz.new_full((len(xyz), 1), len(owners) - 1)
                coords.append(torch.cat([batch_id, xyz - xyz.min(0).values if len(xyz) else xyz], 1))
                colors.append(sample.chunk_colors[chunk[:, 0] == v])
        rgb = torch.cat(colors).to(device).float() / 255.0 - 0.5  # (N, 3)
        voxel_feats = self.backbone3d(torch.cat(coords).to(device), rgb, batch_size=len(owners))  # (N, C3)
        sizes = [len(xyz) for _, _, xyz in owners]
        return owners, torch.split(voxel_feats, sizes)

    def geo_loss(self, feats, depth, K, pose, data_samples):
        owners, voxel_feats = self.voxel_features(data_samples, feats.device)
        flat = feats.flatten(3).transpose(2, 3)  # (B, 2, hw, C)
        rows_2d, rows_3d = [], []
        for (b, v, xyz), feats3d in zip(owners, voxel_feats):
            voxel_size = data_samples[b].metainfo.get('voxel_size', 0.02)
            pixels, voxel_rows = self.pixel_voxel_matches(depth[b, v], K[b, v], pose[b, v], xyz, voxel_size)
            keep, found = sample_matches(pixels.new_ones(1, len(pixels), dtype=torch.bool), self.num_samples)
            keep = keep[0, found[0]]  # (num_samples,) or (0,) without matches
            rows_2d.append(self.head2d(flat[b, v, pixels[keep]]))  # (M, P)
            rows_3d.append(self.head3d(feats3d[voxel_rows[keep]]))  # (M, P)
        return self._contrast(rows_2d, rows_3d, anchor=flat)

    def _contrast(self, rows_a, rows_b, anchor):
        """PointInfoNCE over padded per-item matches; ``anchor`` keeps a match-less batch in the graph."""
        if max(len(r) for r in rows_a) == 0:  # no match anywhere (e.g. all depth invalid): a zero loss with gradients
            return anchor.sum() * 0.0
        feats_a = pad_sequence(rows_a, batch_first=True)  # (B, N, C), zero rows past each item's matches
        feats_b = pad_sequence(rows_b, batch_first=True)  # (B, N, C)
        valid = pad_sequence([r.new_ones(len(r), dtype=torch.bool) for r in rows_a], batch_first=True)  # (B, N)
        return self.contrast(feats_a, feats_b, valid)
