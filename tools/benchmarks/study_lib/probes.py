"""Linear probes of frozen ViT features: can a linear map read depth and surface orientation from the tokens?

Per 16x16 patch of held-out downstream frames, three targets: absolute log depth (RMSE / AbsRel in metres),
*relative* log depth (each image's mean log depth removed: the layout within an image, which needs no metric
scale; RMSE in log units) and the mean surface normal (angle error). Each is fitted by closed-form ridge
regression on the features of *every* block; the ridge penalty and the block are chosen by 5-fold
cross-validation on the probe's training frames (folds split by image), then scored once on the validation
frames. ``constant_probe`` predicts the training mean: a probe no better than it found nothing in the features.
"""
from pathlib import Path

import numpy as np

ALPHAS = tuple(10.0 ** e for e in range(-4, 3))  # ridge penalties tried (scaled by the number of rows)
FOLDS = 5


# ------------------------------------------------------------------------------------------------ data
def probe_frames(root: Path, split: str, count: int, side: int):
    """(images (N, S, S, 3) RGB uint8, depths (N, S, S) metres, intrinsics scaled to S) of the first frames."""
    import cv2

    from mask3d_mm.formats.frame_layout import (
        frame_path,
        frame_stems,
        intrinsic_path,
        read_color,
        read_depth,
        read_matrix,
    )
    from mask3d_mm.geometry import scale_intrinsics
    images, depths, intrinsics = [], [], []
    for scene in (root / 'splits' / split).read_text().split():
        scene_dir = str(root / scene)
        K = read_matrix(intrinsic_path(scene_dir))[:3, :3]
        for stem in frame_stems(str(root / scene / 'color'), '.jpg'):
            depth = read_depth(frame_path(scene_dir, 'depth', stem))  # (H, W) metres
            h, w = depth.shape
            images.append(cv2.cvtColor(read_color(frame_path(scene_dir, 'color', stem), (side, side)),
                                       cv2.COLOR_BGR2RGB))
            depths.append(cv2.resize(depth, (side, side), interpolation=cv2.INTER_NEAREST))
            intrinsics.append(np.asarray(scale_intrinsics(K, side / w, side / h)))
            if len(images) == count:
                return np.stack(images), np.stack(depths), np.stack(intrinsics).astype(np.float32)
    return np.stack(images), np.stack(depths), np.stack(intrinsics).astype(np.float32)


def patch_targets(depths, intrinsics, patch=16):
    """Per patch: mean depth of valid pixels, mean unit normal, and whether the patch is usable (> 90 % valid)."""
    import torch

    from mask3d_mm.geometry import backproject_depth
    points = backproject_depth(torch.from_numpy(depths), torch.from_numpy(intrinsics).float())  # (N, H, W, 3)
    du, dv = points[:, :-1, 1:] - points[:, :-1, :-1], points[:, 1:, :-1] - points[:, :-1, :-1]
    normals = torch.nn.functional.normalize(torch.cross(du, dv, dim=-1), dim=-1)  # (N, H-1, W-1, 3)
    normals = torch.nn.functional.pad(normals.permute(0, 3, 1, 2), (0, 1, 0, 1), mode='replicate')
    valid = torch.from_numpy(depths > 0).float()[:, None]  # (N, 1, H, W)
    pool = torch.nn.functional.avg_pool2d
    valid_share = pool(valid, patch)  # (N, 1, h, w)
    mean_depth = pool(torch.from_numpy(depths)[:, None] * valid, patch) / valid_share.clamp(min=1e-6)
    mean_normal = torch.nn.functional.normalize(pool(normals * valid, patch), dim=1)
    usable = (valid_share[:, 0] > 0.9)  # (N, h, w)
    return (mean_depth[:, 0][usable].numpy(), mean_normal.permute(0, 2, 3, 1)[usable].numpy(),
            usable.numpy())


def relative_log_depth(log_depth, usable):
    """Each usable patch's log depth minus its image's mean: the within-image layout, free of metric scale."""
    image_of_patch = np.nonzero(usable)[0]  # (P,) image index of each usable patch (row-major, as [usable])
    sums = np.bincount(image_of_patch, weights=log_depth, minlength=len(usable))
    counts = np.bincount(image_of_patch, minlength=len(usable)).clip(min=1)
    return log_depth - (sums / counts)[image_of_patch]


def load_probe_data(root: Path, count: int, side: int, patch: int):
    """[(features' images, targets) for the probe's training frames, then for its validation frames]."""
    data = []
    for split in ('train.txt', 'val.txt'):
        images, depths, intrinsics = probe_frames(root, split, count, side)
        depth, normal, usable = patch_targets(depths, intrinsics, patch)
        data.append((images, dict(depth=depth, normal=normal, usable=usable,
                                  rel_log_depth=relative_log_depth(np.log(depth), usable))))
    return data


