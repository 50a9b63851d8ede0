"""Mask3D reconstruction panels: what the model predicts for hidden depth, next to the truth, on one metres scale.

One sample's panel is a title strip, six tiles (``PANEL_TITLES``) and a strip of colour bars:

    RGB | visible RGB | visible depth | predicted depth | GT depth | abs error
    [# no depth]      [------ depth colour bar (m) ------]   [error bar (m)]

Tiles are at least ``MIN_TILE`` px (small model inputs are enlarged by whole pixels, so patches stay sharp);
pixels without valid depth are ``NO_DATA`` (magenta, which the turbo colours never give, so it never reads as
0 m), hidden depth patches black; the hook stacks the panels of several samples as rows.

As in MAE's visualizations, the predicted-depth tile shows the ground truth on the patches the model was not asked
to predict: its raw output there is never trained and would read as large errors. A white line just inside the
predicted region marks it (on the predicted and error tiles); the error tile is grey outside it. The hook
(``engine/hooks/mask3d_vis_hook.py``) and ``tools/analysis/visualize_reconstruction.py`` both draw with this module.
"""
import math
from contextlib import contextmanager
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch

PANEL_TITLES = ('RGB', 'visible RGB', 'visible depth', 'predicted depth', 'GT depth', 'abs error')
DEPTH_TILES = slice(2, 5)  # the tiles drawn on the depth colour bar's scale; the last one has the error bar
TITLE_HEIGHT = 14
BAR_HEIGHT = 8  # the colour gradient
LABEL_HEIGHT = 12  # the metres labels under it
BAR_MARGIN = 4  # at least this many blank columns at each end of a colour bar (1/16 of a tile when wider) ...
MIN_LABEL_GAP = 2 * BAR_MARGIN  # ... so neighbouring bars' labels are at least this far apart
MIN_TILE = 256  # the shorter side of a tile, in px, after enlarging a small input
NO_DATA = (255, 0, 255)  # pixels without valid depth (turbo never gives magenta): not the colour of 0 m
HIDDEN = (0, 0, 0)  # depth patches the depth encoder did not see (visible-depth tile)
ERROR_SCALE = 0.25  # error colour range = this x the depth colour range, so small errors still show
NOT_PREDICTED = (96, 96, 96)  # error tile outside the predicted region (turbo never gives a grey)
OUTLINE = (255, 255, 255)  # border of the predicted region (turbo never gives white)
FONT, FONT_SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.33


def colorize_depth(depth: np.ndarray, max_depth: float) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 RGB turbo colours over [0, max_depth]; invalid (0) pixels ``NO_DATA``."""
    scaled = np.clip(depth / max(max_depth, 1e-6) * 255, 0, 255).astype(np.uint8)
    colors = cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO)[..., ::-1]
    return np.where((depth > 0)[..., None], colors, np.uint8(NO_DATA)).astype(np.uint8)


def bar_margin(tile_width: int) -> int:
    return max(BAR_MARGIN, tile_width // 16)


def tile_scale(hw: Sequence[int], min_tile: int = MIN_TILE) -> int:
    """Whole-pixel enlargement that makes the shorter side of an (H, W) tile at least ``min_tile``."""
    return max(1, math.ceil(min_tile / min(hw)))


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor (each pixel becomes a factor x factor block)."""
    return image if factor == 1 else image.repeat(factor, 0).repeat(factor, 1)


def no_data_legend(width: int) -> np.ndarray:
    """(BAR_HEIGHT + LABEL_HEIGHT, width, 3): a ``NO_DATA`` swatch labelled 'no depth'."""
    legend = np.zeros((BAR_HEIGHT + LABEL_HEIGHT, width, 3), np.uint8)
    legend[:BAR_HEIGHT, :2 * BAR_HEIGHT] = NO_DATA
    cv2.putText(legend, 'no depth', (0, BAR_HEIGHT + LABEL_HEIGHT - 3), FONT, FONT_SCALE, (255, 255, 255), 1,
                cv2.LINE_AA)
    return legend


