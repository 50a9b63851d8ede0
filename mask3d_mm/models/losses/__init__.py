"""Losses (registered on import)."""
from .point_info_nce import PointInfoNCE

__all__ = ['PointInfoNCE']
