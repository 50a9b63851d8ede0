"""Data preprocessors (registered on import)."""
from .rgbd import RGBDDataPreprocessor

__all__ = ['RGBDDataPreprocessor']
