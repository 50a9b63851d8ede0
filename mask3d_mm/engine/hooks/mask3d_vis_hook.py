"""See what Mask3D reconstructs: a 6-image panel written through the runner's Visualizer every N iterations."""
from typing import Dict, Optional

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

PANEL_TITLES = ('RGB', 'visible RGB', 'visible depth', 'predicted depth', 'GT depth', 'abs error')


def colorize_depth(depth: np.ndarray, max_depth: float) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 RGB turbo colours; invalid (0) pixels black."""
    scaled = np.clip(depth / max(max_depth, 1e-6) * 255, 0, 255).astype(np.uint8)
    colors = cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO)[..., ::-1]
    return np.where((depth > 0)[..., None], colors, 0).astype(np.uint8)


def upsample_patch_mask(mask: torch.Tensor, hw, patch_size: int) -> np.ndarray:
    """(N,) patch mask, 1 = masked -> (H, W) bool pixel mask."""
    grid = mask.reshape(hw[0] // patch_size, hw[1] // patch_size).cpu().numpy().astype(bool)
    return grid.repeat(patch_size, 0).repeat(patch_size, 1)


def _titled(image: np.ndarray, title: str) -> np.ndarray:
    strip = np.zeros((14, image.shape[1], 3), np.uint8)
    cv2.putText(strip, title, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([strip, image], axis=0)


def make_reconstruction_panel(model, out: Dict[str, torch.Tensor], index: int = 0) -> np.ndarray:
    """One sample of ``Mask3D.reconstruct`` output -> (14 + H, 6 W, 3) uint8 RGB panel (see PANEL_TITLES)."""
    preprocessor, patch_size = model.data_preprocessor, model.head.patch_size
    rgb = out['rgb'][index].float() * preprocessor.std + preprocessor.mean  # (3, H, W), 0..255
    rgb = rgb.clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
    hw = rgb.shape[:2]
    gt = out['gt_depth'][index, 0].float().cpu().numpy()  # (H, W) metres
    pred = model.head.depth_from_prediction(out['depth_pred'][index:index + 1].float(),
                                            out['gt_depth'][index:index + 1].float())[0, 0].cpu().numpy()
    rgb_hidden = upsample_patch_mask(out['rgb_mask'][index], hw, patch_size)
    depth_hidden = upsample_patch_mask(out['depth_mask'][index], hw, patch_size)
    max_depth = float(gt.max()) if (gt > 0).any() else 1.0
    error = np.where(gt > 0, np.abs(pred - gt), 0)
    images = [rgb,
              np.where(rgb_hidden[..., None], rgb // 4, rgb),
              colorize_depth(np.where(depth_hidden, 0, gt), max_depth),
              colorize_depth(np.maximum(pred, 1e-3), max_depth),
              colorize_depth(gt, max_depth),
              colorize_depth(np.where(gt > 0, np.maximum(error, 1e-3), 0), max_depth / 4)]
    return np.concatenate([_titled(img, title) for img, title in zip(images, PANEL_TITLES)], axis=1)


@torch.no_grad()
def reconstruct_batch(model, data_batch: dict) -> Dict[str, torch.Tensor]:
    """Preprocess a dataloader batch and run the Mask3D forward in eval mode (train mode restored after)."""
    was_training = model.training
    model.eval()
    try:
        data = model.data_preprocessor(data_batch, training=False)
        return model.reconstruct(data['inputs'], data['data_samples'])
    finally:
        model.train(was_training)


@HOOKS.register_module()
class Mask3DReconstructionHook(Hook):
    """Every ``interval`` training iterations, add the reconstruction panel of the current batch's first
    ``max_samples`` samples to ``runner.visualizer`` (LocalVisBackend: ``<work_dir>/<timestamp>/vis_data/
    vis_image/mask3d_reconstruction_<iter>.png``; TensorBoard / W&B when those backends are configured)."""

    priority = 'LOW'

    def __init__(self, interval: int = 100, max_samples: int = 1) -> None:
        self.interval = interval
        self.max_samples = max_samples

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if data_batch is None or not self.every_n_train_iters(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        out = reconstruct_batch(model, data_batch)
        num = min(self.max_samples, out['rgb'].shape[0])
        panel = np.concatenate([make_reconstruction_panel(model, out, i) for i in range(num)], axis=0)
        runner.visualizer.add_image('mask3d_reconstruction', panel, step=runner.iter + 1)
