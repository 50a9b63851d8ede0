"""Mask3D reconstruction panels: what the model predicts for hidden depth, next to the truth, on one metres scale.

One sample's panel is a title strip, six tiles (``PANEL_TITLES``) and a strip of colour bars:

    RGB | visible RGB | visible depth | predicted depth | GT depth | abs error
                      [------ depth colour bar (m) ------]   [error bar (m)]

As in MAE's visualizations, the predicted-depth tile shows the ground truth on the patches the model was not asked
to predict: its raw output there is never trained and would read as large errors. A white line just inside the
predicted region marks it (on the predicted and error tiles); the error tile is grey outside it. The hook
(``engine/hooks/mask3d_vis_hook.py``) and ``tools/analysis/visualize_reconstruction.py`` both draw with this module.
"""
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
BAR_MARGIN = 4  # blank columns at each end of a colour bar, so neighbouring labels stay apart
ERROR_SCALE = 0.25  # error colour range = this x the depth colour range, so small errors still show
NOT_PREDICTED = (96, 96, 96)  # error tile outside the predicted region (turbo never gives a grey)
OUTLINE = (255, 255, 255)  # border of the predicted region (turbo never gives white)
FONT, FONT_SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.33


def colorize_depth(depth: np.ndarray, max_depth: float) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 RGB turbo colours over [0, max_depth]; invalid (0) pixels black."""
    scaled = np.clip(depth / max(max_depth, 1e-6) * 255, 0, 255).astype(np.uint8)
    colors = cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO)[..., ::-1]
    return np.where((depth > 0)[..., None], colors, 0).astype(np.uint8)


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
                              depth_hidden: np.ndarray, predicted: Optional[np.ndarray] = None) -> np.ndarray:
    """One sample -> (TITLE_HEIGHT + H + BAR_HEIGHT + LABEL_HEIGHT, 6 W, 3) uint8 RGB panel.

    Args:
        rgb (np.ndarray): (H, W, 3) uint8 colour image.
        gt_depth, pred_depth (np.ndarray): (H, W) metres; 0 in ``gt_depth`` = invalid.
        rgb_hidden, depth_hidden (np.ndarray): (H, W) bool, the pixels of patches the encoders did not see.
        predicted (np.ndarray, optional): (H, W) bool, the pixels whose depth the model is trained to predict
            (its loss patches); defaults to ``depth_hidden``.
    """
    predicted = depth_hidden if predicted is None else predicted
    valid = gt_depth > 0
    max_depth = float(gt_depth.max()) if valid.any() else 1.0
    max_error = max_depth * ERROR_SCALE
    outline = region_outline(predicted)[..., None]
    shown_pred = np.where(predicted, np.maximum(pred_depth, 1e-3), gt_depth)  # visible GT pasted in, as MAE
    error = np.where(valid, np.maximum(np.abs(pred_depth - gt_depth), 1e-3), 0)  # tiny > 0: a valid 0 is not black
    error_tile = np.where(predicted[..., None], colorize_depth(error, max_error), np.uint8(NOT_PREDICTED))
    tiles = [rgb,
             np.where(rgb_hidden[..., None], rgb // 4, rgb),
             colorize_depth(np.where(depth_hidden, 0, gt_depth), max_depth),
             np.where(outline, np.uint8(OUTLINE), colorize_depth(shown_pred, max_depth)),
             colorize_depth(gt_depth, max_depth),
             np.where(outline, np.uint8(OUTLINE), error_tile)]
    width, margin = rgb.shape[1], BAR_MARGIN
    bars = np.zeros((BAR_HEIGHT + LABEL_HEIGHT, 6 * width, 3), np.uint8)
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