# ------------------------------------------------------------------------------------------- features
def block_features(vit, images):
    """Frozen patch tokens after every block of an mmpretrain ``VisionTransformer``: (L, N, h, w, C)."""
    import torch
    vit.eval()
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    inputs = (torch.from_numpy(images).permute(0, 3, 1, 2).float() - mean) / std
    with torch.no_grad():
        per_batch = [vit(batch) for batch in inputs.split(16)]  # [(L x (B, C, h, w))]
    return np.stack([torch.cat(blocks).permute(0, 2, 3, 1).numpy() for blocks in zip(*per_batch)])


def study_vit(study_cfg, checkpoint=None):
    """The study's ViT (``_study_vit.py``) returning every block's tokens, random or with the ``backbone.``
    weights of ``checkpoint``."""
    import torch
    from mmpretrain.models import VisionTransformer
    arch = {k: v for k, v in study_cfg.study_vit_arch.items() if k != '_delete_'}
    vit = VisionTransformer(arch=arch, img_size=study_cfg.study_img_size, patch_size=study_cfg.study_patch_size,
                            out_type='featmap', out_indices=list(range(arch['num_layers'])))
    if checkpoint is not None:
        state = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        missing, _ = vit.load_state_dict(state, strict=False)
        if missing:
            raise SystemExit(f'study: {checkpoint} lacks ViT weights {missing[:5]}...')
    return vit


# ---------------------------------------------------------------------------------------------- ridge
def ridge_fit_predict(train_x, train_y, test_x, alpha=1.0):
    """Closed-form ridge regression with a bias (deterministic: no optimizer, no seed)."""
    mean_x, mean_y = train_x.mean(0), train_y.mean(0)
    x, y = train_x - mean_x, train_y - mean_y
    weights = np.linalg.solve(x.T @ x + alpha * len(x) * np.eye(x.shape[1]), x.T @ y)
    return (test_x - mean_x) @ weights + mean_y


def cv_error(x, y, groups, alpha, folds=FOLDS):
    """Mean squared cross-validation error of ridge(``alpha``); rows of one group (image) stay in one fold."""
    fold_of_row = groups % folds
    errors = []
    for fold in range(folds):
        held = fold_of_row == fold
        if held.all() or not held.any():
            continue
        pred = ridge_fit_predict(x[~held], y[~held], x[held], alpha)
        errors.append(np.mean((pred - y[held]) ** 2))
    return float(np.mean(errors))


def fit_best(features, train_ok, train_y, val_ok, groups):
    """Ridge on the block and penalty with the lowest cross-validation error; returns (validation predictions,
    block (1-based), alpha)."""
    best = None
    for block, feats in enumerate(features[0]):
        x = feats[train_ok]
        for alpha in ALPHAS:
            error = cv_error(x, train_y, groups, alpha)
            if best is None or error < best[0]:
                best = (error, block, alpha)
    _, block, alpha = best
    return ridge_fit_predict(features[0][block][train_ok], train_y, features[1][block][val_ok], alpha), \
        block + 1, alpha


def probe_scores(pred_log_depth, pred_rel, pred_normal, val):
    """Depth RMSE (m) / AbsRel, relative log-depth RMSE and mean normal angle error (degrees)."""
    pred_depth = np.exp(pred_log_depth)
    pred_normal = pred_normal / np.linalg.norm(pred_normal, axis=1, keepdims=True).clip(min=1e-6)
    cos = np.clip((pred_normal * val['normal']).sum(1), -1, 1)
    return dict(depth_rmse=float(np.sqrt(np.mean((pred_depth - val['depth']) ** 2))),
                depth_absrel=float(np.mean(np.abs(pred_depth - val['depth']) / val['depth'])),
                rel_depth_rmse=float(np.sqrt(np.mean((pred_rel - val['rel_log_depth']) ** 2))),
                normal_angle_deg=float(np.degrees(np.arccos(cos)).mean()))


def linear_probes(vit, probe_data):
    """Every probe of one ViT: scores plus the block and ridge penalty cross-validation chose for each target."""
    (train_img, train), (val_img, val) = probe_data
    features = [block_features(vit, images) for images in (train_img, val_img)]  # 2 x (L, N, h, w, C)
    train_ok, val_ok = train['usable'], val['usable']
    groups = np.nonzero(train_ok)[0]  # image of each usable training patch
    fits = {name: fit_best(features, train_ok, target, val_ok, groups)
            for name, target in (('depth', np.log(train['depth'])[:, None]),
                                 ('rel_depth', train['rel_log_depth'][:, None]),
                                 ('normal', train['normal']))}
    scores = probe_scores(fits['depth'][0][:, 0], fits['rel_depth'][0][:, 0], fits['normal'][0], val)
    for name, (_, block, alpha) in fits.items():
        scores.update({f'{name}_block': block, f'{name}_alpha': alpha})
    return scores


def constant_probe(probe_data):
    """The probes' reference: every validation patch gets the training patches' mean log depth and mean normal,
    and relative depth 0 (its image's mean)."""
    (_, train), (_, val) = probe_data
    count = len(val['depth'])
    return probe_scores(np.full(count, np.log(train['depth']).mean()), np.zeros(count),
                        np.tile(train['normal'].mean(0), (count, 1)), val)
