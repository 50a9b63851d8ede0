"""Heads (registered on import)."""
from .mask3d_head import Mask3DDepthHead

__all__ = ['Mask3DDepthHead']
