"""ScanNet 2D semantic segmentation metric: mmseg's IoU at the official benchmark resolution.

The official ScanNet 2D benchmark scores predictions and labels resized (nearest) to 640x480;
``ScanNet2DIoUMetric`` does that before mmseg's IoU computation.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


def _resize_label(label: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Nearest resize of a (1, H, W) integer map (labels must not be interpolated)."""
    resized = F.interpolate(label[None].float(), size=(height, width), mode='nearest')  # (1, 1, h, w)
    return resized[0].to(label.dtype)


@METRICS.register_module()
class ScanNet2DIoUMetric(IoUMetric):
    """mmseg ``IoUMetric`` scored at the ScanNet benchmark resolution: prediction and ground truth are both
    resized (nearest) to ``eval_size`` = (width, height), 640x480 by default, as the official 2D evaluation does.
    Pixels labelled ``ignore_index`` (everything outside the 20 classes) do not count.

    ``classwise=True`` also returns each class's IoU as ``IoU.<class>`` (percent; classes neither labelled nor
    predicted are left out), so per-class results reach the log's scalars and the visualization backends
    instead of only the printed table."""

    def __init__(self, eval_size=(640, 480), classwise=False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.eval_width, self.eval_height = eval_size
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        resized = []
        for sample in data_samples:
            sample = dict(sample)
            for key in ('pred_sem_seg', 'gt_sem_seg'):
                if key in sample:
                    sample[key] = dict(data=_resize_label(sample[key]['data'], self.eval_height,
                                                          self.eval_width))
            resized.append(sample)
        super().process(data_batch, resized)

    def compute_metrics(self, results: list) -> dict:
        metrics = super().compute_metrics(results)
        if self.classwise:
            intersect = sum(result[0] for result in results)  # (num_classes,) pixels
            union = sum(result[1] for result in results)
            for name, inter, uni in zip(self.dataset_meta['classes'], intersect.tolist(), union.tolist()):
                if uni > 0:
                    metrics[f'IoU.{name}'] = round(100 * inter / uni, 2)
        return metrics
