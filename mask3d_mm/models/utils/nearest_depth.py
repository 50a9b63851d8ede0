"""The no-learning baseline of Mask3D's pretext task: copy the nearest visible depth pixel.

If a model's masked-depth error is not clearly below this, its depth stream solves the task by interpolation
and nothing forces the RGB encoder to learn geometry (issue: the pretext shortcut).
"""
import numpy as np
import torch
from scipy import ndimage


def nearest_visible_depth(gt_depth: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """Fill every pixel with the depth of the nearest visible valid pixel.

    'Nearest' is the Euclidean distance between pixel centres (``scipy.ndimage.distance_transform_edt`` over the
    pixels that are visible AND valid, i.e. > 0; ties resolved as scipy does). A sample without any visible
    valid pixel is filled with NaN (no baseline exists).

    Args:
        gt_depth: (B, 1, H, W) metres, 0 = invalid.
        visible: (B, 1, H, W) bool, True where the depth encoder saw the pixel.
    Returns:
        (B, 1, H, W) float32 metres, on ``gt_depth``'s device.
    """
    depth = gt_depth.detach().float().cpu().numpy()[:, 0]  # (B, H, W)
    source = (visible.detach().cpu().numpy()[:, 0]) & (depth > 0)  # (B, H, W)
    filled = np.full_like(depth, np.nan)
    for i in range(depth.shape[0]):
        if source[i].any():
            rows, cols = ndimage.distance_transform_edt(~source[i], return_distances=False, return_indices=True)
            filled[i] = depth[i][rows, cols]
    return torch.from_numpy(filled)[:, None].to(gt_depth.device)