def upsample_patch_mask(mask, hw: Sequence[int], patch_size: int) -> np.ndarray:
    """(N,) patch mask in row-major token order, True = masked -> (H, W) bool pixel mask."""
    mask = mask.cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
    grid = mask.reshape(hw[0] // patch_size, hw[1] // patch_size).astype(bool)
    return grid.repeat(patch_size, 0).repeat(patch_size, 1)


def region_outline(region: np.ndarray) -> np.ndarray:
    """(H, W) bool -> the pixels of ``region`` next to a pixel outside it (4-neighbours; the image border does not
    count). Drawn inside the region, so no pixel outside it is covered."""
    padded = np.pad(region, 1, mode='edge')
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return region & ~interior


def format_metres(value: float) -> str:
    """0 -> '0 m', 1.5 -> '1.5 m', 0.2537 -> '0.25 m'."""
    return f'{value:.2f}'.rstrip('0').rstrip('.') + ' m'


def colour_bar(width: int, max_value: float, num_ticks: Optional[int] = None) -> np.ndarray:
    """(BAR_HEIGHT + LABEL_HEIGHT, width, 3) uint8: ``colorize_depth``'s colours from 0 (left) to ``max_value``
    (right) over the labels of ``num_ticks`` evenly spaced values in metres (3 when there is room, else 2)."""
    values = (np.arange(width) + 0.5) / width * max_value  # pixel centres, all > 0 (0 would draw as invalid)
    gradient = colorize_depth(np.tile(values, (BAR_HEIGHT, 1)), max_value)
    labels = np.zeros((LABEL_HEIGHT, width, 3), np.uint8)
    num_ticks = num_ticks or (3 if width >= 128 else 2)
    for tick, value in enumerate(np.linspace(0, max_value, num_ticks)):
        text = format_metres(value)
        text_width = cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0]
        x = int(round(tick / (num_ticks - 1) * (width - text_width)))  # first flush left, last flush right
        cv2.putText(labels, text, (x, LABEL_HEIGHT - 3), FONT, FONT_SCALE, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([gradient, labels], axis=0)


def titled(image: np.ndarray, title: str) -> np.ndarray:
    strip = np.zeros((TITLE_HEIGHT, image.shape[1], 3), np.uint8)
    cv2.putText(strip, title, (2, TITLE_HEIGHT - 3), FONT, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([strip, image], axis=0)


def draw_reconstruction_panel(rgb: np.ndarray, gt_depth: np.ndarray, pred_depth: np.ndarray, rgb_hidden: np.ndarray,
                              depth_hidden: np.ndarray, predicted: Optional[np.ndarray] = None,
                              min_tile: int = MIN_TILE) -> np.ndarray:
    """One sample -> (TITLE_HEIGHT + k H + BAR_HEIGHT + LABEL_HEIGHT, 6 k W, 3) uint8 RGB panel, tiles enlarged
    by ``k = tile_scale((H, W), min_tile)``.

    Args:
        rgb (np.ndarray): (H, W, 3) uint8 colour image.
        gt_depth, pred_depth (np.ndarray): (H, W) metres; 0 in ``gt_depth`` = invalid.
        rgb_hidden, depth_hidden (np.ndarray): (H, W) bool, the pixels of patches the encoders did not see.
        predicted (np.ndarray, optional): (H, W) bool, the pixels whose depth the model is trained to predict
            (its loss patches); defaults to ``depth_hidden``.
        min_tile (int): the shorter side of a tile at least (whole-pixel enlargement).
    """
    predicted = depth_hidden if predicted is None else predicted
    factor = tile_scale(rgb.shape[:2], min_tile)
    rgb, gt_depth, pred_depth, rgb_hidden, depth_hidden, predicted = (
        enlarge(a, factor) for a in (rgb, gt_depth, pred_depth, rgb_hidden, depth_hidden, predicted))
    valid = gt_depth > 0
    max_depth = float(gt_depth.max()) if valid.any() else 1.0
    max_error = max_depth * ERROR_SCALE
    outline = region_outline(predicted)[..., None]
    shown_pred = np.where(predicted, np.maximum(pred_depth, 1e-3), gt_depth)  # visible GT pasted in, as MAE
    error = np.where(valid, np.maximum(np.abs(pred_depth - gt_depth), 1e-3), 0)  # > 0 where valid: NO_DATA = no truth
    error_tile = np.where(predicted[..., None], colorize_depth(error, max_error), np.uint8(NOT_PREDICTED))
    tiles = [rgb,
             np.where(rgb_hidden[..., None], rgb // 4, rgb),
             np.where(depth_hidden[..., None], np.uint8(HIDDEN), colorize_depth(gt_depth, max_depth)),
             np.where(outline, np.uint8(OUTLINE), colorize_depth(shown_pred, max_depth)),
             colorize_depth(gt_depth, max_depth),
             np.where(outline, np.uint8(OUTLINE), error_tile)]
    width = rgb.shape[1]
    margin = bar_margin(width)
    bars = np.zeros((BAR_HEIGHT + LABEL_HEIGHT, 6 * width, 3), np.uint8)
    bars[:, margin:2 * width - margin] = no_data_legend(2 * width - 2 * margin)
    depth_start, depth_stop = DEPTH_TILES.start * width + margin, DEPTH_TILES.stop * width - margin
    bars[:, depth_start:depth_stop] = colour_bar(depth_stop - depth_start, max_depth)
    bars[:, 5 * width + margin:6 * width - margin] = colour_bar(width - 2 * margin, max_error)
    top = np.concatenate([titled(tile, title) for tile, title in zip(tiles, PANEL_TITLES)], axis=1)
    return np.concatenate([top, bars], axis=0)


def make_reconstruction_panel(model, out: Dict[str, torch.Tensor], index: int = 0) -> np.ndarray:
    """Sample ``index`` of a ``Mask3D.reconstruct`` output -> its panel (``draw_reconstruction_panel``): colour
    un-normalized with the model's preprocessor, depth in metres via its head, the patch grid from the model."""
    preprocessor, patch_size = model.data_preprocessor, model.patch_size
    rgb = out['rgb'][index].float() * preprocessor.std + preprocessor.mean  # (3, H, W), 0..255
    rgb = rgb.clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()  # (H, W, 3)
    hw = rgb.shape[:2]
    gt_depth = out['gt_depth'][index:index + 1].float()  # (1, 1, H, W) metres
    pred = model.head.depth_from_prediction(out['depth_pred'][index:index + 1].float(), gt_depth)
    loss_mask = model.depth_loss_mask(out['rgb_mask'], out['depth_mask'])[index]  # (N,) the trained patches
    return draw_reconstruction_panel(
        rgb, gt_depth[0, 0].cpu().numpy(), pred[0, 0].cpu().numpy(),
        rgb_hidden=upsample_patch_mask(out['rgb_mask'][index], hw, patch_size),
        depth_hidden=upsample_patch_mask(out['depth_mask'][index], hw, patch_size),
        predicted=upsample_patch_mask(loss_mask, hw, patch_size))


def make_reconstruction_rows(model, out: Dict[str, torch.Tensor], max_samples: int) -> np.ndarray:
    """The panels of the first ``max_samples`` samples of a ``Mask3D.reconstruct`` output, one row each."""
    num = min(max_samples, out['rgb'].shape[0])
    return np.concatenate([make_reconstruction_panel(model, out, i) for i in range(num)], axis=0)


@contextmanager
def inference_mode(model):
    """no_grad + eval mode, with the train mode and the random streams (CPU, current GPU) restored after, so that
    drawing a panel during training changes neither the model nor the masks / crops the training draws next."""
    was_training = model.training
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        model.eval()
        try:
            yield model
        finally:
            model.train(was_training)


def reconstruct_batch(model, data_batch: dict) -> Dict[str, torch.Tensor]:
    """Preprocess a dataloader batch and run ``Mask3D.reconstruct`` under ``inference_mode``."""
    with inference_mode(model):
        data = model.data_preprocessor(data_batch, training=False)
        return model.reconstruct(data['inputs'], data['data_samples'])
