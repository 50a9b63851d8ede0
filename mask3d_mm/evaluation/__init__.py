"""Metrics, registered into the upstream registries on import."""
from .scannet_iou import ScanNet2DIoUMetric

__all__ = ['ScanNet2DIoUMetric']
