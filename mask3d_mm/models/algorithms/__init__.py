"""Self-supervised algorithms (registered into mmpretrain's ``MODELS`` on import)."""
from .mask3d import Mask3D
from .pri3d import Pri3D

__all__ = ['Mask3D', 'Pri3D']
