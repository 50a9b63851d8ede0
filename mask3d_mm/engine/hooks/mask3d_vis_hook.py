"""See what Mask3D reconstructs and whether it learns from colour, every N training iterations.

The panels are drawn by ``mask3d_mm.visualization``; this hook only decides when, and logs the diagnostics.
"""
import math
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mask3d_mm.visualization import inference_mode, make_reconstruction_rows

SHUFFLE_KEYS = ('loss_depth_rgb_shuffled', 'rgb_reliance')  # need >= 2 samples to shuffle RGB across


@HOOKS.register_module()
class Mask3DReconstructionHook(Hook):
    """Every ``interval`` training iterations, on the current batch:

    - adds the reconstruction panels of its first ``max_samples`` samples (one row each) to ``runner.visualizer``
      (LocalVisBackend: ``<work_dir>/<timestamp>/vis_data/vis_image/mask3d_reconstruction_<iter>.png``;
      TensorBoard / W&B when those backends are configured);
    - with ``diagnostics``, logs ``Mask3D.depth_diagnostics`` as scalars ``diag/<name>`` (scalars.json, TensorBoard)
      and one log line: the masked-depth loss next to the copy-the-nearest-visible-depth baseline, and the RGB
      reliance (relative loss increase with the RGB tokens shuffled across the batch). A run whose reliance stays
      near 0 has learned to interpolate depth and ignores colour. A batch of 1 cannot be shuffled: reliance is
      skipped then, and the log line says so.

    Both run in eval mode without gradients and leave torch's random state as it was (``inference_mode``).
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, max_samples: int = 4, diagnostics: bool = True) -> None:
        self.interval = interval
        self.max_samples = max_samples
        self.diagnostics = diagnostics

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if data_batch is None or not self.every_n_train_iters(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        step = runner.iter + 1
        with inference_mode(model):
            data = model.data_preprocessor(data_batch, training=False)
            inputs, data_samples = data['inputs'], data['data_samples']
            out = model.reconstruct(inputs, data_samples)
            panel = make_reconstruction_rows(model, out, self.max_samples)
            diagnostics = model.depth_diagnostics(inputs, data_samples) if self.diagnostics else None
        runner.visualizer.add_image('mask3d_reconstruction', panel, step=step)
        if diagnostics is not None:
            self.log_diagnostics(runner, diagnostics, batch_size=inputs.shape[0], step=step)

    @staticmethod
    def log_diagnostics(runner, diagnostics: Dict[str, float], batch_size: int, step: int) -> None:
        """Finite values become scalars; an undefined one (e.g. the copy baseline without visible depth) is
        logged as n/a, and a batch of 1 leaves out the shuffled-RGB values with the reason."""
        skipped = SHUFFLE_KEYS if batch_size < 2 else ()
        values = {name: float(value) for name, value in diagnostics.items() if name not in skipped}
        finite = {f'diag/{name}': value for name, value in values.items() if math.isfinite(value)}
        if finite:
            runner.visualizer.add_scalars(finite, step=step)
        summary = ', '.join(f'{name}: {value:.4f}' if math.isfinite(value) else f'{name}: n/a'
                            for name, value in values.items())
        note = ' (rgb_reliance skipped: a batch of 1 sample cannot be shuffled)' if skipped else ''
        runner.logger.info(f'Mask3D diagnostics at iter {step}: {summary}{note}')
